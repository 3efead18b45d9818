"""Login-failure throttling per account and per client IP, counted in Redis."""

import contextlib
import logging

import redis
from django.conf import settings

from core.errors import RateLimited
from tenants.redis_client import get_redis

log = logging.getLogger(__name__)


def _keys(email: str, ip: str | None) -> list[tuple[str, int]]:
    keys = [(f"login:fail:acct:{email}", settings.LOGIN_FAILURES_PER_ACCOUNT)]
    if ip:
        keys.append((f"login:fail:ip:{ip}", settings.LOGIN_FAILURES_PER_IP))
    return keys


def check_login_allowed(email: str, ip: str | None) -> None:
    try:
        r = get_redis()
        for key, limit in _keys(email, ip):
            count = r.get(key)
            if count is not None and int(count) >= limit:
                raise RateLimited(r.ttl(key), "Too many failed login attempts; retry later")
    except redis.RedisError:
        log.warning("login throttle unavailable; allowing attempt")


def record_login_failure(email: str, ip: str | None) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    try:
        pipe = get_redis().pipeline()
        for key, _ in _keys(email, ip):
            # The window starts at the first failure (SET NX works on Redis 6, EXPIRE NX needs 7).
            pipe.set(key, 0, ex=window, nx=True)
            pipe.incr(key)
        pipe.execute()
    except redis.RedisError:
        log.warning("login throttle unavailable; failure not counted")


def clear_account_failures(email: str) -> None:
    with contextlib.suppress(redis.RedisError):
        get_redis().delete(f"login:fail:acct:{email}")
