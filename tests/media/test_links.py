"""Link expiry, read from the signature of the vendor's CDN link."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.media.links import link_expiry

NOON = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
EPOCH = int(NOON.timestamp())


@pytest.mark.parametrize(
    "url",
    [
        "https://bucket.s3.amazonaws.com/v.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261129T110000Z"
        "&X-Amz-Expires=3600&X-Amz-Signature=abc",
        "https://storage.googleapis.com/b/v.mp4?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Date=20261129T100000Z"
        "&X-Goog-Expires=7200&X-Goog-Signature=abc",
        f"https://d111.cloudfront.net/v.mp4?Expires={EPOCH}&Signature=abc&Key-Pair-Id=K",
        "https://acct.blob.core.windows.net/c/v.mp4?sv=2022-11-02&se=2026-11-29T12%3A00%3A00Z&sr=b&sp=r&sig=abc",
        f"https://cos.ap-shanghai.myqcloud.com/v.mp4?q-sign-algorithm=sha1&q-sign-time={EPOCH - 3600};{EPOCH}"
        "&q-signature=abc",
        f"https://cdn.example.com/v.mp4?hdnts=st%3D{EPOCH - 60}~exp%3D{EPOCH}~acl%3D%2F*~hmac%3Dabc",
        f"https://cdn.example.com/v.mp4?token=abc&expires={EPOCH}",
    ],
)
def test_signed_links_say_when_they_expire(url: str) -> None:
    assert link_expiry(url) == NOON


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example.com/video.mp4",
        "https://cdn.example.com/video.mp4?exp=3600",  # a duration, not a moment
        "https://cdn.example.com/video.mp4?se=2026-11-29T12:00:00Z",  # no signature beside it
        "https://cdn.example.com/video.mp4?X-Amz-Date=garbage&X-Amz-Expires=60",
        "https://cdn.example.com/video.mp4?Expires=99999999999999",
        "not a url at all",
    ],
)
def test_links_that_do_not_say_have_no_expiry(url: str) -> None:
    assert link_expiry(url) is None
