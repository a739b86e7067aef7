"""Where webhooks may be sent: public addresses only, unless the operator allows private ones.

A webhook URL is chosen by a tenant, and the service posts to it from inside the platform's network. Without a
guard, a tenant could make the service call internal addresses (metadata endpoints, admin consoles on
loopback): server-side request forgery. The URL's host is checked when the endpoint is registered (literal
addresses and ``localhost``) and every resolved address is checked again before each delivery, so a name that
later resolves to an internal address is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from refundguard.service.errors import Invalid

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class RefusedTarget(Exception):
    """The delivery target resolves to an address that is not public."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL that is not absolute http(s), or (unless allowed) names a non-public host literally."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("webhook url must be an absolute http(s) URL", "Webhook 地址必须是完整的 http(s) URL")
    if allow_private:
        return
    host = parts.hostname.rstrip(".").lower()
    try:
        literal = not _public(host)
    except ValueError:
        literal = host in _LOCAL_NAMES or host.endswith(".localhost")
    if literal:
        raise Invalid(f"webhook host {host} is not a public address",
                      f"Webhook 主机 {host} 不是公网地址")


def check_resolved(url: str, *, allow_private: bool) -> None:
    """Resolve the URL's host and raise :class:`RefusedTarget` if any address is not public."""
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedTarget(f"cannot resolve {host}: {exc}") from exc
    bad = sorted({str(info[4][0]) for info in infos if not _public(str(info[4][0]))})
    if bad:
        raise RefusedTarget(f"{host} resolves to non-public address {', '.join(bad)}")
