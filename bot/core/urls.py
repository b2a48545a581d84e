"""Which media URLs the bot may fetch or show: https to public hosts, or an origin the operator trusts."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = [
    "in_clear_to_public_host", "is_local_host", "is_public_address", "normalize_origin", "normalize_origins",
    "safe_media_url",
]

_URL_FORBIDDEN = re.compile(r"[\s<>\"'`\\{}|^]")

# IPv6 ranges that carry an IPv4 address inside: a host that translates or tunnels them reaches that IPv4 address,
# so the address inside must be public too (on an IPv6-only host, 64:ff9b::a9fe:a9fe is 169.254.169.254).
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: local translators only, never public
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address is on the public internet: not private, loopback, link-local, multicast, reserved…,
    and, for an IPv6 address that embeds an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo), neither is
    the IPv4 address inside."""
    if address.is_multicast or not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return True
    if address in _LOCAL_NAT64:
        return False
    return all(is_public_address(inner) for inner in _embedded_ipv4(address))


# Names that public DNS never answers: only the operator's own network (a container network, a LAN) resolves them.
_LOCAL_SUFFIXES = (".localhost", ".internal", ".local", ".lan", ".home.arpa")


def is_local_host(host: str) -> bool:
    """Whether plain http to `host` stays on this machine or the operator's own network: loopback, a private
    address, or a name only that network resolves (one label, like a container's "proxy", or a local suffix)."""
    host = host.strip().lower().rstrip(".").removeprefix("[").removesuffix("]")
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not re.fullmatch(r"[a-z0-9._-]+", host):  # not a host name at all
            return False
        return host == "localhost" or "." not in host or host.endswith(_LOCAL_SUFFIXES)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or (address.is_private and not address.is_global)


def in_clear_to_public_host(url: str) -> bool:
    """Whether a URL is plain http:// or ws:// to a host outside this machine and the operator's own network
    (what must never carry the bot token or the API key)."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "ws") and not is_local_host(parts.hostname or "")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    found = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address in _NAT64 or address in _IPV4_COMPATIBLE:
        found.append(low32)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)  # (server, client)
    return found


def normalize_origin(origin: str) -> str:
    """Return `scheme://host:port` for an origin or URL; raise ValueError when it is not http(s)."""
    parts = urlsplit(origin.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise ValueError(f"not an http(s) origin: {origin!r}")
    port = parts.port or (443 if scheme == "https" else 80)
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def normalize_origins(origins: Iterable[str]) -> frozenset[str]:
    """Normalise a list of trusted media origins (raises ValueError on a malformed one)."""
    return frozenset(normalize_origin(o) for o in origins)


def safe_media_url(url: str, trusted_origins: Iterable[str] = ()) -> str | None:
    """Return `url` if the bot may fetch or show it as media, else None.

    Only https to a public-looking host, unless the URL's origin is one of the explicitly trusted ones
    (the simulator and test servers on 127.0.0.1).
    """
    if not url or len(url) > 2048 or _URL_FORBIDDEN.search(url) or not url.isprintable():
        return None
    try:
        parts = urlsplit(url)
        origin = normalize_origin(url)
    except ValueError:
        return None
    if origin in normalize_origins(trusted_origins):
        return url
    if parts.scheme.lower() != "https" or "@" in parts.netloc:
        return None
    host = (parts.hostname or "").rstrip(".")
    if not host or host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return None
    try:
        address = ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return url
    return url if is_public_address(address) else None
