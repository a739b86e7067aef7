"""Record and verify the audit chains; sign their heads.

:func:`record` appends one entry in the caller's transaction to the global chain and to its tenant's chain,
with the snapshot of the claim's bound facts (:mod:`~refundguard.service.audit.facts`). The head rows are
locked until the transaction commits, so appends are serial. After the commit the service signs the new
heads and advances its held checkpoints (:mod:`~refundguard.service.audit.witness`).

:func:`verify` walks a chain (one tenant's, or every chain for the operator) and reports each break:

- an edited entry no longer matches its hash; a removed one breaks the sequence or the link;
- removing the newest entries no longer matches the head row;
- a claim row, an evidence row or a stored report that was changed in the database disagrees with the chain's
  newest snapshot of that claim;
- a history rewritten consistently (entries edited and every later hash recomputed, or the newest entries
  removed and the head rewound) no longer contains a held checkpoint.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from refundguard.config import Settings
from refundguard.service.audit import facts as bound
from refundguard.service.audit.chain import GENESIS, GLOBAL, canonical, entry_hash, report_digest_of_text, tenant_hash
from refundguard.service.audit.models import AuditEntry, AuditHead, AuditTenantHead
from refundguard.service.audit.signing import BadCheckpoint, Checkpoint, Signer, load_signer
from refundguard.service.audit.witness import Witness
from refundguard.service.claims.models import Claim, ClaimAnalysis
from refundguard.service.config import ServiceConfig
from refundguard.service.db import utcnow

log = logging.getLogger("refundguard.audit")

__all__ = ["GENESIS", "GLOBAL", "BadCheckpoint", "ChainGuard", "Verification", "canonical", "chain_diverged",
           "checkpoint", "entry_hash", "for_subject", "guard_for", "guard_of", "held_checkpoints", "record", "verify"]

#: key of the :class:`ChainGuard` in ``Session.info`` (set by ``Database(session_info=...)``)
GUARD = "audit_guard"
_TOUCHED = "audit_touched"   # chain -> (seq, hash) appended in the open transaction
_CHECKED = "audit_checked"   # chains compared with the held checkpoint in the open transaction
_DIVERGED = "audit_diverged"  # chains that no longer contain their held checkpoint


@dataclass(frozen=True)
class ChainGuard:
    """The signing key and the held checkpoints of a process; either may be absent (then nothing is signed)."""

    signer: Signer | None = None
    witness: Witness | None = None

    def session_info(self) -> dict[str, Any]:
        return {GUARD: self}


def guard_for(settings: Settings, config: ServiceConfig, *, create_key: bool = False) -> ChainGuard:
    """The key and held checkpoints named by ``[service.audit]``; ``create_key`` (the server) makes a key when
    there is none. Raises :class:`~refundguard.service.audit.signing.SigningKeyError`."""
    signer = load_signer(config.audit.key_path(settings), create=create_key)
    return ChainGuard(signer=signer, witness=Witness(config.audit.witness_path(settings)))


def _guard(session: Session) -> ChainGuard | None:
    return session.info.get(GUARD)


def guard_of(session: Session) -> ChainGuard | None:
    """The key and held checkpoints this session's database was opened with (None when opened without)."""
    return _guard(session)


def held_checkpoints(session: Session, tenant: str | None) -> list[Checkpoint]:
    """The service's own held checkpoints for a scope: the tenant's chain, or every chain (``None``)."""
    guard = _guard(session)
    if guard is None or guard.witness is None:
        return []
    held = guard.witness.load()
    return list(held.values()) if tenant is None else [cp for chain, cp in held.items() if chain == tenant]


# ------------------------------------------------------------------------------------------------ record
def _locked_tenant_head(session: Session, tenant: str) -> AuditTenantHead:
    head = session.get(AuditTenantHead, tenant, with_for_update=True)
    if head is None:  # the global head is locked: no other writer can create this row meanwhile
        head = AuditTenantHead(tenant=tenant, seq=0, hash=GENESIS)
        session.add(head)
    return head


def _check_held(session: Session, chain: str, head_seq: int) -> None:
    """Once per transaction and chain: does the chain still contain the held checkpoint? If not, it is never
    signed again (a checkpoint of a rewritten history would launder it) and the break is logged."""
    checked = session.info.setdefault(_CHECKED, set())
    guard = _guard(session)
    if chain in checked or guard is None or guard.witness is None:
        return
    checked.add(chain)
    try:
        held = guard.witness.get(chain)
    except BadCheckpoint as exc:
        log.error("%s", exc)
        held = None
    if held is None:
        return
    problem = _against(session, chain, held, head_seq)
    if problem:
        session.info.setdefault(_DIVERGED, set()).add(chain)
        log.error("audit chain %s no longer contains the held checkpoint: %s", chain, problem)


def record(*, session: Session, actor: str, action: str, subject_type: str, subject_id: str,
           tenant: str | None = None, details: dict[str, Any] | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction (the head rows are locked until it commits)."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    _check_held(session, GLOBAL, head.seq)
    at = utcnow()
    text = canonical(details or {})
    snapshot = None
    if subject_type == "claim":
        claim = session.get(Claim, subject_id)
        if claim is not None:
            snapshot = bound.snapshot(session, claim)
    seq = head.seq + 1
    digest = entry_hash(head.hash, seq=seq, at=at, tenant=tenant, actor=actor, action=action,
                        subject_type=subject_type, subject_id=subject_id, details=text, facts=snapshot)
    entry = AuditEntry(seq=seq, at=at, tenant=tenant, actor=actor, action=action, subject_type=subject_type,
                       subject_id=subject_id, details=text, prev_hash=head.hash, hash=digest, facts=snapshot)
    touched = session.info.setdefault(_TOUCHED, {})
    if tenant is not None:
        theirs = _locked_tenant_head(session, tenant)
        _check_held(session, tenant, theirs.seq)
        entry.tenant_seq = theirs.seq + 1
        entry.tenant_prev_hash = theirs.hash
        entry.tenant_hash = tenant_hash(theirs.hash, tenant=tenant, tenant_seq=entry.tenant_seq, at=at, actor=actor,
                                        action=action, subject_type=subject_type, subject_id=subject_id,
                                        details=text, facts=snapshot)
        theirs.seq, theirs.hash = entry.tenant_seq, entry.tenant_hash
        touched[tenant] = (entry.tenant_seq, entry.tenant_hash)
    session.add(entry)
    head.seq, head.hash = seq, digest
    touched[GLOBAL] = (seq, digest)
    session.flush()
    return entry


def checkpoint(session: Session, chain: str) -> Checkpoint | None:
    """A signed checkpoint of ``chain``'s head as this transaction sees it (None without a key, for an empty
    chain, or for a chain that no longer contains the held checkpoint)."""
    guard = _guard(session)
    if guard is None or guard.signer is None or chain in session.info.get(_DIVERGED, set()):
        return None
    row = session.get(AuditHead, 1) if chain == GLOBAL else session.get(AuditTenantHead, chain)
    if row is None or row.seq == 0:
        return None
    _check_held(session, chain, row.seq)
    if chain in session.info.get(_DIVERGED, set()):
        return None
    return guard.signer.sign(chain=chain, seq=row.seq, hash=row.hash, at=utcnow())


def chain_diverged(session: Session, chain: str) -> bool:
    """Whether ``chain`` was found, in this transaction, no longer to contain its held checkpoint."""
    return chain in session.info.get(_DIVERGED, set())


@event.listens_for(Session, "after_commit")
def _advance_witness(session: Session) -> None:
    """Sign the heads this transaction moved and keep them as held checkpoints."""
    touched: dict[str, tuple[int, str]] = session.info.pop(_TOUCHED, {})
    session.info.pop(_CHECKED, None)
    diverged = session.info.pop(_DIVERGED, set())
    guard = _guard(session)
    if not touched or guard is None or guard.signer is None or guard.witness is None:
        return
    now = utcnow()
    fresh = [guard.signer.sign(chain=chain, seq=seq, hash=digest, at=now)
             for chain, (seq, digest) in touched.items() if chain not in diverged]
    try:
        guard.witness.advance(fresh)
    except OSError:  # the commit stands; the next commit advances the file
        log.exception("could not write the held audit checkpoints to %s", guard.witness.path)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    for key in (_TOUCHED, _CHECKED, _DIVERGED):
        session.info.pop(key, None)


def for_subject(*, session: Session, subject_id: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.subject_id == subject_id)
                                .order_by(AuditEntry.seq)))


# ------------------------------------------------------------------------------------------------ verify
@dataclass
class Verification:
    """The result of walking one scope: a tenant's chain, or (``scope == "*"``) every chain."""

    ok: bool
    scope: str
    entries: int
    seq: int
    head: str
    problems: list[str] = field(default_factory=list)
    claims: int = 0           # claims compared with the chain's snapshot
    unbound: int = 0          # claims whose entries all predate bound facts (nothing to compare)
    checkpoints: int = 0      # held checkpoints the chain was compared with
    truncated: bool = False   # more problems than ``max_problems``


class _Problems(list[str]):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.truncated = False

    def add(self, text: str) -> None:
        if len(self) < self.limit:
            self.append(text)
        else:
            self.truncated = True


def _walk_global(session: Session, problems: _Problems) -> tuple[int, int, str]:
    prev, expected, count = GENESIS, 1, 0
    for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(500):
        count += 1
        if e.seq != expected:
            problems.add(f"entry {expected} is missing (next present is {e.seq})")
        if e.prev_hash != prev:
            problems.add(f"entry {e.seq} does not link to the entry before it")
        digest = entry_hash(e.prev_hash, seq=e.seq, at=e.at, tenant=e.tenant, actor=e.actor, action=e.action,
                            subject_type=e.subject_type, subject_id=e.subject_id, details=e.details, facts=e.facts)
        if digest != e.hash:
            problems.add(f"entry {e.seq} was altered (hash mismatch)")
        prev, expected = e.hash, e.seq + 1
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != expected - 1 or head_hash != prev:
        problems.add(f"the chain ends at entry {expected - 1} but the head names entry {head_seq}: "
                     "entries were removed or the head was altered")
    return count, head_seq, head_hash


def _walk_tenant(session: Session, tenant: str, problems: _Problems,
                 snapshots: dict[str, str | None]) -> tuple[int, int, str]:
    """Walk one tenant's chain; collect the newest facts snapshot of each claim it names."""
    prev, expected, count = GENESIS, 1, 0
    query = select(AuditEntry).where(AuditEntry.tenant == tenant).order_by(AuditEntry.tenant_seq, AuditEntry.seq)
    for e in session.scalars(query).yield_per(500):
        count += 1
        if e.subject_type == "claim":
            snapshots[e.subject_id] = e.facts if e.facts is not None else snapshots.get(e.subject_id)
        if e.tenant_seq is None or e.tenant_hash is None or e.tenant_prev_hash is None:
            problems.add(f"{tenant} entry (global {e.seq}) is not linked into the tenant's chain")
            continue
        if e.tenant_seq != expected:
            problems.add(f"{tenant} entry {expected} is missing (next present is {e.tenant_seq})")
        if e.tenant_prev_hash != prev:
            problems.add(f"{tenant} entry {e.tenant_seq} does not link to the entry before it")
        digest = tenant_hash(e.tenant_prev_hash, tenant=tenant, tenant_seq=e.tenant_seq, at=e.at, actor=e.actor,
                             action=e.action, subject_type=e.subject_type, subject_id=e.subject_id,
                             details=e.details, facts=e.facts)
        if digest != e.tenant_hash:
            problems.add(f"{tenant} entry {e.tenant_seq} was altered (hash mismatch)")
        prev, expected = e.tenant_hash, e.tenant_seq + 1
    head = session.get(AuditTenantHead, tenant)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != expected - 1 or head_hash != prev:
        problems.add(f"{tenant}: the chain ends at entry {expected - 1} but the head names entry {head_seq}: "
                     "entries were removed or the head was altered")
    return count, head_seq, head_hash


def _against(session: Session, chain: str, held: Checkpoint, head_seq: int) -> str | None:
    """Why the chain no longer contains ``held`` (None when it does)."""
    if held.seq > head_seq:
        return (f"a held checkpoint names entry {held.seq} of chain {chain} but the chain ends at entry {head_seq}: "
                "entries were removed and the head rewound")
    if chain == GLOBAL:
        stored = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == held.seq))
    else:
        stored = session.scalar(select(AuditEntry.tenant_hash).where(AuditEntry.tenant == chain,
                                                                     AuditEntry.tenant_seq == held.seq))
    if stored is None:
        return f"entry {held.seq} of chain {chain}, named by a held checkpoint, is missing"
    if stored != held.hash:
        return (f"entry {held.seq} of chain {chain} differs from the held checkpoint signed at {held.at}: "
                "the history was rewritten")
    return None


def _chunks(items: Sequence[Claim], size: int = 500) -> Iterator[Sequence[Claim]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _compare_claims(session: Session, claims: Sequence[Claim], snapshots: dict[str, str | None],
                    problems: _Problems) -> tuple[int, int]:
    """Compare each claim row (and its evidence and newest report) with the chain's newest snapshot."""
    compared = unbound = 0
    for chunk in _chunks(claims):
        for claim in chunk:
            if claim.id not in snapshots:
                problems.add(f"claim {claim.id} has no entry in the audit chain: it was written outside the service")
                continue
            text = snapshots[claim.id]
            if text is None:
                unbound += 1
                continue
            compared += 1
            for line in bound.differences(json.loads(text), bound.claim_facts(session, claim)):
                problems.add(f"claim {claim.id}: {line}")
        ids = [c.id for c in chunk]
        latest: dict[str, int] = {}
        for aid, cid in session.execute(select(ClaimAnalysis.id, ClaimAnalysis.claim_id)
                                        .where(ClaimAnalysis.claim_id.in_(ids))):
            latest[cid] = max(aid, latest.get(cid, 0))
        for row in session.execute(select(ClaimAnalysis.id, ClaimAnalysis.claim_id, ClaimAnalysis.report,
                                          ClaimAnalysis.report_sha256)
                                   .where(ClaimAnalysis.id.in_(list(latest.values())))):
            if row.report_sha256 is None:
                continue
            try:
                digest = report_digest_of_text(row.report)
            except ValueError:
                digest = "unreadable"
            if digest != row.report_sha256:
                problems.add(f"claim {row.claim_id}: the stored report of analysis {row.id} was altered "
                             "(its SHA-256 no longer matches)")
    gone = set(snapshots) - {c.id for c in claims}
    for claim_id in sorted(cid for cid in gone if snapshots[cid] is not None):
        problems.add(f"claim {claim_id} is in the audit chain but its row was deleted")
    return compared, unbound


def _tenants(session: Session) -> list[str]:
    names = set(session.scalars(select(AuditTenantHead.tenant)))
    names |= {t for t in session.scalars(select(AuditEntry.tenant).distinct()) if t is not None}
    return sorted(names)


def verify(*, session: Session, tenant: str | None = None, checkpoints: Iterable[Checkpoint] = (),
           trusted: dict[str, Any] | None = None, max_problems: int = 50) -> Verification:
    """Walk the chains of one tenant (``tenant``) or all of them (``None``, the operator's view) and report every
    break, comparing the claims with the chain and the chains with the held ``checkpoints``.

    A checkpoint of another chain than the scope's is reported as such and not compared (a tenant learns
    nothing of another tenant's chain). ``trusted`` maps key ids to public keys; a checkpoint whose signature
    does not hold is a problem, not a comparison.
    """
    problems = _Problems(max_problems)
    snapshots: dict[str, str | None] = {}
    heads: dict[str, int] = {}
    if tenant is None:
        count, seq, head = _walk_global(session, problems)
        heads[GLOBAL] = seq
        for name in _tenants(session):
            heads[name] = _walk_tenant(session, name, problems, snapshots)[1]
        claims = list(session.scalars(select(Claim).order_by(Claim.created_at, Claim.id)))
        scope = GLOBAL
    else:
        count, seq, head = _walk_tenant(session, tenant, problems, snapshots)
        heads[tenant] = seq
        claims = list(session.scalars(select(Claim).where(Claim.tenant == tenant)
                                      .order_by(Claim.created_at, Claim.id)))
        scope = tenant
    compared, unbound = _compare_claims(session, claims, snapshots, problems)
    checked = 0
    for cp in checkpoints:
        if cp.chain not in heads:
            if tenant is not None:
                problems.add(f"a checkpoint of another chain ({cp.chain!r}) was given; this verification covers "
                             f"{tenant!r} only")
            else:
                problems.add(f"a held checkpoint names chain {cp.chain!r}, which has no entries any more")
            continue
        if trusted is not None:
            try:
                cp.verify(trusted)
            except BadCheckpoint as exc:
                problems.add(str(exc))
                continue
        checked += 1
        problem = _against(session, cp.chain, cp, heads[cp.chain])
        if problem:
            problems.add(problem)
    return Verification(ok=not problems, scope=scope, entries=count, seq=seq, head=head, problems=list(problems),
                        claims=compared, unbound=unbound, checkpoints=checked, truncated=problems.truncated)
