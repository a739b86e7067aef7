"""``python -m bench ledger``: the cross-platform ledger's lookup, sync and pseudonym costs.

- **lookup**: p50/p99 of the reviewer's query (:func:`refundguard.ledger.lookup.matches_for`, through SQLAlchemy as
  the service runs it) on PostgreSQL holding ``N`` entries (10 M; 100 k with ``--quick``), each with a pseudonym
  key. The rows are generated inside the database with ``generate_series`` (no Python loop); the tables come from
  the real migration, their indexes are dropped for the load and rebuilt with the migration's definitions.
  Queries: existing pseudonyms (hits) and unknown ones (misses), drawn at random.
- **sync**: one member pulling 100 k entries (5 k quick) from a peer that runs as its own ``refundguard serve``
  process on loopback (SQLite, as ``make run``): every page fetched, every record's Ed25519 signature, hash chain
  and schema verified, each page applied in one transaction. The peer's records are signed and bulk-loaded first
  (their issue cost is reported apart).
- **pseudonym cost**: per identifier, the RFC 9497 VOPRF round in-process (blind + evaluate + verify + finalize),
  the same through the operator over HTTP (signed request, rate limiter, JSON), and the local HMAC.

The machine has 2 cores shared with other work: times are medians or percentiles over repeats, and noisy.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
REFUNDGUARD = Path(sys.executable).with_name("refundguard")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(_pct(values, 0.5) * 1000, 3), "p95_ms": round(_pct(values, 0.95) * 1000, 3),
            "p99_ms": round(_pct(values, 0.99) * 1000, 3), "max_ms": round(max(values) * 1000, 3),
            "queries": len(values)}


# ------------------------------------------------------------------------------------------------ lookup
LOAD_SQL = """
INSERT INTO ledger_entries (issuer, entry_id, outcome, amount, currency, decided_on, category, evidence_sha256,
                            expires_on, status, status_reason, record_seq, record_hash)
SELECT 'p' || (g % 40), 'e_' || lpad(to_hex(g), 20, '0'),
       CASE WHEN g % 7 = 0 THEN 'reused_evidence' ELSE 'forged_evidence' END, (g % 997) + 0.5, 'CNY',
       DATE '2025-01-01' + (g % 700), NULL, md5(g::text) || md5((g + 1)::text),
       CASE WHEN g % 10 = 0 THEN DATE '2025-06-01' ELSE DATE '2030-01-01' + (g % 700) END,
       CASE WHEN g % 25 = 0 THEN 'revoked' WHEN g % 31 = 0 THEN 'contested' ELSE 'active' END, NULL, g,
       md5((g * 3)::text) || md5((g * 5)::text)
FROM generate_series(1, :n) AS g;
INSERT INTO ledger_entry_keys (pseudonym, issuer, entry_id)
SELECT encode(sha256(int8send(g)), 'hex'), 'p' || (g % 40), 'e_' || lpad(to_hex(g), 20, '0')
FROM generate_series(1, :n) AS g;
"""


def _pseudonym_for(g: int) -> str:
    import hashlib

    return hashlib.sha256(g.to_bytes(8, "big", signed=True)).hexdigest()


def lookup(n: int, queries: int) -> dict[str, Any]:
    from sqlalchemy import text

    from refundguard.ledger.lookup import matches_for
    from refundguard.service.db import Database
    from tests.pg_server import start_postgres

    server = start_postgres()
    try:
        db = Database(server.create_database("ledger_bench"))
        db.upgrade()
        timings: dict[str, float] = {}
        with db.engine.begin() as conn:
            indexes = conn.execute(text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('ledger_entries', 'ledger_entry_keys')"
                " AND indexname NOT LIKE 'pk_%'")).all()
            for name, _ in indexes:
                conn.execute(text(f'DROP INDEX "{name}"'))
            for table, pk in (("ledger_entries", "pk_ledger_entries"), ("ledger_entry_keys", "pk_ledger_entry_keys")):
                conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{pk}"'))
        started = time.perf_counter()
        with db.engine.begin() as conn:
            for statement in LOAD_SQL.strip().split(";\n"):
                conn.execute(text(statement), {"n": n})
        timings["generate_rows_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        with db.engine.begin() as conn:
            conn.execute(text("SET maintenance_work_mem = '512MB'"))
            conn.execute(text("ALTER TABLE ledger_entries ADD CONSTRAINT pk_ledger_entries PRIMARY KEY "
                              "(issuer, entry_id)"))
            conn.execute(text("ALTER TABLE ledger_entry_keys ADD CONSTRAINT pk_ledger_entry_keys PRIMARY KEY "
                              "(pseudonym, issuer, entry_id)"))
            for _, definition in indexes:
                conn.execute(text(definition))
        timings["build_indexes_s"] = round(time.perf_counter() - started, 1)
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        rng = random.Random(18)
        today = date(2026, 12, 1)
        load_before = os.getloadavg()[0]

        def keys(i: int) -> tuple[list[str], str]:
            if i % 3 == 2:
                return [secrets.token_hex(32)], "miss"
            return [_pseudonym_for(rng.randint(1, n)), secrets.token_hex(32)], "hit"  # a phone and an ID

        with db.session() as session:  # warm the plan cache and the buffers a little, as a running service has
            for i in range(100):
                matches_for(session, keys(i)[0], today=today)
        sql = ("SELECT e.issuer, e.entry_id, e.outcome, e.amount, e.currency, e.decided_on, e.expires_on, "
               "e.record_seq, e.record_hash FROM ledger_entries e JOIN ledger_entry_keys k ON k.issuer = e.issuer "
               "AND k.entry_id = e.entry_id WHERE k.pseudonym = ANY(%(p)s) AND e.status = 'active' AND "
               "e.expires_on > %(d)s AND NOT EXISTS (SELECT 1 FROM ledger_appeals a WHERE a.status = 'open' AND "
               "a.issuer = e.issuer AND a.entry_id = e.entry_id) ORDER BY e.decided_on, e.issuer, e.entry_id LIMIT 200")
        measured: dict[str, list[float]] = {"hit": [], "miss": []}
        raw: list[float] = []
        found = 0
        import psycopg

        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with db.session() as session, psycopg.connect(url) as conn:
            for i in range(queries):  # the two paths on the same keys, alternating which goes first
                k, kind = keys(i)
                for path in (("service", "raw") if i % 2 else ("raw", "service")):
                    t0 = time.perf_counter()
                    if path == "service":
                        found += len(matches_for(session, k, today=today))
                        measured[kind].append(time.perf_counter() - t0)
                    else:
                        conn.execute(sql, {"p": k, "d": today}, prepare=True).fetchall()
                        raw.append(time.perf_counter() - t0)
            server_ms = []
            for i in range(min(queries, 500)):
                lines = [r[0] for r in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql,
                                                    {"p": keys(i)[0], "d": today}).fetchall()]
                server_ms.append(float(next(x for x in lines if x.startswith("Execution Time")).split()[2]) / 1000)
            plan = "\n".join(lines)
        db.dispose()
        everything = measured["hit"] + measured["miss"]
        p99 = _pct(everything, 0.99) * 1000
        return {"entries": n, "keys": n, **timings, "database_bytes": int(size), "standing_matches": found,
                "service_query": {**_ms(everything), "hits": _ms(measured["hit"]), "misses": _ms(measured["miss"]),
                                  "what": "matches_for() through SQLAlchemy, as the service runs it"},
                "prepared_sql": {**_ms(raw), "what": "the same SQL, psycopg prepared statement"},
                "server_execution": {**_ms(server_ms), "what": "PostgreSQL's own execution time (EXPLAIN ANALYZE)"},
                "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                "target_p99_ms": 5.0, "met_end_to_end": p99 <= 5.0,
                "met_server_side": _pct(server_ms, 0.99) * 1000 <= 5.0, "plan": plan}
    finally:
        server.stop()


# -------------------------------------------------------------------------------------------------- sync
def _signed_records(n: int, key: Any) -> tuple[list[dict[str, Any]], float]:
    from refundguard.ledger.records import GENESIS, make_record

    records, prev = [], GENESIS
    at = datetime.now(UTC)
    started = time.perf_counter()
    for seq in range(1, n + 1):
        body = {"entry_id": f"e_{seq:020x}", "pseudonyms": [_pseudonym_for(seq)], "outcome": "forged_evidence",
                "amount": float(seq % 500) + 0.5, "currency": "CNY", "decided_on": "2026-06-01", "category": None,
                "evidence_sha256": _pseudonym_for(-seq), "expires_on": "2028-06-01"}
        record = make_record(key, issuer="peer", seq=seq, prev=prev, kind="entry", at=at, body=body)
        records.append(record)
        prev = record["hash"]
    return records, time.perf_counter() - started


def sync(n: int) -> dict[str, Any]:
    from sqlalchemy import func, insert, select

    from refundguard.ledger import signing
    from refundguard.ledger.config import LedgerConfig, OperatorLink, Peer
    from refundguard.ledger.feeds.sync import PeerFetcher, sync_peer
    from refundguard.ledger.models import LedgerHead, LedgerRecord
    from refundguard.ledger.records import canonical
    from refundguard.service.db import Database

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        peer_key = signing.SigningKey.from_file(root / "peer" / "signing.key")
        member_key = signing.SigningKey.from_file(root / "member" / "signing.key")
        records, sign_s = _signed_records(n, peer_key)
        peer_db = Database(f"sqlite:///{root / 'peer.db'}")
        peer_db.upgrade()
        with peer_db.engine.begin() as conn:
            conn.execute(insert(LedgerRecord), [
                {"issuer": "peer", "seq": r["seq"], "prev": r["prev"], "kind": r["kind"], "at": r["at"],
                 "body_sha256": r["body_sha256"], "hash": r["hash"], "sig": r["sig"],
                 "body": canonical(r["body"]).decode(), "entry_id": r["body"]["entry_id"],
                 "received_at": datetime.now(UTC)} for r in records])
            conn.execute(insert(LedgerHead), [{"issuer": "peer", "seq": n, "hash": records[-1]["hash"],
                                               "public_key": peer_key.public_hex}])
        peer_db.dispose()
        (root / "peer.toml").write_text(
            f'mode = "network"\nplatform = "peer"\nkey_dir = "{root / "peer"}"\n'
            f'[operator]\nurl = "http://127.0.0.1:9"\npublic_key = "{"00" * 32}"\n'
            f'[[members]]\nplatform = "member"\npublic_key = "{member_key.public_hex}"\n')
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("REFUNDGUARD_")}
        env.update({"REFUNDGUARD_DATABASE_URL": f"sqlite:///{root / 'peer.db'}", "REFUNDGUARD_DATA_DIR": str(root),
                    "REFUNDGUARD_LEDGER_CONFIG": str(root / "peer.toml"), "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"})
        proc = subprocess.Popen([str(REFUNDGUARD), "serve", "--port", str(port), "--log-level", "warning"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the peer service did not start")
                time.sleep(0.2)
            config = LedgerConfig(mode="network", platform="member", key_dir=root / "member",
                                  operator=OperatorLink(url="http://127.0.0.1:9", public_key="00" * 32),
                                  peers=[Peer(platform="peer", url=url, public_key=peer_key.public_hex)])
            member_db = Database(f"sqlite:///{root / 'member.db'}")
            member_db.upgrade()
            fetcher = PeerFetcher(config, member_key)
            peer_cpu, started, cpu = _cpu_s(proc.pid), time.perf_counter(), time.process_time()
            result = sync_peer(member_db, fetcher, config.peers[0])
            elapsed, member_cpu = time.perf_counter() - started, time.process_time() - cpu
            peer_cpu = _cpu_s(proc.pid) - peer_cpu
            fetcher.close()
            with member_db.session() as session:
                held = session.scalar(select(func.count()).select_from(LedgerRecord))
            member_db.dispose()
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
    return {"entries": n, "ok": result.ok, "code": result.code, "applied": result.applied, "held": held,
            "pages": -(-n // config.page_records), "page_records": config.page_records,
            "sync_s": round(elapsed, 2), "entries_per_s": round(n / elapsed), "target_s": 60.0,
            "met": result.ok and elapsed <= 60.0, "issuer_sign_s": round(sign_s, 2),
            "cpu_s": {"member": round(member_cpu, 1), "peer": round(peer_cpu, 1),
                      "what": "CPU seconds each process used (the machine's other load excluded)"},
            "load_average_1min": round(os.getloadavg()[0], 2),
            "setup": "peer: `refundguard serve` subprocess on loopback, SQLite; member: this process, SQLite"}


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------------------------------- pseudonyms
def pseudonyms(repeats: int) -> dict[str, Any]:
    import uvicorn

    from refundguard.ledger import signing
    from refundguard.ledger.config import Member
    from refundguard.ledger.identifiers import phone
    from refundguard.ledger.operator.app import OperatorConfig, create_operator_app
    from refundguard.ledger.pseudonyms import oprf
    from refundguard.ledger.pseudonyms.client import OperatorClient
    from refundguard.ledger.pseudonyms.local import LocalHmac

    ident = phone("13800138000")
    evaluator = oprf.Evaluator(secrets.token_bytes(32))

    def in_process() -> None:
        blinded = oprf.blind([ident.oprf_input])
        oprf.finalize(blinded, evaluator.evaluate(blinded.elements), evaluator.public_key)

    hmac_ = LocalHmac(secrets.token_bytes(32))
    out: dict[str, Any] = {}
    for name, fn in (("voprf_in_process", in_process), ("hmac_single_platform",
                                                        lambda: hmac_.pseudonyms([ident]))):
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        out[name] = {"median_ms": round(statistics.median(times) * 1000, 4), "repeats": repeats}
    with tempfile.TemporaryDirectory() as tmp:
        member = signing.SigningKey.generate()
        app = create_operator_app(OperatorConfig(key_file=Path(tmp) / "oprf.key", rate_per_minute=1e9, burst=10**9,
                                                 members=[Member(platform="m", public_key=member.public_hex)]))
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        client = OperatorClient(url=f"http://127.0.0.1:{port}", public_key=app.state.evaluator.public_key,
                                member="m", key=member)
        times = []
        for _ in range(max(20, repeats // 4)):
            t0 = time.perf_counter()
            client.pseudonyms([ident])
            times.append(time.perf_counter() - t0)
        client.close()
        server.should_exit = True
        thread.join(timeout=10)
    out["voprf_via_operator_http"] = {"median_ms": round(statistics.median(times) * 1000, 3),
                                      "p95_ms": round(_pct(times, 0.95) * 1000, 3), "repeats": len(times),
                                      "note": "member and operator in one process on loopback (they share the GIL)"}
    out["when"] = "once per buyer identifier registered; a lookup reads stored pseudonyms and costs no OPRF call"
    return out


def run(quick: bool = False) -> dict[str, Any]:
    n_lookup = int(os.environ.get("LEDGER_BENCH_ENTRIES", 100_000 if quick else 10_000_000))
    n_sync = 5_000 if quick else 100_000
    result = {"pseudonym_cost": pseudonyms(200 if quick else 1000)}
    result["sync"] = sync(n_sync)
    result["lookup_postgresql"] = lookup(n_lookup, 600 if quick else 3000)
    result["cpus_note"] = "2-core machine shared with other engineers' jobs; run under nice -n 10"
    return result


if __name__ == "__main__":  # python bench/ledger.py PART
    part = sys.argv[1] if len(sys.argv) > 1 else "pseudonyms"
    print(json.dumps({"pseudonyms": lambda: pseudonyms(200), "sync": lambda: sync(5000),
                      "lookup": lambda: lookup(100_000, 600)}[part](), indent=2, default=str))
