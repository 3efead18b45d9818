"""The benchmark's own database, environment and Django set-up, shared by every suite.

The benchmark never touches the development database: it works in `<name>_bench` next to
DATABASE_URL's database (or BENCH_DATABASE_URL), which it creates, reuses while the migrations
are unchanged, and rebuilds otherwise. The server and the workers it starts get the same
environment, so they all see that database and these settings.
"""

import hashlib
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PY = sys.executable

# One password hash for every benchmark user: Argon2 per user would dominate the set-up.
PASSWORD = "Bench-Password-2026!"


def bench_database_url() -> str:
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit and not os.environ.get("BENCH_DB_SUFFIX"):
        return explicit
    base = (explicit or os.environ.get("BENCH_BASE_DATABASE_URL")
            or os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/clm")
    parts = urlsplit(base)
    name = parts.path.lstrip("/") or "clm"
    # The tenant-count suite keeps one database per tenant count (BENCH_DB_SUFFIX).
    suffix = os.environ.get("BENCH_DB_SUFFIX", "")
    return urlunsplit(parts._replace(path=f"/{name}_bench{'_' + suffix if suffix else ''}"))


def admin_url(url: str) -> str:
    """The same server's `postgres` database, to create or drop the benchmark database."""
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def db_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def migrations_fingerprint() -> str:
    """Changes whenever a migration file is added or edited: the cached world is then stale."""
    digest = hashlib.sha1()
    for path in sorted(ROOT.glob("*/migrations/*.py")) + sorted(
        ROOT.glob("core/*/migrations/*.py")
    ):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def server_env(**extra: str) -> dict[str, str]:
    """Environment of the benchmark process, the gunicorn server and the workers."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=bench_database_url(),
        DJANGO_SETTINGS_MODULE="bench.settings",
        ENVIRONMENT="dev",
        DJANGO_DEBUG="0",
        LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        # The limiter runs on every request (Redis script) but never refuses the benchmark.
        RATE_LIMIT_STANDARD="1000000000",
        RATE_LIMIT_PREMIUM="1000000000",
        RATE_LIMIT_REGISTER="1000000000",
        ACCESS_TOKEN_MINUTES="720",
        DRAMATIQ_BROKER="redis",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def apply_env() -> None:
    # DATABASE_URL becomes the benchmark's own; the original names where to make the others.
    os.environ.setdefault("BENCH_BASE_DATABASE_URL", os.environ.get("DATABASE_URL", ""))
    os.environ.update(server_env())
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def ensure_database(*, fresh: bool) -> bool:
    """Creates the benchmark database if needed; True when it was (re)created empty."""
    url = bench_database_url()
    name = db_name(url)
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
            )
            conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    return False


def setup_django() -> None:
    apply_env()
    import django

    django.setup()
