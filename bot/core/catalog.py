"""Provider profiles: what differs between video resellers, as data read from a small TOML file.

A profile says which models a reseller family offers and, per model, how each `/video` option reaches the
service (words in the prompt, a pattern of the model ID, or a body field), how a picture is sent, which
endpoints can recover a task and what a failed generation costs. Presets ship in `bot/core/providers/`;
an operator picks one with `VIDEO_PROVIDER=<name>` or points it at a file of their own, which may start
with `extends = "<preset>"` and change only what differs. Nothing here does I/O beyond reading that file.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

from bot.core.money import PriceTable
from bot.core.profile_schema import ProfileError, merge_profiles, read_profile

__all__ = [
    "DEFAULT_PROVIDER",
    "ORIENTATIONS",
    "Carrier",
    "FailureCost",
    "ImageTransport",
    "ImageWay",
    "ModelSpec",
    "Orientation",
    "Phrases",
    "ProfileError",
    "ProviderProfile",
    "RecoverySource",
    "Route",
    "load_profile",
    "preset_names",
]

Orientation = Literal["portrait", "landscape"]
ORIENTATIONS: Final[tuple[Orientation, ...]] = ("portrait", "landscape")
Route = Literal["chat", "task"]  # a streamed chat completion, or POST /v1/video/create and polling
Carrier = Literal["prompt", "model", "body"]  # how an option reaches the service on the chat route
ImageWay = Literal["vision", "task", "none"]  # an image_url part in the chat, the task's `images`, or none
ImageTransport = Literal["url", "data_url"]  # the picture's own https URL, or its bytes as a data: URL
RecoverySource = Literal["raw_data", "videos", "query"]  # Raw Data link, GET /v1/videos/{id}, /v1/video/query
FailureCost = Literal["billed", "refunded", "unknown"]

DEFAULT_PROVIDER: Final = "kkiai"
_PRESETS = resources.files("bot.core") / "providers"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One model as a profile describes it."""

    name: str  # what members pick, quotas price and the database records
    label: str
    route: Route
    request_model: str  # the `model` sent; may hold {orientation}, {duration}, {size}
    orientations: tuple[Orientation, ...]
    durations: tuple[int, ...]  # empty: the service decides the length, members cannot choose it
    sizes: tuple[str, ...]
    image: ImageWay
    options: Mapping[str, Carrier]  # chat route: option name -> how it is sent; absent options are not sent
    task_fields: Mapping[str, Any]  # task route: body fields beside model, prompt and images
    aspect_ratios: Mapping[str, str]  # orientation -> the aspect ratio this service names it by
    # The `<prefix>:` spellings the task endpoints may file a bare `task_…` ID under, each tried in turn
    # (resellers differ: "sora-2-pro:task_…" at some, "sora-2:task_…" at others).
    task_prefixes: tuple[str, ...]
    recovery: tuple[RecoverySource, ...]  # where a task is looked for when its stream is gone, in order
    on_failure: FailureCost

    @property
    def accepts_image(self) -> bool:
        return self.image != "none"

    @property
    def default_duration(self) -> int | None:
        return self.durations[0] if self.durations else None

    @property
    def default_size(self) -> str:
        return self.sizes[0]

    @property
    def task_prefix(self) -> str | None:
        """The first spelling of the task prefix (None: the ID is sent as it came)."""
        return self.task_prefixes[0] if self.task_prefixes else None

    def carrier(self, option: str) -> Carrier | None:
        """How `option` (orientation, duration, size) reaches the service on the chat route, if at all."""
        return self.options.get(option)


@dataclass(frozen=True, slots=True)
class Phrases:
    """The words a service reads options from when they travel in the prompt text."""

    orientation: Mapping[str, str]
    duration: str  # with {duration}
    size: Mapping[str, str]
    joiner: str
    template: str  # with {prompt} and {options}


@dataclass(frozen=True, slots=True)
class ProviderProfile:
    """A reseller family: its models and the ways its API is spoken."""

    name: str
    description: str
    base_url: str | None
    models: tuple[ModelSpec, ...]
    default_models: tuple[str, ...]
    phrases: Phrases
    image_transport: ImageTransport
    raw_data_url: str | None  # with {task_id}: where a chat-made task's Raw Data answers
    raw_data_hosts: tuple[str, ...]  # hosts whose Raw Data links (https) a transcript may point at
    # What one video of each model costs at the vendor ([prices]).
    prices: PriceTable = dataclasses.field(default_factory=PriceTable)

    @property
    def model_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.models)

    def model(self, name: str) -> ModelSpec:
        """The model called `name`; KeyError when this profile has none."""
        for spec in self.models:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def has_model(self, name: str) -> bool:
        return any(m.name == name for m in self.models)

    def with_raw_data_url(self, url: str) -> ProviderProfile:
        """The same profile with its Raw Data links answered elsewhere (a local simulator, a mirror)."""
        return dataclasses.replace(self, raw_data_url=url)


def preset_names() -> tuple[str, ...]:
    """The presets shipped with the bot."""
    return tuple(sorted(p.name.removesuffix(".toml") for p in _PRESETS.iterdir() if p.name.endswith(".toml")))


def load_profile(choice: str) -> ProviderProfile:
    """Load a preset by name, or a profile file by path; ProfileError says what is wrong, in one sentence."""
    choice = choice.strip()
    if choice in preset_names():
        data = _preset_data(choice)
    else:
        path = Path(choice).expanduser()
        if not path.is_file():
            presets = ", ".join(preset_names())
            raise ProfileError(f"is '{choice}', which is neither a preset ({presets}) nor a profile file")
        data = _file_data(path)
        base = data.pop("extends", None)
        if base is not None:
            if not isinstance(base, str) or base not in preset_names():
                raise ProfileError(f"extends '{base}', which is not a preset ({', '.join(preset_names())})")
            data = merge_profiles(_preset_data(base), data)
    return _build(read_profile(data))


def _preset_data(name: str) -> dict[str, Any]:
    return tomllib.loads((_PRESETS / f"{name}.toml").read_text(encoding="utf-8"))


def _file_data(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"points at {path}, which cannot be read ({type(exc).__name__})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"points at {path}, which is not valid TOML ({exc})") from exc


def _build(data: Mapping[str, Any]) -> ProviderProfile:
    """Typed objects from data that `read_profile` has already checked."""
    phrases = data["phrases"]
    models = tuple(
        ModelSpec(
            name=m["name"],
            label=m["label"],
            route=m["route"],
            request_model=m["request_model"],
            orientations=tuple(m["orientations"]),
            durations=tuple(m["durations"]),
            sizes=tuple(m["sizes"]),
            image=m["image"],
            options=dict(m["options"]),
            task_fields=dict(m["task_fields"]),
            aspect_ratios=dict(m["aspect_ratios"]),
            task_prefixes=tuple(m["task_prefixes"]),
            recovery=tuple(m["recovery"]),
            on_failure=m["on_failure"],
        )
        for m in data["models"]
    )
    return ProviderProfile(
        name=data["name"],
        description=data["description"],
        base_url=data["base_url"],
        models=models,
        default_models=tuple(data["default_models"]),
        phrases=Phrases(
            orientation={o: phrases[o] for o in ORIENTATIONS if o in phrases},
            duration=phrases["duration"],
            size=dict(phrases["sizes"]),
            joiner=phrases["joiner"],
            template=phrases["template"],
        ),
        image_transport=data["image_transport"],
        raw_data_url=data["raw_data"]["url"],
        raw_data_hosts=tuple(data["raw_data"]["hosts"]),
        prices=PriceTable.of(data["prices"]["currency"], data["prices"]["per_video"]),
    )
