"""Settings: read once from the environment (and `.env`), validated, typed and frozen."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, cast
from urllib.parse import parse_qs, urlsplit

from dotenv import dotenv_values

from bot.core.catalog import DEFAULT_PROVIDER, ProfileError, ProviderProfile, load_profile
from bot.core.money import PriceTable
from bot.core.operator_settings import read_operator_settings
from bot.core.periods import PERIODS, Period
from bot.core.secret import Secret
from bot.core.sharding import parse_shard_ids
from bot.core.urls import in_clear_to_public_host

ENV_HINT: Final = "Set it in .env (see .env.example) or in the environment."
DEFAULT_DATABASE_PATH: Final = Path("data/videobot.sqlite3")
LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DATABASE_URL_SCHEMES: Final = ("postgresql", "postgres")
DISCORD_GLOBAL_LIMIT: Final = 50  # REST requests per second per bot token, every process together (Discord's)


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One bad setting, said in one sentence that names the variable."""

    variable: str
    problem: str

    def __str__(self) -> str:
        return f"{self.variable} {self.problem}. {ENV_HINT}"


class ConfigError(Exception):
    """One or more settings are missing or malformed."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot can be told from outside. Built by `load_settings`."""

    discord_token: Secret
    video_api_key: Secret
    dev_guild_id: int | None = None
    video_api_base_url: str = "https://www.kkiai.com"
    database_path: Path = DEFAULT_DATABASE_PATH
    # postgresql://…; when set, PostgreSQL instead of the SQLite file
    database_url: Secret = field(default_factory=lambda: Secret(""))
    models: tuple[str, ...] = ("sora-2",)
    default_model: str = "sora-2"
    log_level: str = "INFO"
    log_format: str = "text"  # "json": one JSON object per line, for a log collector
    http_port: int | None = None  # the operator's /healthz, /readyz and /metrics (bot/core/ops.py); None: off
    http_host: str = "127.0.0.1"  # loopback unless configured (e.g. 0.0.0.0 inside a container)
    message_content_intent: bool = False
    discord_api_base_url: str | None = None
    discord_gateway_url: str | None = None
    trusted_media_origins: tuple[str, ...] = ()
    stream_read_timeout: float = 120.0
    job_deadline: float = 3600.0
    polls_per_second: float = 50.0
    max_jobs_global: int = 20
    max_jobs_per_guild: int = 5
    max_jobs_per_user: int = 2
    default_quota_units: int = 10
    default_quota_period: Period = "day"
    history_max_turns: int = 20
    reencode_videos: bool = True  # re-encode a video larger than a server's upload limit so it plays inline
    # Every media worker (probe, poster, re-encode) is bounded: its address space, the largest frame it decodes,
    # and how many re-encodes run at once (one per server at a time, servers in turn).
    media_worker_memory_mb: int = 1024
    media_max_pixels: int = 3840 * 2160
    media_encoders: int = 2
    # Gateway shards: how many the bot has (None: as many as Discord recommends), and which this process runs
    # (None: all of them). Several processes sharing one database each run some, all with the same count.
    shard_count: int | None = 1
    shard_ids: tuple[int, ...] | None = None
    claim_shard: bool = False  # DISCORD_SHARD_IDS=claim: take a free one at start (bot/store/shard_claims.py)
    # Seconds a process may go without renewing its jobs' leases before another process adopts them.
    job_lease_timeout: float = 30.0
    # The bot's budget under Discord's global REST limit (50 a second per bot token); the processes sharing the
    # database split it between them by how many are alive (bot/discord_ui/rest_share.py).
    rest_per_second: int = 44
    # DISCORD_API_BASE_URL is a REST proxy that paces the global limit for every process: do not pace it here.
    rest_proxy: bool = False
    simulate: bool = field(default=False)
    # The reseller family spoken to: models, how options and pictures reach it, how tasks are recovered.
    provider: ProviderProfile = field(default_factory=lambda: load_profile(DEFAULT_PROVIDER))
    # The operator's side (bot/core/operator_settings.py): what one video of each model costs (the profile's
    # [prices], VIDEO_PRICES over them), the key sealing servers' own API keys, who owns the bot besides its owner.
    prices: PriceTable = field(default_factory=lambda: load_profile(DEFAULT_PROVIDER).prices)
    server_key_secret: Secret = field(default_factory=lambda: Secret(""))
    owner_ids: frozenset[int] = frozenset()


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    env_file: Path | None = Path(".env"),
    simulate: bool = False,
) -> Settings:
    """Read settings from `environ` (default: os.environ) over `env_file`; ConfigError lists every problem.

    Values in the real environment win over `.env`, as python-dotenv does by default.
    """
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    reader = _Reader(values)
    settings = _parse(reader, simulate=simulate)
    if reader.problems:
        raise ConfigError(reader.problems)
    return settings


def load_database_settings(
    environ: Mapping[str, str] | None = None, *, env_file: Path | None = Path(".env")
) -> tuple[Path, Secret]:
    """Only DATABASE_PATH and DATABASE_URL, read like `load_settings` does: what `videobot migrate-db` needs,
    without asking for the Discord token or the video API key."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    reader = _Reader(values)
    path = Path(reader.text("DATABASE_PATH", default=str(DEFAULT_DATABASE_PATH)))
    url = reader.database_url("DATABASE_URL")
    if reader.problems:
        raise ConfigError(reader.problems)
    return path, url


def _parse(env: _Reader, *, simulate: bool) -> Settings:
    discord_token = env.secret("DISCORD_TOKEN", required=True)
    video_api_key = env.secret("VIDEO_API_KEY", required=not simulate)
    provider = env.provider("VIDEO_PROVIDER")
    raw_data_url = env.optional_url("VIDEO_RAW_DATA_URL")
    if raw_data_url is not None:
        if "{task_id}" in raw_data_url:
            provider = provider.with_raw_data_url(raw_data_url)
        else:
            env.report("VIDEO_RAW_DATA_URL", f"must contain {{task_id}}, not '{raw_data_url}'")
    models = env.csv("VIDEO_MODELS", default=provider.default_models)
    unknown = [name for name in models if not provider.has_model(name)]
    if unknown:
        known = ", ".join(provider.model_names)
        env.report("VIDEO_MODELS", f"lists '{unknown[0]}', which this bot doesn't know (known: {known})")
        models = tuple(name for name in models if provider.has_model(name)) or provider.default_models
    default_model = env.text("VIDEO_DEFAULT_MODEL", default=models[0])
    if default_model not in models:
        env.report("VIDEO_DEFAULT_MODEL", f"is '{default_model}', which is not one of VIDEO_MODELS")
    base_url = env.optional_url("VIDEO_API_BASE_URL", carries="the API key") or provider.base_url
    if base_url is None and not simulate:
        env.report("VIDEO_API_BASE_URL", f"is not set, and the {provider.name} provider has no public address")
    log_level = env.choice("LOG_LEVEL", LOG_LEVELS, default="INFO", normalise=str.upper)
    shard_count = env.shard_count("DISCORD_SHARD_COUNT")
    claim_shard = env.text("DISCORD_SHARD_IDS", default="").lower() == "claim"
    shard_ids = None if claim_shard else env.shard_ids("DISCORD_SHARD_IDS", shard_count)
    database_url = env.database_url("DATABASE_URL")
    if claim_shard and (shard_count is None or not database_url):
        env.report("DISCORD_SHARD_IDS", "is claim, which needs DISCORD_SHARD_COUNT set to a number and DATABASE_URL")
    discord_api_base_url = env.optional_url("DISCORD_API_BASE_URL", carries="the bot token")
    rest_proxy = env.flag("DISCORD_REST_PROXY", default=False)
    if rest_proxy and discord_api_base_url is None:
        env.report("DISCORD_REST_PROXY", "is true, but DISCORD_API_BASE_URL does not name the proxy")
    quota_period = env.choice("DEFAULT_QUOTA_PERIOD", PERIODS, default="day", normalise=str.lower)

    return Settings(
        discord_token=discord_token,
        video_api_key=video_api_key,
        dev_guild_id=env.snowflake("DISCORD_DEV_GUILD_ID"),
        video_api_base_url=base_url or "http://127.0.0.1",  # only --simulate leaves it unset, and replaces it
        database_path=Path(env.text("DATABASE_PATH", default=str(DEFAULT_DATABASE_PATH))),
        database_url=database_url,
        models=models,
        default_model=default_model,
        log_level=log_level,
        log_format=env.choice("LOG_FORMAT", ("text", "json"), default="text", normalise=str.lower),
        http_port=env.integer("HTTP_PORT", default=0, minimum=1, maximum=65535) or None,
        http_host=env.text("HTTP_HOST", default="127.0.0.1"),
        message_content_intent=env.flag("DISCORD_MESSAGE_CONTENT_INTENT", default=False),
        discord_api_base_url=discord_api_base_url,
        discord_gateway_url=env.optional_url("DISCORD_GATEWAY_URL", schemes=("ws", "wss"), carries="the bot token"),
        trusted_media_origins=env.origins("TRUSTED_MEDIA_ORIGINS"),
        stream_read_timeout=env.number("VIDEO_API_READ_TIMEOUT", default=120.0, minimum=1.0),
        job_deadline=env.number("VIDEO_JOB_DEADLINE", default=3600.0, minimum=10.0),
        polls_per_second=env.number("VIDEO_API_POLLS_PER_SECOND", default=50.0, minimum=0.1),
        max_jobs_global=env.integer("MAX_JOBS_GLOBAL", default=20, minimum=1),
        max_jobs_per_guild=env.integer("MAX_JOBS_PER_GUILD", default=5, minimum=1),
        max_jobs_per_user=env.integer("MAX_JOBS_PER_USER", default=2, minimum=1),
        default_quota_units=env.integer("DEFAULT_QUOTA_UNITS", default=10, minimum=0),
        default_quota_period=cast(Period, quota_period),
        history_max_turns=env.integer("HISTORY_MAX_TURNS", default=20, minimum=2),
        reencode_videos=env.flag("REENCODE_VIDEOS", default=True),
        media_worker_memory_mb=env.integer("MEDIA_WORKER_MEMORY_MB", default=1024, minimum=256),
        media_max_pixels=env.integer("MEDIA_MAX_PIXELS", default=3840 * 2160, minimum=320 * 240),
        media_encoders=env.integer("MEDIA_ENCODERS", default=2, minimum=1, maximum=16),
        shard_count=shard_count,
        shard_ids=shard_ids,
        claim_shard=claim_shard,
        job_lease_timeout=env.number("JOB_LEASE_TIMEOUT", default=30.0, minimum=2.0),
        rest_per_second=env.integer(
            "DISCORD_REST_PER_SECOND", default=44, minimum=1, maximum=DISCORD_GLOBAL_LIMIT,
            too_high="Discord allows 50 a second for the whole bot, every process together",
        ),
        rest_proxy=rest_proxy,
        simulate=simulate,
        provider=provider,
        **read_operator_settings(env, provider),
    )


def display_database_url(url: str) -> str:
    """Where a database URL points, for reports and logs: user, host, port and database, never the password."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = parts.hostname or (query.get("host") or ["localhost"])[0]
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{user}{host}{port}{parts.path or '/'}"


def database_url_secrets(url: str) -> tuple[str, ...]:
    """What to scrub from logs for a database URL: the URL itself and its password, wherever it is written."""
    if not url:
        return ()
    parts = urlsplit(url)
    passwords = [parts.password or "", *parse_qs(parts.query).get("password", [])]
    return (url, *(p for p in passwords if p))


class _Reader:
    """Typed accessors over a flat mapping. A bad value is reported (naming its variable) and replaced by
    the default, so that one pass finds every problem."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values
        self.problems: list[ConfigProblem] = []

    def report(self, name: str, problem: str) -> None:
        self.problems.append(ConfigProblem(name, problem))

    def _raw(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None:
            return None
        return value.strip() or None

    def text(self, name: str, *, default: str) -> str:
        return self._raw(name) or default

    def choice(self, name: str, options: tuple[str, ...], *, default: str, normalise: Callable[[str], str]) -> str:
        value = normalise(self.text(name, default=default))
        if value not in options:
            self.report(name, f"must be one of {', '.join(options)}, not '{value}'")
            return default
        return value

    def secret(self, name: str, *, required: bool) -> Secret:
        value = self._raw(name)
        if value is None and required:
            self.report(name, "is not set")
        return Secret(value or "")

    def flag(self, name: str, *, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        self.report(name, f"must be true or false, not '{value}'")
        return default

    def integer(self, name: str, *, default: int, minimum: int, maximum: int | None = None, too_high: str = "") -> int:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            self.report(name, f"must be a whole number, not '{value}'")
            return default
        if number < minimum:
            self.report(name, f"must be at least {minimum}, not {number}")
            return default
        if maximum is not None and number > maximum:
            self.report(name, f"must be at most {maximum}, not {number}" + (f" ({too_high})" if too_high else ""))
            return default
        return number

    def number(self, name: str, *, default: float, minimum: float) -> float:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            self.report(name, f"must be a number, not '{value}'")
            return default
        if not number >= minimum:  # also rejects NaN
            self.report(name, f"must be at least {minimum:g}, not {value}")
            return default
        return number

    def shard_count(self, name: str) -> int | None:
        value = self._raw(name)
        if value is not None and value.lower() == "auto":
            return None
        if value is not None and not value.isdigit():
            self.report(name, f"must be a whole number of shards, or auto, not '{value}'")
            return 1
        return self.integer(name, default=1, minimum=1)

    def shard_ids(self, name: str, count: int | None) -> tuple[int, ...] | None:
        value = self._raw(name)
        try:
            return None if value is None else parse_shard_ids(value, count)
        except ValueError as error:
            self.report(name, str(error))
            return None

    def snowflake(self, name: str) -> int | None:
        value = self._raw(name)
        if value is None:
            return None
        if not value.isdigit():
            self.report(name, f"must be a numeric Discord ID, not '{value}'")
            return None
        return int(value)

    def csv(self, name: str, *, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self._raw(name)
        if value is None:
            return default
        items = tuple(item.strip() for item in value.split(",") if item.strip())
        if not items:
            self.report(name, "is empty")
            return default
        return items

    def origins(self, name: str) -> tuple[str, ...]:
        origins = []
        for value in self.csv(name, default=()):
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                self.report(name, f"has '{value}', which is not an origin like https://cdn.example.com")
                continue
            origins.append(f"{parts.scheme}://{parts.netloc}")
        return tuple(origins)

    def database_url(self, name: str) -> Secret:
        # Never echo the value in a problem: it usually holds a password.
        value = self._raw(name)
        if value is None:
            return Secret("")
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            self.report(name, "is not a valid URL (expected postgresql://user:password@host:5432/database)")
            return Secret("")
        if parts.scheme not in DATABASE_URL_SCHEMES:
            self.report(name, "must start with postgresql:// (for SQLite, set DATABASE_PATH and leave this empty)")
            return Secret("")
        return Secret(value)

    def provider(self, name: str) -> ProviderProfile:
        choice = self.text(name, default=DEFAULT_PROVIDER)
        try:
            return load_profile(choice)
        except ProfileError as error:
            self.report(name, str(error))
            return load_profile(DEFAULT_PROVIDER)

    def optional_url(self, name: str, *, schemes: tuple[str, ...] = ("http", "https"), carries: str = "") -> str | None:
        value = self._raw(name)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.netloc:
            self.report(name, f"must be a {' or '.join(schemes)} URL, not '{value}'")
            return None
        if carries and in_clear_to_public_host(value):  # the secret would cross networks in clear
            self.report(name, f"would send {carries} in clear to the public host {parts.hostname}; use "
                              f"{parts.scheme}s:// ({parts.scheme}:// only to loopback or a private address)")
            return None
        return value.rstrip("/")
