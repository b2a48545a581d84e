"""deploy/: the image, the compose file and the dashboard, checked as far as a machine that can neither pull a
base image nor run a container can check them: they parse, what they copy exists, what they set is a real
setting, they start the installed command, the image installs with the script CI installs with, and the
dashboard draws only metrics the bot exports."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

import bot.core.metrics  # noqa: F401 - registers the bot's metrics
from bot.cli.main import parse_args

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BOT_SERVICES = ("migrate", "bot")  # the services that run the image


def setting_names() -> set[str]:
    """Every variable the settings read (bot/core/config.py and the modules it reads some through): each read
    is `env.<kind>("NAME", …)`, `reader.<kind>("NAME", …)` or `<helper>(env, "NAME", …)`."""
    source = "\n".join(path.read_text() for path in (ROOT / "bot" / "core").glob("*.py"))
    return set(re.findall(r'\b(?:env|reader)(?:\.\w+\(|,)\s*"([A-Z][A-Z0-9_]+)"', source))


def env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def compose_variables() -> set[str]:
    """The names compose.yaml interpolates (${NAME}, ${NAME:-default}, ${NAME:?message})."""
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (DEPLOY / "compose.yaml").read_text()))


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) for each instruction, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    pairs = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def test_the_settings_are_listed_in_env_example_and_the_readme() -> None:
    settings, listed = setting_names(), set(env_example())
    assert {"DISCORD_TOKEN", "HTTP_PORT", "HTTP_HOST", "LOG_FORMAT", "DATABASE_URL"} <= settings
    assert settings <= listed
    assert listed - settings == compose_variables()  # the rest of .env.example is exactly what compose reads
    readme = (ROOT / "README.md").read_text()
    # The configuration table names each (MAX_JOBS_PER_GUILD as "`MAX_JOBS_GLOBAL` / `_PER_GUILD`").
    assert {name for name in settings if f"`{name}`" not in readme} <= {"MAX_JOBS_PER_GUILD"}


def test_the_dockerfile_builds_from_the_repository_as_a_non_root_user() -> None:
    steps = dockerfile()
    bases = [arguments.split()[0] for instruction, arguments in steps if instruction == "FROM"]
    assert len(bases) >= 2 and all(base.startswith("python:3.11-slim") for base in bases)  # multi-stage, slim
    for instruction, arguments in steps:
        if instruction == "COPY" and "--from=" not in arguments:
            *sources, _ = shlex.split(arguments)
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
    users = [arguments for instruction, arguments in steps if instruction == "USER"]
    assert users and users[-1] not in ("root", "0")
    runs = " ".join(arguments for instruction, arguments in steps if instruction == "RUN")
    assert "apt-get" not in runs and "ffmpeg" not in runs.lower()  # PyAV's wheels carry FFmpeg


def test_every_environment_name_the_image_and_compose_set_is_a_setting() -> None:
    settings = setting_names()
    for instruction, arguments in dockerfile():
        if instruction == "ENV":
            names = re.findall(r"([A-Z][A-Z0-9_]*)=", arguments)
            assert names and set(names) <= settings, arguments
    services = compose()["services"]
    for name in BOT_SERVICES:
        environment = services[name]["environment"]
        assert set(environment) <= settings, (name, set(environment) - settings)
        assert services[name]["env_file"] == ".env"


def test_the_entrypoint_is_the_installed_command_and_the_healthcheck_asks_healthz() -> None:
    steps = dict(dockerfile())
    entrypoint = json.loads(steps["ENTRYPOINT"])
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert len(entrypoint) == 1 and Path(entrypoint[0]).name == "videobot" and "videobot" in scripts
    assert "/healthz" in steps["HEALTHCHECK"] and "HTTP_PORT" in steps["HEALTHCHECK"]


def test_the_image_installs_with_the_script_ci_runs() -> None:
    runs = [arguments for instruction, arguments in dockerfile() if instruction == "RUN"]
    install = [run for run in runs if ".ci/install.sh" in run]
    assert install == ["sh .ci/install.sh /opt/venv ."]
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^sh \.ci/install\.sh \.venv -e '\.\[test\]'", ci, re.MULTILINE)
    assert "pip install" not in " ".join(runs)  # nothing installed beside the script


def test_compose_runs_postgres_then_the_migrations_once_then_n_shard_processes() -> None:
    services = compose()["services"]
    postgres = services["postgres"]
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    migrate, bot = services["migrate"], services["bot"]
    assert parse_args(migrate["command"]).command == "migrate" and migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert bot["deploy"]["replicas"] == bot["environment"]["DISCORD_SHARD_COUNT"] == "${BOT_PROCESSES:-1}"
    assert bot["environment"]["DISCORD_SHARD_IDS"] == "claim"  # each process claims a shard of its own
    assert bot["restart"] == "on-failure"
    build = bot["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert "postgres-data" in compose()["volumes"]


def test_the_migrate_step_creates_the_schema_and_exits(tmp_path: Path) -> None:
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT),
                   "DATABASE_PATH": str(tmp_path / "videobot.sqlite3")}
    done = subprocess.run([sys.executable, "-m", "bot", "migrate", "--env-file", str(tmp_path / "none.env")],
                          env=environment, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok       database: SQLite") and "schema version" in done.stdout


def test_the_dashboard_draws_only_metrics_the_bot_exports() -> None:
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    exported: set[str] = set()
    for family in REGISTRY.collect():
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}.get(family.type, ("",))
        exported |= {family.name + suffix for suffix in suffixes}
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\b((?:videobot|process)_[a-z0-9_]+)", target["expr"])
    }
    assert len(dashboard["panels"]) >= 10 and queried
    assert queried <= exported, queried - exported
    drawn = {name.removesuffix("_total").removesuffix("_bucket") for name in queried}
    ours = {family.name for family in REGISTRY.collect() if family.name.startswith("videobot_")}
    assert ours <= drawn, ours - drawn  # every metric of bot/core/metrics.py has a panel
