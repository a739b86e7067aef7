"""Webhook targets: internal addresses are refused at registration and again before each delivery (SSRF)."""

from __future__ import annotations

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
from refundguard.service.webhooks.targets import RefusedTarget, check_resolved, check_url

INTERNAL = ["http://127.0.0.1:8080/hook", "http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hook", "http://[::ffff:127.0.0.1]/hook", "http://localhost/hook",
            "https://api.localhost/hook", "http://192.168.0.10/hook", "http://0.0.0.0/hook", "http://[fd00::1]/"]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_hosts_are_refused_at_registration(url: str) -> None:
    with pytest.raises(Invalid) as exc:
        check_url(url, allow_private=False)
    assert "public" in exc.value.args[0] or "public" in str(exc.value)
    check_url(url, allow_private=True)


@pytest.mark.parametrize("url", ["https://hooks.example.com/rg", "http://93.184.216.34/hook"])
def test_public_hosts_are_accepted(url: str) -> None:
    check_url(url, allow_private=False)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "example.com/hook", "http:///nohost"])
def test_non_http_urls_are_refused(url: str) -> None:
    with pytest.raises(Invalid):
        check_url(url, allow_private=True)


def test_names_resolving_to_internal_addresses_are_refused_before_sending() -> None:
    with pytest.raises(RefusedTarget, match="non-public"):
        check_resolved("http://localhost:9/hook", allow_private=False)
    check_resolved("http://localhost:9/hook", allow_private=True)


def test_api_refuses_an_internal_webhook_with_422(service) -> None:  # type: ignore[no-untyped-def]
    client, keys = service
    resp = client.post("/v1/webhooks", headers=keys.h("platform"),
                       json={"url": "http://169.254.169.254/latest/meta-data"})
    assert resp.status_code == 422
    assert "public" in resp.text


def test_delivery_to_an_endpoint_that_became_internal_is_refused_and_logged(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    Base.metadata.create_all(db.engine)
    principal = Principal(key_id="k", tenant="t", role=Role.PLATFORM)
    with db.session() as session:
        # Registered while private targets were allowed; the operator has since turned that off.
        webhooks.create_endpoint(session=session, principal=principal, url="http://localhost:9/hook",
                                 allow_private=True)
        webhooks.emit(session=session, tenant="t", event="claim.decided", data={"id": "c1"})
        session.commit()
    sent: list[httpx.Request] = []
    client = httpx.Client(transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200)))
    assert webhooks.dispatch_due(db, WebhookConfig(allow_private_targets=False), client=client) == 1
    assert sent == []
    with db.session() as session:
        errors = list(session.scalars(select(WebhookAttempt.error)))
    assert len(errors) == 1 and errors[0].startswith("refused:")
