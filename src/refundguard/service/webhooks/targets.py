"""Where webhooks may be sent: one strict URL validator, used at registration and again before every delivery.

A webhook URL is chosen by a tenant, and the service posts to it from inside the platform's network. Without a
guard, a tenant could make the service call internal addresses (metadata endpoints, admin consoles on
loopback): server-side request forgery. So a URL must be

- printable ASCII (international names in their ``xn--`` form), at most 2000 characters, absolute
  ``http``/``https``, without user name, password or fragment, without backslashes, spaces or control
  characters;
- on a port in ``webhooks.allowed_ports`` (default ``80,443,1024-65535``);
- to a host that is either a DNS name of at least two labels (no ``localhost``, ``.local``, ``.internal``
  and other special-use names), a canonical dotted-decimal IPv4 address, or a bracketed IPv6 address.
  Every other spelling the C library or a browser would read as an IPv4 address (``2130706433``,
  ``0x7f000001``, ``127.1``, ``0177.0.0.1``, ``0``) is refused outright rather than interpreted;
- (unless the operator allows private targets) to a public address: global unicast, and for IPv6 forms that
  embed an IPv4 address (``::ffff:a.b.c.d``, ``::a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4, Teredo) the
  embedded address must be public too.

Before each delivery the URL is validated again, the name is resolved, every address is checked, and the
request is sent to the checked address (the name is kept for ``Host`` and TLS), so a name that is re-pointed
to an internal address between the check and the connection (DNS rebinding) does not get through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import string
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from refundguard.service.errors import Invalid
from refundguard.service.webhooks.sync import run_coroutine

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

MAX_URL = 2000
_PRINTABLE = frozenset(string.printable) - frozenset(string.whitespace) - {"\\"}
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "broadcasthost"}
#: special-use and private-use names (RFC 6761, 6762, 8375, ICANN's .internal)
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan", ".intranet", ".test", ".invalid",
                   ".onion", ".arpa")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_CANONICAL_V4 = re.compile(r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_V4_COMPATIBLE = ipaddress.IPv6Network("::/96")


class RefusedTarget(Exception):
    """The delivery target is not acceptable now (invalid URL, or it resolves to a non-public address)."""


@dataclass(frozen=True, slots=True)
class Target:
    """A validated webhook URL."""

    scheme: str
    host: str  # lower-case DNS name, or the IP address without brackets
    port: int
    target: str  # path and query, at least "/"
    ip: IPAddress | None  # the address when the URL names one literally

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if isinstance(self.ip, ipaddress.IPv6Address) else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    def url_to(self, address: str) -> str:
        """This URL with its host replaced by ``address`` (the checked address to connect to)."""
        ip = ipaddress.ip_address(address)
        host = f"[{ip}]" if isinstance(ip, ipaddress.IPv6Address) else str(ip)
        return f"{self.scheme}://{host}:{self.port}{self.target}"


@lru_cache(maxsize=32)
def port_ranges(spec: str) -> tuple[tuple[int, int], ...]:
    """``"80,443,1024-65535"`` as inclusive ranges; ValueError when malformed."""
    ranges = []
    for part in spec.split(","):
        lo, _, hi = part.strip().partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise ValueError(f"allowed_ports: {part!r} is not a port or a range like 1024-65535")
        low, high = int(lo), int(hi or lo)
        if not 1 <= low <= high <= 65535:
            raise ValueError(f"allowed_ports: {part!r} is outside 1-65535")
        ranges.append((low, high))
    return tuple(ranges)


def _invalid(en: str, zh: str) -> Invalid:
    return Invalid(f"webhook url: {en}", f"Webhook 地址：{zh}", code="invalid_webhook_url")


def public_address(ip: IPAddress) -> bool:
    """Globally routable unicast, including every IPv4 address an IPv6 address embeds."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return False
        if ip.ipv4_mapped is not None:
            return public_address(ip.ipv4_mapped)
        if ip in _V4_COMPATIBLE or ip in _NAT64_LOCAL:
            return False
        if ip in _NAT64:
            return public_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None and not public_address(ip.sixtofour):
            return False
        if ip.teredo is not None:
            return False
    return ip.is_global and not ip.is_multicast


def _host(raw: str, *, allow_private: bool) -> tuple[str, IPAddress | None]:
    """The canonical host and, for literal addresses, the address."""
    if raw.startswith("["):
        inner = raw[1:-1] if raw.endswith("]") else ""
        if not inner or "%" in inner:
            raise _invalid("the IPv6 address must be bracketed and without a zone (%)",
                           "IPv6 地址须在方括号内且不带区域标识")
        try:
            ip6 = ipaddress.IPv6Address(inner)
        except ValueError as exc:
            raise _invalid(f"{inner!r} is not an IPv6 address", f"{inner!r} 不是 IPv6 地址") from exc
        return str(ip6), ip6
    host = raw.lower()
    if host.endswith("."):
        host = host[:-1]
    labels = host.split(".")
    if not host or len(host) > 253:
        raise _invalid("the host name is empty or too long", "主机名为空或过长")
    if _NUMERIC_LABEL.match(labels[-1]):  # read as an IPv4 address by browsers and the C library
        if not _CANONICAL_V4.match(host):
            raise _invalid(f"{raw!r} is not a canonical IPv4 address; write four decimal numbers such as "
                           "93.184.216.34", f"{raw!r} 不是规范的 IPv4 地址；请写成四段十进制数，如 93.184.216.34")
        return host, ipaddress.IPv4Address(host)
    if not all(_LABEL.match(label) for label in labels):
        raise _invalid(f"{raw!r} is not a valid host name (letters, digits and hyphens; international names in "
                       "their xn-- form)", f"{raw!r} 不是有效的主机名（字母、数字和连字符；国际化域名请用 xn-- 形式）")
    if not allow_private and (host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES) or len(labels) < 2):
        raise _invalid(f"host {host} is not a public address", f"主机 {host} 不是公网地址")
    return host, None


def parse(url: object, *, allow_private: bool, allowed_ports: str = "1-65535") -> Target:
    """Validate a webhook URL (see the module docstring); :class:`Invalid` (HTTP 422) says what is wrong."""
    if not isinstance(url, str) or not url:
        raise _invalid("must be a non-empty string", "必须是非空字符串")
    if len(url) > MAX_URL:
        raise _invalid(f"longer than {MAX_URL} characters", f"超过 {MAX_URL} 个字符")
    if not set(url) <= _PRINTABLE:
        raise _invalid("only printable ASCII without spaces or backslashes (percent-encode the rest, xn-- for "
                       "international names)",
                       "只能包含可打印 ASCII 字符，不能有空格或反斜杠（其他字符请百分号编码，国际化域名用 xn--）")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise _invalid(f"malformed URL ({exc})", f"URL 格式错误（{exc}）") from exc
    try:
        port_value = parts.port
    except ValueError as exc:
        raise _invalid("the port must be a decimal number from 1 to 65535", "端口必须是 1 到 65535 的十进制数") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        raise _invalid("must be an absolute http(s) URL", "必须是完整的 http(s) URL")
    if "@" in parts.netloc:
        raise _invalid("must not carry a user name or password", "不能包含用户名或密码")
    if parts.fragment or url.endswith("#"):
        raise _invalid("must not carry a #fragment", "不能包含 # 片段")
    netloc = parts.netloc
    if netloc.startswith("["):
        end = netloc.find("]") + 1
        raw_host, rest = (netloc[:end], netloc[end:]) if end else (netloc, "")
        if rest and not re.fullmatch(r":\d*", rest):
            raise _invalid("malformed address after the IPv6 brackets", "IPv6 方括号后的内容格式错误")
    else:
        raw_host = netloc.rsplit(":", 1)[0] if ":" in netloc else netloc
    port = port_value if port_value is not None else (443 if scheme == "https" else 80)
    if not any(lo <= port <= hi for lo, hi in port_ranges(allowed_ports)):
        raise _invalid(f"port {port} is not allowed (allowed: {allowed_ports})",
                       f"不允许端口 {port}（允许：{allowed_ports}）")
    host, ip = _host(raw_host, allow_private=allow_private)
    if ip is not None and not allow_private and not public_address(ip):
        raise _invalid(f"host {host} is not a public address", f"主机 {host} 不是公网地址")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=scheme, host=host, port=port, target=target, ip=ip)


def check_url(url: str, *, allow_private: bool, allowed_ports: str = "1-65535") -> Target:
    """Registration: :func:`parse`, raising :class:`Invalid` (422)."""
    return parse(url, allow_private=allow_private, allowed_ports=allowed_ports)


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def resolve(target: Target, *, allow_private: bool, resolver: Resolver = system_resolver) -> str:
    """The address to connect to; :class:`RefusedTarget` when the name does not resolve or any address it
    resolves to is not public."""
    if target.ip is not None:
        return str(target.ip)
    try:
        addresses = await resolver(target.host, target.port)
    except (OSError, UnicodeError) as exc:
        raise RefusedTarget(f"cannot resolve {target.host}: {exc}") from exc
    parsed = []
    for address in addresses:
        try:
            parsed.append(ipaddress.ip_address(address.split("%", 1)[0]))
        except ValueError as exc:
            raise RefusedTarget(f"{target.host} resolved to {address!r}, not an address") from exc
    if not parsed:
        raise RefusedTarget(f"{target.host} resolves to no address")
    bad = sorted({str(ip) for ip in parsed if not public_address(ip)})
    if bad and not allow_private:
        raise RefusedTarget(f"{target.host} resolves to non-public address {', '.join(bad)}")
    return str(parsed[0])


def for_delivery(url: str, *, allow_private: bool, allowed_ports: str) -> Target:
    """Delivery: :func:`parse` again (rules may have tightened since registration), as :class:`RefusedTarget`."""
    try:
        return parse(url, allow_private=allow_private, allowed_ports=allowed_ports)
    except Invalid as exc:
        raise RefusedTarget(exc.en.removeprefix("webhook url: ")) from exc


def check_resolved(url: str, *, allow_private: bool, allowed_ports: str = "1-65535") -> str:
    """Validate and resolve now (outside an event loop); returns the address, or raises :class:`RefusedTarget`."""
    target = for_delivery(url, allow_private=allow_private, allowed_ports=allowed_ports)
    return run_coroutine(resolve(target, allow_private=allow_private))
