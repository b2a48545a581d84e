"""What Discord would make a link of in a text: masked links, read the way its markdown reads them (a
backslash makes the next character literal)."""

from __future__ import annotations


def _unescaped(text: str) -> list[tuple[int, str]]:
    """(position, character) of every character no backslash escapes."""
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            i += 2
            continue
        out.append((i, text[i]))
        i += 1
    return out


def live_masked_links(text: str) -> list[str]:
    """Every "[label](…" Discord would render as a masked link."""
    chars = _unescaped(text)
    found = []
    for k, (start, ch) in enumerate(chars):
        if ch != "[":
            continue
        for j in range(k + 1, len(chars) - 1):
            pos, c = chars[j]
            if c == "[":
                break
            if c == "]" and chars[j + 1] == (pos + 1, "("):
                found.append(text[start : pos + 2])
                break
    return found
