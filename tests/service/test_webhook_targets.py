"""Webhook targets: one strict validator at registration and again before each delivery (SSRF).

Every spelling of an internal address is refused (not interpreted), malformed URLs are a 422 and never a 500,
and a name that resolves to an internal address is refused before anything is sent.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from refundguard.service.auth.service import Principal, Role
from refundguard.service.config import WebhookConfig
from refundguard.service.db import Database
from refundguard.service.errors import Invalid
from refundguard.service.models import Base
from refundguard.service.webhooks import service as webhooks
from refundguard.service.webhooks.models import WebhookAttempt
from refundguard.service.webhooks.targets import RefusedTarget, Target, check_resolved, check_url, parse, resolve

PORTS = WebhookConfig().allowed_ports
INTERNAL = ["http://127.0.0.1:8080/hook", "http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hook", "http://[::ffff:127.0.0.1]/hook", "http://localhost/hook",
            "https://api.localhost/hook", "http://192.168.0.10/hook", "http://0.0.0.0/hook", "http://[fd00::1]/",
            "http://100.64.0.1/", "http://[fe80::1]/", "http://224.0.0.1/", "http://[::]/",
            "http://metadata.google.internal/computeMetadata/v1/", "http://printer.local/", "http://intranet/",
            "http://[64:ff9b:1::a00:1]/", "http://[2002:7f00:1::]/"]
#: other spellings of loopback and of the metadata address: refused as non-canonical, never interpreted
SPELLINGS = ["http://2130706433/", "http://0x7f000001/", "http://0x7f.0.0.1/", "http://127.1/", "http://127.0.1/",
             "http://0177.0.0.1/", "http://0/", "http://00/", "http://127.000.000.001/", "http://2852039166/",
             "http://0xa9fea9fe/", "http://169.254.43518/", "http://0251.0376.0251.0376/", "http://127.0.0.1./",
             "http://１２７.０.０.１/", "http://①②⑦.0.0.1/", "http://%31%32%37.0.0.1/", "http://[::127.0.0.1]/",
             "http://[64:ff9b::7f00:1]/", "http://[64:ff9b::169.254.169.254]/", "http://[::ffff:7f00:1]/",
             "http://[::ffff:169.254.169.254]/", "http://[0:0:0:0:0:ffff:127.0.0.1]/", "http://[::1%25eth0]/"]
MALFORMED = ["http://[::1/", "http://[::1]x/", "http://[]/", "http://[not-v6]/", "https://8.8.8.8:99999/hook",
             "https://8.8.8.8:0/hook", "http://example.com:-1/", "http://example.com:+80/", "http://example.com:8o/",
             "http://example.com:22/", "http://example.com:25/", "ftp://example.com/x", "example.com/hook",
             "http:///nohost", "//example.com/x", "javascript:alert(1)", "http://user:pw@example.com/",
             "http://example.com@127.0.0.1/", "http://example.com\\@127.0.0.1/", "http://exa mple.com/",
             "http://example.com/\n", "http://example.com/#frag", "http://-bad-.example.com/", "http://a..b.com/",
             "http://ex_ample.com/", "http://" + "a" * 64 + ".com/", "https://例子.测试/", "http://1:2:3/",
             "https://hooks.example.com/" + "x" * 2000, ""]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_hosts_are_refused_at_registration(url: str) -> None:
    with pytest.raises(Invalid) as exc:
        check_url(url, allow_private=False, allowed_ports=PORTS)
    assert "public" in exc.value.en and exc.value.zh and exc.value.status == 422


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://[::1]:9000/", "http://localhost:8080/x",
                                 "http://intranet:8080/", "http://10.1.2.3/hook"])
def test_operators_may_allow_private_receivers(url: str) -> None:
    check_url(url, allow_private=True, allowed_ports=PORTS)


@pytest.mark.parametrize("url", SPELLINGS)
def test_every_other_spelling_of_an_internal_address_is_refused(url: str) -> None:
    with pytest.raises(Invalid):
        check_url(url, allow_private=False, allowed_ports=PORTS)


@pytest.mark.parametrize("url", ["http://2130706433/", "http://0x7f000001/", "http://127.1/", "http://0177.0.0.1/",
                                 "http://0/", "http://１２７.０.０.１/"])
def test_ambiguous_spellings_are_refused_even_where_private_targets_are_allowed(url: str) -> None:
    with pytest.raises(Invalid, match=r"canonical|ASCII"):
        check_url(url, allow_private=True, allowed_ports=PORTS)


@pytest.mark.parametrize("url", MALFORMED)
def test_malformed_urls_are_refused_with_a_message(url: str) -> None:
    with pytest.raises(Invalid) as exc:
        check_url(url, allow_private=True, allowed_ports=PORTS)
    assert exc.value.code == "invalid_webhook_url" and exc.value.en.startswith("webhook url:") and exc.value.zh


@pytest.mark.parametrize(("url", "host", "port", "ip"), [
    ("https://hooks.example.com/rg", "hooks.example.com", 443, None),
    ("HTTPS://Hooks.Example.COM./rg?x=1", "hooks.example.com", 443, None),
    ("http://93.184.216.34/hook", "93.184.216.34", 80, "93.184.216.34"),
    ("https://[2606:2800:220:1:248:1893:25c8:1946]:8443/x", "2606:2800:220:1:248:1893:25c8:1946", 8443,
     "2606:2800:220:1:248:1893:25c8:1946"),
    ("https://[64:ff9b::808:808]/hook", "64:ff9b::808:808", 443, "64:ff9b::808:808"),  # NAT64 of 8.8.8.8
    ("https://xn--fsqu00a.xn--0zwm56d/hook", "xn--fsqu00a.xn--0zwm56d", 443, None),
    ("http://0x.example.com:1024/", "0x.example.com", 1024, None),
])
def test_public_hosts_are_accepted_in_canonical_form(url: str, host: str, port: int, ip: str | None) -> None:
    target = check_url(url, allow_private=False, allowed_ports=PORTS)
    assert (target.host, target.port, str(target.ip) if target.ip else None) == (host, port, ip)


def test_the_connection_goes_to_the_checked_address_with_the_name_kept() -> None:
    target = parse("https://hooks.example.com:8443/rg?a=1", allow_private=False, allowed_ports=PORTS)
    assert target.url_to("93.184.216.34") == "https://93.184.216.34:8443/rg?a=1"
    assert target.host_header == "hooks.example.com:8443"
    v6 = Target("http", "2001:db8::1", 80, "/", None)
    assert v6.url_to("2606:2800:220:1:248:1893:25c8:1946") == "http://[2606:2800:220:1:248:1893:25c8:1946]:80/"


def _resolver(answers: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    async def lookup(host: str, _port: int) -> list[str]:
        if host not in answers:
            raise OSError("no such name")
        return answers[host]

    return lookup


@pytest.mark.parametrize(("answers", "ok"), [
    (["93.184.216.34"], True), (["10.0.0.5"], False), (["93.184.216.34", "127.0.0.1"], False),
    (["::ffff:169.254.169.254"], False), (["64:ff9b::a9fe:a9fe"], False), ([], False),
])
def test_names_are_resolved_and_every_address_checked(answers: list[str], ok: bool) -> None:
    target = parse("https://hooks.example.com/rg", allow_private=False, allowed_ports=PORTS)
    lookup = _resolver({"hooks.example.com": answers})
    if ok:
        assert asyncio.run(resolve(target, allow_private=False, resolver=lookup)) == answers[0]
    else:
        with pytest.raises(RefusedTarget):
            asyncio.run(resolve(target, allow_private=False, resolver=lookup))
    with pytest.raises(RefusedTarget, match="cannot resolve"):
        asyncio.run(resolve(parse("https://gone.example.com/", allow_private=False, allowed_ports=PORTS),
                            allow_private=False, resolver=lookup))


def test_names_resolving_to_internal_addresses_are_refused_before_sending() -> None:
    with pytest.raises(RefusedTarget, match="public"):
        check_resolved("http://localhost:9999/hook", allow_private=False, allowed_ports=PORTS)
    assert check_resolved("http://localhost:9999/hook", allow_private=True, allowed_ports=PORTS) in ("127.0.0.1",
                                                                                                     "::1")


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data", "http://2130706433/", "http://[::1/",
                                 "https://8.8.8.8:99999/hook", "http://[64:ff9b::7f00:1]/", "http://１２７.０.０.１/",
                                 "http://user@example.com/"])
def test_api_refuses_bad_webhook_urls_with_422(service, url: str) -> None:  # type: ignore[no-untyped-def]
    client, keys = service
    resp = client.post("/v1/webhooks", headers=keys.h("platform"), json={"url": url})
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["message"]["en"] and resp.json()["error"]["message"]["zh"]
    assert client.get("/v1/webhooks", headers=keys.h("platform")).json() == {"items": [], "total": 0, "limit": 100,
                                                                            "offset": 0}


def test_delivery_to_an_endpoint_that_became_internal_is_refused_and_logged(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    Base.metadata.create_all(db.engine)
    principal = Principal(key_id="k", tenant="t", role=Role.PLATFORM)
    with db.session() as session:
        # Registered while private targets were allowed; the operator has since turned that off.
        webhooks.create_endpoint(session=session, principal=principal, url="http://localhost:9999/hook",
                                 allow_private=True)
        webhooks.emit(session=session, tenant="t", event="claim.decided", data={"id": "c1"})
        session.commit()
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200))
    assert webhooks.dispatch_due(db, WebhookConfig(allow_private_targets=False), transport=transport) == 1
    assert sent == []
    with db.session() as session:
        errors = list(session.scalars(select(WebhookAttempt.error)))
    assert len(errors) == 1 and errors[0].startswith("refused:")
