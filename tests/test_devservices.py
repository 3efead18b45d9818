"""deploy/devservices.py runs a command against embedded PostgreSQL and Redis, then stops them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow

LAUNCHER = Path(__file__).resolve().parent.parent / "deploy" / "devservices.py"

# Run by the launcher: uses both services, reports what it saw, and exits with a code of its own.
CLIENT = """
import json, os, sys
import psutil, psycopg, redis

with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
    assert conn.execute("SELECT 1").fetchone() == (1,)
    conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    extensions = [name for (name,) in conn.execute("SELECT extname FROM pg_extension")]
    postmaster = psutil.Process(conn.info.backend_pid).ppid()
client = redis.Redis.from_url(os.environ["REDIS_URL"])
seen = {"extensions": extensions, "postmaster": postmaster, "ping": client.ping()}
seen["redis"] = client.info("server")["process_id"]
json.dump(seen, sys.stdout)
sys.exit(3)
"""


def is_running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE  # a zombie has exited
    except psutil.NoSuchProcess:
        return False


def processes_in(directory: Path) -> list[psutil.Process]:
    """Running processes whose working directory is in directory, as servers chdir to theirs."""
    found = []
    for process in psutil.process_iter():
        try:
            if Path(process.cwd()).is_relative_to(directory):
                found.append(process)
        except psutil.Error:  # gone, a zombie (it has exited), or not ours to inspect
            continue
    return found


def test_command_gets_embedded_services_and_its_exit_code_is_kept(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)

    result = subprocess.run(
        [sys.executable, LAUNCHER, "--data-dir", data_dir, "--", sys.executable, "-c", CLIENT],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert result.returncode == 3, result.stderr
    seen = json.loads(result.stdout)
    assert seen["ping"] is True
    assert "pg_trgm" in seen["extensions"]
    assert not is_running(seen["postmaster"])
    assert not is_running(seen["redis"])
    assert processes_in(data_dir) == []
