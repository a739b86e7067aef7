"""The audit chain over HTTP: verify the tenant's chain, get a signed checkpoint to keep, get the public key.

A key sees only its own tenant's chain: entries, head and problems of other tenants never appear in an
answer. An admin key may verify every chain (``scope=all``), the operator's view.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from refundguard.service.audit import service
from refundguard.service.audit.signing import BadCheckpoint, Checkpoint
from refundguard.service.auth.deps import CurrentPrincipal, DbSession
from refundguard.service.auth.permissions import require
from refundguard.service.errors import Conflict, Invalid, NotFound

router = APIRouter(prefix="/v1/audit", tags=["audit"])
Scope = Literal["tenant", "all"]


class VerificationRead(BaseModel):
    ok: bool
    scope: str = Field(description="The tenant whose chain was walked, or '*' for every chain (admin).")
    entries: int
    seq: int = Field(description="Number of the newest entry of the chain walked.")
    head: str = Field(description="Hash of the newest entry of the chain walked.")
    problems: list[str]
    claims: int = Field(description="Claims compared with the chain's newest snapshot of their facts.")
    unbound: int = Field(description="Claims whose entries were all written before facts were chained.")
    checkpoints: int = Field(description="Signed checkpoints the chain was compared with (held by the service "
                                         "and given in the request).")
    truncated: bool


class CheckpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkpoints: Annotated[list[dict[str, Any]], Field(max_length=100)] = Field(
        default_factory=list, description="Checkpoints you hold (refundguard.audit-checkpoint/1 documents).")


class PublicKeyRead(BaseModel):
    key_id: str
    public_key: str = Field(description="Raw Ed25519 public key, base64.")
    public_key_pem: str


def _run(session: DbSession, principal: CurrentPrincipal, scope: Scope,
         given: list[dict[str, Any]]) -> VerificationRead:
    require(principal, "audit.verify")
    tenant: str | None = principal.tenant
    if scope == "all":
        require(principal, "audit.verify_all")
        tenant = None
    try:
        held = [Checkpoint.from_dict(cp) for cp in given]
    except BadCheckpoint as exc:
        raise Invalid(f"checkpoint: {exc}", f"检查点无效：{exc}") from exc
    guard = service.guard_of(session)
    trusted = guard.signer.trusted() if guard is not None and guard.signer is not None else {}
    result = service.verify(session=session, tenant=tenant, trusted=trusted,
                            checkpoints=service.held_checkpoints(session, tenant) + held)
    return VerificationRead(ok=result.ok, scope=result.scope, entries=result.entries, seq=result.seq,
                            head=result.head, problems=result.problems, claims=result.claims,
                            unbound=result.unbound, checkpoints=result.checkpoints, truncated=result.truncated)


@router.get("/verify", response_model=VerificationRead)
def verify(session: DbSession, principal: CurrentPrincipal,
           scope: Annotated[Scope, Query(description="tenant (your chain) or all (admin keys)")] = "tenant",
           ) -> VerificationRead:
    """Walk the tenant's chain (or every chain, for admin keys with ``scope=all``), compare every claim with the
    chain's snapshot of its facts and the chain with the service's held checkpoints, and report every break."""
    return _run(session, principal, scope, [])


@router.post("/verify", response_model=VerificationRead)
def verify_against(body: CheckpointIn, session: DbSession, principal: CurrentPrincipal,
                   scope: Annotated[Scope, Query()] = "tenant") -> VerificationRead:
    """The same, also against checkpoints you hold (from webhooks or ``GET /v1/audit/checkpoint``): a history
    rewritten after a checkpoint was signed fails against it."""
    return _run(session, principal, scope, body.checkpoints)


@router.get("/checkpoint")
def get_checkpoint(session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """A signed checkpoint of the tenant's chain head now (``refundguard.audit-checkpoint/1``): keep it."""
    require(principal, "audit.checkpoint")
    guard = service.guard_of(session)
    if guard is None or guard.signer is None:
        raise NotFound("this service signs no checkpoints (no signing key)", "本服务未配置签名密钥，无法签发检查点")
    cp = service.checkpoint(session, principal.tenant)
    if cp is None:
        if service.chain_diverged(session, principal.tenant):
            raise Conflict("the audit chain no longer contains the checkpoint the service holds: no checkpoint is "
                           "signed; run an audit verification", "审计链与服务持有的检查点不一致：不签发检查点",
                           code="audit_chain_diverged")
        raise NotFound("the tenant's audit chain has no entries yet", "该租户的审计链尚无条目")
    return cp.to_dict()


@router.get("/public-key", response_model=PublicKeyRead)
def public_key(session: DbSession, _: CurrentPrincipal) -> PublicKeyRead:
    """The Ed25519 public key that signs checkpoints (any valid key may read it)."""
    guard = service.guard_of(session)
    if guard is None or guard.signer is None:
        raise NotFound("this service signs no checkpoints (no signing key)", "本服务未配置签名密钥")
    return PublicKeyRead(key_id=guard.signer.key_id, public_key=guard.signer.public_b64,
                         public_key_pem=guard.signer.public_pem)
