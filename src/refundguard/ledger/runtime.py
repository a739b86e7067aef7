"""``Ledger``: the ledger of one service process — its settings, keys, pseudonymizer, feed fetcher and loop.

Built once per process from :class:`~refundguard.ledger.config.LedgerConfig` and the service's database.
:meth:`Ledger.tick` is one round of the background work (publish due entries, expire, forward appeals, pull every
peer); the service runs it in a thread every ``sync_interval_s`` and Celery beat can run it instead
(:mod:`refundguard.ledger.tasks`).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import httpx

from refundguard.checks.registry import ClaimInfo
from refundguard.errors import NotApplicable, not_applicable
from refundguard.ledger import adjudication, appeals, auth, lookup, signing
from refundguard.ledger.buyers import BuyerLinks
from refundguard.ledger.config import LedgerConfig
from refundguard.ledger.feeds import publish
from refundguard.ledger.feeds.sync import PeerFetcher, SyncResult, sync_peer
from refundguard.ledger.identifiers import Identifier
from refundguard.ledger.pseudonyms import Pseudonymizer
from refundguard.ledger.pseudonyms.client import OperatorClient
from refundguard.ledger.pseudonyms.local import LocalHmac
from refundguard.service.db import Database, utcnow
from refundguard.service.errors import DomainError

log = logging.getLogger("refundguard.ledger")
APPEAL_PATH = "/v1/ledger/member/appeals"
#: the lookup's refusals (by error code) as the ledger check's not-applicable reasons in the message catalogue
_REFUSALS = {"claim_not_open": "ledger.na.not_open", "no_buyer": "ledger.na.no_buyer",
             "not_found": "ledger.na.not_stored"}


class Ledger:
    def __init__(self, config: LedgerConfig, db: Database, data_dir: Path, *,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self.db = db
        key_dir = Path(config.key_dir) if config.key_dir else Path(data_dir) / "ledger"
        self.key = signing.SigningKey.from_file(key_dir / "signing.key")
        self.links = BuyerLinks(signing.read_secret(key_dir / "buyer-link.key", create=True))
        self.pseudonymizer: Pseudonymizer
        if config.mode == "network":
            self.pseudonymizer = OperatorClient(url=config.operator.url, public_key=config.operator.public_key,
                                                member=config.platform, key=self.key,
                                                timeout_s=config.operator.timeout_s, transport=transport)
        else:
            self.pseudonymizer = LocalHmac(signing.read_secret(key_dir / "pseudonym.key", create=True))
        self.fetcher = PeerFetcher(config, self.key, transport=transport)
        self.members = config.member_keys()
        self.nonces = auth.NonceCache()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tick_lock = threading.Lock()

    # ------------------------------------------------------------------ setup
    def prepare(self) -> None:
        """Create the own feed's head row (after migrations)."""
        with self.db.session() as session:
            publish.ensure_head(session, issuer=self.config.platform, public_key=self.key.public_hex)

    def pseudonyms(self, identifiers: list[Identifier]) -> list[str]:
        return self.pseudonymizer.pseudonyms(identifiers)

    # ------------------------------------------------------------------ background work
    def sync(self) -> list[SyncResult]:
        return [sync_peer(self.db, self.fetcher, peer) for peer in self.config.peers]

    def publish_and_expire(self) -> tuple[int, int]:
        with self.db.session() as session:
            published = adjudication.publish_due(session, self)
        with self.db.session() as session:
            expired = adjudication.expire_due(session, self)
        return published, expired

    def forward_appeals(self) -> int:
        peers = {p.platform: p for p in self.config.peers}
        sent = 0
        with self.db.session() as session:
            for appeal in appeals.to_forward(session, self):
                peer = peers.get(appeal.issuer or "")
                if peer is None:
                    appeal.forward_error = f"{appeal.issuer} is not a configured peer"
                    continue
                body = json.dumps({"appeal_id": appeal.id, "entry_id": appeal.entry_id,
                                   "statement": appeal.statement}).encode()
                headers = {"Content-Type": "application/json",
                           **auth.sign_request(self.key, self.config.platform, "POST", APPEAL_PATH, body)}
                try:
                    response = self.fetcher.client.post(peer.url + APPEAL_PATH, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    appeal.forward_error = f"unreachable: {type(exc).__name__}"
                    continue
                if response.status_code in (200, 201):
                    appeal.forwarded_at, appeal.forward_error = utcnow(), None
                    sent += 1
                else:
                    appeal.forward_error = f"HTTP {response.status_code}: {response.text[:300]}"
        return sent

    def tick(self) -> dict[str, Any]:
        """One round: publish and expire, forward appeals, pull every peer. Each part fails on its own."""
        out: dict[str, Any] = {}
        with self._tick_lock:
            for name, step in (("published", self.publish_and_expire), ("forwarded", self.forward_appeals),
                               ("synced", self.sync)):
                try:
                    out[name] = step()
                except Exception:  # a failing part is logged and retried next round
                    log.exception("ledger %s failed", name)
                    out[name] = "failed"
        return out

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="rg-ledger", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(min(self.config.sync_interval_s, self.config.publish_interval_s)):
            self.tick()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.fetcher.close()
        closer = getattr(self.pseudonymizer, "close", None)
        if callable(closer):
            closer()

    # ------------------------------------------------------------------ the engine's handle
    def prior_abuse(self, info: ClaimInfo) -> lookup.PriorAbuse:
        """For the ``ledger`` check: the buyer's standing entries for the claim being analysed."""
        if not info.claim_id or not info.account_id:
            raise not_applicable("ledger.na.not_stored")
        if not info.buyer_id:
            raise not_applicable("ledger.na.no_buyer")
        try:
            with self.db.session() as session:
                result = lookup.prior_abuse(session, tenant=info.account_id, claim_id=info.claim_id,
                                            actor="system:analysis")
        except DomainError as exc:
            key = _REFUSALS.get(exc.code)
            raise (not_applicable(key) if key else NotApplicable(exc.en)) from None
        if not result.registered:
            raise not_applicable("ledger.na.not_registered", buyer_id=info.buyer_id)
        return result
