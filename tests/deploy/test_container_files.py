"""deploy/Dockerfile, deploy/compose.yaml and deploy/Procfile, checked by parsing them.

No Docker engine runs here, so these tests hold the files to their promises instead:
slim Python 3.11 base, dependencies from the lock, non-root final stage without build
tools, one image for every role, and a compose stack that starts in the right order.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

import pytest
import yaml

from .support import DEPLOY_DIR, REPO_ROOT

pytestmark = pytest.mark.deploy

Instruction = tuple[str, str]


def parse_dockerfile(text: str) -> list[list[Instruction]]:
    """Instructions grouped by stage. Comment lines vanish, even inside continuations."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, args = line.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
    assert not pending, "dangling line continuation"

    stages: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction[0] == "FROM":
            stages.append([])
        assert stages, "the first instruction must be FROM (ARG aside, none used here)"
        stages[-1].append(instruction)
    return stages


def exec_form(args: str) -> list[str]:
    parsed = json.loads(args)
    assert isinstance(parsed, list), "use the exec (JSON) form so signals reach the process"
    return parsed


@pytest.fixture(scope="module")
def stages() -> list[list[Instruction]]:
    return parse_dockerfile((DEPLOY_DIR / "Dockerfile").read_text())


@pytest.fixture(scope="module")
def final_stage(stages) -> list[Instruction]:
    return stages[-1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY_DIR / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict[str, Any]:
    return compose["services"]


def args_of(stage: list[Instruction], keyword: str) -> list[str]:
    return [args for kw, args in stage if kw == keyword]


# --- Dockerfile --------------------------------------------------------------------------


def test_multi_stage_build_on_slim_python_311(stages) -> None:
    assert len(stages) >= 2
    for stage in stages:
        base = stage[0][1].split()[0]
        assert re.fullmatch(r"python:3\.11-slim(-[a-z]+)?", base), base
    assert stages[-1][0][1].split()[-1] == "runtime"


def test_final_stage_runs_as_a_numeric_non_root_user(final_stage) -> None:
    users = args_of(final_stage, "USER")
    assert users, "the final stage must switch away from root"
    user, _, group = users[-1].partition(":")
    # Numeric, so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
    assert user.isdigit() and int(user) != 0
    assert not group or (group.isdigit() and int(group) != 0)
    # Nothing after USER switches back or runs as root.
    last_user = max(i for i, (kw, _) in enumerate(final_stage) if kw == "USER")
    assert all(kw not in {"USER", "RUN"} for kw, _ in final_stage[last_user + 1 :])


def test_final_stage_has_no_build_tools(final_stage) -> None:
    forbidden = re.compile(
        r"\b(build-essential|gcc|g\+\+|clang|make|cmake|cargo|rustc|[a-z0-9.+-]+-dev)\b"
    )
    for args in args_of(final_stage, "RUN"):
        assert not forbidden.search(args), args
    # Package lists are not left behind either.
    for args in args_of(final_stage, "RUN"):
        if "apt-get install" in args:
            assert "--no-install-recommends" in args
            assert "rm -rf /var/lib/apt/lists/*" in args


def test_dependencies_come_from_the_lock_file(stages, final_stage) -> None:
    builder = stages[0]
    assert any("requirements.lock" in args for args in args_of(builder, "COPY"))
    installs = [a for a in args_of(builder, "RUN") if "pip install" in a]
    assert installs
    # Every version comes from the lock; wheels only, so no compiler is ever needed.
    assert all("-c requirements.lock" in a or "-r requirements.lock" in a for a in installs)
    assert all("--only-binary=:all:" in a for a in installs)
    copies = args_of(final_stage, "COPY")
    assert any(a.startswith("--from=builder") and "/opt/venv" in a for a in copies)
    assert not any("pip install" in a for a in args_of(final_stage, "RUN"))


def test_image_contains_every_application_package(final_stage) -> None:
    # Source is copied package by package (no .dockerignore needed); a new top-level
    # package must be added to the Dockerfile, or the image would miss it.
    copied = {args.split()[-2].rstrip("/") for args in args_of(final_stage, "COPY")}
    packages = {
        path.name
        for path in REPO_ROOT.iterdir()
        if (path / "__init__.py").is_file() and path.name not in {"tests", "bench"}
    }
    assert packages, "no application packages found"
    assert packages | {"manage.py"} <= copied, sorted(packages | {"manage.py"} - copied)


def test_entrypoint_and_default_command_serve_wsgi(final_stage) -> None:
    (entrypoint,) = args_of(final_stage, "ENTRYPOINT")
    assert exec_form(entrypoint)[0].endswith("tini")
    (cmd,) = args_of(final_stage, "CMD")
    command = exec_form(cmd)
    assert command[:2] == ["gunicorn", "clm_platform.wsgi:application"]
    assert command[command.index("--bind") + 1] == "0.0.0.0:8000"
    assert command[command.index("--threads") + 1] == "1"
    assert "--reload" not in command
    env = " ".join(args_of(final_stage, "ENV"))
    assert "DJANGO_SETTINGS_MODULE=clm_platform.settings" in env
    assert "WEB_CONCURRENCY=" in env  # gunicorn reads its worker count from it
    assert args_of(final_stage, "EXPOSE") == ["8000"]


# --- compose.yaml ------------------------------------------------------------------------

APP_SERVICES = ("migrate", "web", "worker", "scheduler")


def command_of(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else command


def test_compose_has_the_whole_stack(services) -> None:
    assert {"postgres", "redis", "minio", *APP_SERVICES} <= set(services)


@pytest.mark.parametrize("name", ["postgres", "redis", "minio", "web"])
def test_long_running_dependencies_have_healthchecks(services, name: str) -> None:
    check = services[name]["healthcheck"]
    assert check["test"][0] in {"CMD", "CMD-SHELL"}
    assert check.get("retries", 0) >= 3


def test_app_services_share_one_image_built_from_the_dockerfile(services) -> None:
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    for name in APP_SERVICES:
        build = services[name]["build"]
        assert build["dockerfile"] == "deploy/Dockerfile"
        assert (DEPLOY_DIR / build["context"]).resolve() == REPO_ROOT


def test_app_services_run_each_role(services) -> None:
    assert command_of(services["migrate"]) == [
        "python",
        "manage.py",
        "migrate_schemas",
        "--executor=multiprocessing",
    ]
    web = command_of(services["web"])
    assert web[:2] == ["gunicorn", "clm_platform.wsgi:application"]
    assert web[web.index("--threads") + 1] == "1"
    assert command_of(services["worker"])[:2] == ["dramatiq", "tasks"]
    assert command_of(services["scheduler"]) == ["python", "manage.py", "crontab"]
    # One scheduler only: periodic jobs must not be enqueued twice.
    assert services["scheduler"].get("deploy", {}).get("replicas", 1) == 1


def test_startup_order(services) -> None:
    migrate = services["migrate"]["depends_on"]
    assert migrate["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "scheduler"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name


def test_app_services_are_configured_like_production(services) -> None:
    required = {
        "DATABASE_URL",
        "REDIS_URL",
        "JWT_SIGNING_KEY",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "TENANT_BASE_DOMAIN",
        "STORAGE_BACKEND",
        "S3_BUCKET",
        "S3_ENDPOINT_URL",
        "S3_ACCESS_KEY_ID",
        "S3_SECRET_ACCESS_KEY",
        "S3_REGION",
        "SENTRY_ENVIRONMENT",
        "DJANGO_DEBUG",
    }
    for name in APP_SERVICES:
        service = services[name]
        env = service["environment"]
        assert required <= set(env), (name, sorted(required - set(env)))
        assert env["DJANGO_DEBUG"] == "false"
        assert env["STORAGE_BACKEND"] == "s3"
        assert "@postgres:" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert env["S3_ENDPOINT_URL"] == "http://minio:9000"
        # The same hardening as the chart: non-root, read-only root, writable /tmp.
        assert int(service["user"].split(":")[0]) != 0
        assert service["read_only"] is True
        assert "/tmp" in service["tmpfs"]
        assert service["cap_drop"] == ["ALL"]


# --- Procfile ----------------------------------------------------------------------------


def test_procfile_declares_every_process_type() -> None:
    processes = {}
    for line in (DEPLOY_DIR / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = shlex.split(command)
    assert {"web", "worker", "scheduler"} <= set(processes)
    assert processes["web"][:2] == ["gunicorn", "clm_platform.wsgi:application"]
    assert "--workers" in processes["web"]
    assert processes["worker"][:2] == ["dramatiq", "tasks"]
    assert processes["scheduler"] == ["python", "manage.py", "crontab"]
    assert processes["release"][-2:] == ["migrate_schemas", "--executor=multiprocessing"]
