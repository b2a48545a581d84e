"""Which media URLs the bot may fetch or show: https to public hosts, or an origin the operator trusts."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = ["normalize_origin", "normalize_origins", "safe_media_url"]

_URL_FORBIDDEN = re.compile(r"[\s<>\"'`\\{}|^]")


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
        address = ipaddress.ip_address(host)
    except ValueError:
        return url
    return url if address.is_global else None
