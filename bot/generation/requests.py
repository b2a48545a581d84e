"""Pure checks of a /video request, each refusal one sentence that says what to do instead."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from bot.core.catalog import ProviderProfile
from bot.core.errors import BotError

PROMPT_LIMIT: Final = 2000
IMAGE_LIMIT: Final = 10 * 1024 * 1024
IMAGE_TYPES: Final = ("image/png", "image/jpeg", "image/webp")
NOT_AN_IMAGE: Final = "That attachment isn't an image (PNG, JPEG or WebP, up to 10 MB)."

@dataclass(frozen=True, slots=True)
class ImageInput:
    """An attachment offered as the first frame."""

    url: str
    filename: str
    content_type: str | None
    size: int


# Characters that draw nothing although Unicode does not call them spaces: Braille blank, Hangul fillers,
# the Mongolian vowel separator. (Format characters such as zero-width joiners are caught by category.)
_BLANK_GLYPHS: Final = frozenset("\u2800\u3164\u115f\u1160\uffa0\u180e")


def is_visible(char: str) -> bool:
    """Whether a character shows something: not a space, a control, a format character or a blank glyph."""
    return unicodedata.category(char)[0] not in "ZC" and char not in _BLANK_GLYPHS


def check_prompt(prompt: str) -> str:
    """The prompt, trimmed; refused if it shows nothing (invisible characters only) or is too long."""
    text = prompt.strip()
    if not any(is_visible(char) for char in text):
        raise BotError("Your prompt is empty: describe the video you want.")
    if len(text) > PROMPT_LIMIT:
        raise BotError(f"Your prompt is {len(text):,} characters; the limit is {PROMPT_LIMIT:,}.")
    return text


def check_options(
    *,
    provider: ProviderProfile,
    model: str,
    offered_models: Collection[str],
    orientation: str,
    duration: int | None,
    size: str | None,
    image: ImageInput | None,
) -> tuple[int | None, str]:
    """Refuse combinations the model cannot make (as its provider profile says); return duration and size.

    The duration is None for a model whose length the service decides.
    """
    if model not in offered_models or not provider.has_model(model):
        raise BotError(f"{model} isn't offered here; choose one of {', '.join(offered_models)}.")
    spec = provider.model(model)
    if orientation not in spec.orientations:
        raise BotError(f"{model} makes only {' or '.join(spec.orientations)} videos.")
    if duration is not None and duration not in spec.durations:
        if not spec.durations:
            raise BotError(f"{model} decides the length of its videos itself; leave the duration out.")
        raise BotError(f"{model} can't make {duration}-second videos; {_duration_advice(spec.durations)}.")
    if size is not None and size not in spec.sizes:
        raise BotError(f"{model} can't make {size} videos; choose {' or '.join(spec.sizes)}.")
    if image is not None:
        check_image(image)
        if not spec.accepts_image:
            able = [n for n in offered_models if provider.has_model(n) and provider.model(n).accepts_image]
            advice = f"choose {' or '.join(able)}, or leave the image out" if able else "leave the image out"
            raise BotError(f"{model} can't start from an image; {advice}.")
    return duration or spec.default_duration, size or spec.default_size


def check_image(image: ImageInput) -> None:
    """Only PNG, JPEG or WebP images up to 10 MB."""
    content_type = (image.content_type or "").split(";")[0].strip().lower()
    if content_type not in IMAGE_TYPES or image.size > IMAGE_LIMIT or image.size <= 0:
        raise BotError(NOT_AN_IMAGE)


def check_channel(channel_id: int, allowed: Collection[int]) -> None:
    """Videos only where moderators allow them (anywhere when they listed no channel)."""
    if allowed and channel_id not in allowed:
        suggestion = " ".join(f"<#{c}>" for c in sorted(allowed)[:3])
        raise BotError(f"Videos can't be made in this channel. Try {suggestion}.")


def _duration_advice(durations: tuple[int, ...]) -> str:
    # Exact lengths rather than "or less": the models take a fixed set, not a range.
    return "choose " + " or ".join(f"{d} s" for d in durations)
