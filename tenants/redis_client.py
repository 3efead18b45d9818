"""One shared Redis connection pool for cache, rate limits and token revocation."""

import logging
import uuid
from collections.abc import Callable
from functools import lru_cache

import redis
from django.conf import settings
from django.db import transaction

log = logging.getLogger("clm.redis")


@lru_cache(maxsize=1)
def get_redis() -> redis.Redis:
    return redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5, decode_responses=True
    )


# Cache versions: a process keeps rows it loaded under the version it read BEFORE loading them,
# and uses them while the version is unchanged; a service that changes the rows replaces it.
# A missing key is made anew, so an entry stored under a lost key never matches again.

def read_versions(*keys: str) -> list[str] | None:
    """The versions at `keys` (made when missing), one round trip; None when Redis is
    unreachable."""
    try:
        pipe = get_redis().pipeline(transaction=False)
        for key in keys:
            pipe.set(key, uuid.uuid4().hex, nx=True)
            pipe.get(key)
        return pipe.execute()[1::2]
    except redis.RedisError:
        return None


def replace_version(key: str) -> None:
    """Raises redis.RedisError when Redis is unreachable."""
    get_redis().set(key, uuid.uuid4().hex)


def version_changed(key: str, *, forget_local: Callable[[], None] | None = None) -> None:
    """Every process drops what it cached under the version at `key`, at its next check.

    The version is replaced now, so that this transaction's own later reads (and tests, which
    never commit) see the change, and again after commit: a process that reloaded in between
    read the rows as they were before the commit and stored them under the first new version.
    `forget_local` drops this process's own entries before each replacement.
    """
    def replace():
        if forget_local is not None:
            forget_local()
        try:
            replace_version(key)
        except redis.RedisError as exc:
            log.warning("cache version %s not replaced (other processes keep their entries "
                        "until they expire): %s", key, exc)

    replace()
    transaction.on_commit(replace)
