"""What each video model can do: the durations, sizes and inputs `/video` offers and checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Orientation = Literal["portrait", "landscape"]
ORIENTATIONS: Final[tuple[Orientation, ...]] = ("portrait", "landscape")


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One model's capabilities as the vendor documents them."""

    name: str
    label: str
    durations: tuple[int, ...]
    sizes: tuple[str, ...]
    accepts_image: bool

    @property
    def default_duration(self) -> int:
        return self.durations[0]

    @property
    def default_size(self) -> str:
        return self.sizes[0]


MODELS: Final[dict[str, ModelSpec]] = {
    spec.name: spec
    for spec in (
        ModelSpec("sora-2", "Sora 2", durations=(10, 15), sizes=("small",), accepts_image=True),
        ModelSpec("sora-2-pro", "Sora 2 Pro", durations=(10, 15, 25), sizes=("small", "large"), accepts_image=True),
        ModelSpec("veo3.1-fast", "Veo 3.1 Fast", durations=(8,), sizes=("small",), accepts_image=True),
        ModelSpec("grok", "Grok Imagine", durations=(6,), sizes=("small",), accepts_image=False),
    )
}
