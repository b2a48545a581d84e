"""Pure: secrets taken out of any text that came from outside before it is shown, stored or logged.

Two kinds are redacted: the secrets this process was configured with (the Discord token, the video API key,
the database password; `remember` adds one), wherever they appear, and anything shaped like a key
("sk-…", "Bearer …", a Discord token, "api_key=…"), because a vendor may echo a key that is not ours (a
reseller's upstream key, another tenant's) and that must not be shown either.

`scrub` is the one function every boundary calls: the transcript reader, the vendor error types, the job
store, the renderers and the log filter (which any log formatter gets its records through). `plain` is
`scrub` for a vendor's sentences (failure reasons), which also parts masked-link syntax.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

__all__ = ["REDACTED", "plain", "redact", "remember", "scrub", "scrub_configured", "url_passwords"]

REDACTED = "********"
_MIN_SECRET = 8  # shorter "secrets" (a test's "x") would redact ordinary words

# Key shapes, each named by what it looks like; a match is replaced whole, except the label of a
# "key=value" pair, which stays so that the sentence still says what was hidden.
_KEY_SHAPES = re.compile(
    r"(?<![A-Za-z0-9])(?:sk|pk|rk)-[A-Za-z0-9][A-Za-z0-9_\-]{7,}"  # OpenAI-style keys, resellers' too
    r"|(?<![A-Za-z0-9])Bearer\s+[A-Za-z0-9._~+/=\-]{8,}"  # an Authorization header's value
    r"|(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{20,}"  # Discord tokens, JWTs
    r"|(?<![A-Za-z0-9])(?:AKIA|ghp_|gho_|xox[bap]-|AIza)[A-Za-z0-9_\-]{12,}",  # other common key prefixes
)
_LABELLED = re.compile(
    r"(?P<label>(?<![A-Za-z0-9])(?:api[_\-\s]?key|access[_\-\s]?token|token|secret|password|passwd|"
    r"authorization)[\"']?\s*[=:：]\s*[\"']?)(?P<value>[^\s\"',;&]{8,})",
    re.IGNORECASE,
)

# "](" is what makes "[text](url)" a masked link in Discord; "] (" is never one.
_MASKED_LINK = re.compile(r"\]\s*\(")

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()


def remember(*secrets: str) -> None:
    """Add configured secrets (too-short ones are ignored); longer ones are replaced first."""
    global _secrets  # noqa: PLW0603  # one process-wide list, set at start-up
    with _lock:
        known = set(_secrets) | {s for s in secrets if s and len(s) >= _MIN_SECRET}
        _secrets = tuple(sorted(known, key=len, reverse=True))


def url_passwords(value: str) -> tuple[str, ...]:
    """The passwords a URL-shaped setting carries (a database URL's user password or `?password=`)."""
    if "://" not in value:
        return ()
    try:
        parts = urlsplit(value)
        passwords = [parts.password or "", *parse_qs(parts.query).get("password", [])]
    except ValueError:
        return ()
    return tuple(p for p in passwords if p)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the given secrets and without anything key-shaped."""
    for secret in secrets:
        if secret and len(secret) >= _MIN_SECRET and secret in text:
            text = text.replace(secret, REDACTED)
    text = _KEY_SHAPES.sub(REDACTED, text)
    return _LABELLED.sub(lambda m: m.group("label") + REDACTED if m.group("value") != REDACTED else m.group(), text)


def scrub(text: str) -> str:
    """`text` without this process's remembered secrets and without anything key-shaped."""
    return redact(text, _secrets)


def scrub_configured(text: str) -> str:
    """`text` without this process's remembered secrets only: for text kept verbatim otherwise (a vendor's
    answer, which goes back to it in the next turn and whose links may carry key-shaped signatures)."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def plain(text: str) -> str:
    """A vendor's sentence fit to keep and show anywhere: scrubbed, and with no masked link left in it (a
    "[Verify your account](https://phish…)" that any renderer would make clickable under the bot's name).
    Renderers still escape it like member text; this makes it safe in every place that forgets to."""
    return _MASKED_LINK.sub("] (", scrub(text))
