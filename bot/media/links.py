"""When a vendor's media link stops working, as far as the link itself says.

CDNs that expire links sign them, and the signature's parameters carry the end of validity: S3 and
Cloudflare R2 (SigV4), Google Cloud Storage, CloudFront and S3 v2, Azure SAS, Tencent COS, Alibaba OSS,
Akamai tokens. Nothing here asks the network; a link without such parameters has no known expiry.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["link_expiry"]

_EARLIEST: Final = datetime(2001, 1, 1, tzinfo=UTC)  # numbers below this are durations or noise, not moments
_LATEST: Final = datetime(2100, 1, 1, tzinfo=UTC)
_TOKEN_EXP: Final = re.compile(r"(?:^|[~&;,])exp=(\d{9,11})(?:$|[~&;,])")


def link_expiry(url: str) -> datetime | None:
    """The moment `url` stops working according to its own signature, or None when it does not say."""
    try:
        query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    except ValueError:
        return None
    params = {key.lower(): value for key, value in query}
    for found in (
        _dated(params, "x-amz-date", "x-amz-expires"),  # S3, R2 and other SigV4 stores
        _dated(params, "x-goog-date", "x-goog-expires"),  # Google Cloud Storage V4
        _azure(params),
        _tencent(params),
        *(_epoch(params.get(key)) for key in ("expires", "x-expires", "expire", "exp", "e")),
        *(_token(params.get(key)) for key in ("hdnts", "__token__", "token")),
    ):
        if found is not None:
            return found
    return None


def _dated(params: dict[str, str], date_key: str, seconds_key: str) -> datetime | None:
    date, seconds = params.get(date_key), params.get(seconds_key)
    if not date or not seconds or not seconds.isdigit():
        return None
    try:
        signed = datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return _sane(signed + timedelta(seconds=int(seconds)))


def _azure(params: dict[str, str]) -> datetime | None:
    # A SAS token: `se` (signed expiry) is only meaningful beside its signature `sig`.
    if "sig" not in params or not params.get("se"):
        return None
    try:
        moment = datetime.fromisoformat(params["se"].replace("Z", "+00:00"))
    except ValueError:
        return None
    return _sane(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _tencent(params: dict[str, str]) -> datetime | None:
    # q-sign-time=START;END (Tencent COS)
    window = params.get("q-sign-time") or params.get("q-key-time")
    if not window or ";" not in window:
        return None
    return _epoch(window.split(";", 1)[1])


def _epoch(value: str | None) -> datetime | None:
    if not value or not value.isdigit() or len(value) > 11:
        return None
    return _sane(datetime.fromtimestamp(int(value), UTC))


def _token(value: str | None) -> datetime | None:
    # Akamai-style tokens: st=…~exp=…~acl=…~hmac=…
    if not value:
        return None
    match = _TOKEN_EXP.search(unquote(value))
    return _epoch(match.group(1)) if match else None


def _sane(moment: datetime) -> datetime | None:
    return moment if _EARLIEST <= moment < _LATEST else None
