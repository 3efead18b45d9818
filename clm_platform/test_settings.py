"""Settings for the test suite: the normal settings with the test environment's defaults."""

import os
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

os.environ.setdefault("ENVIRONMENT", "test")
os.environ.setdefault("DRAMATIQ_BROKER", "stub")
# Tests make many calls per user; rate-limit tests set their own small limits.
for _name in ("STANDARD", "PREMIUM", "ANONYMOUS", "LOGIN", "REGISTER"):
    os.environ.setdefault(f"RATE_LIMIT_{_name}", "100000")

from clm_platform.settings import *  # noqa: E402,F403
from clm_platform.settings import REDIS_URL  # noqa: E402


def _redis_db(url: str, db: int) -> str:
    """The same server, another database: tests flush it freely."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query), db=str(db))
        return urlunsplit(parts._replace(query=urlencode(query)))
    return urlunsplit(parts._replace(path=f"/{db}"))


REDIS_URL = os.environ.get("TEST_REDIS_URL") or _redis_db(REDIS_URL, 15)
