"""Request rate limits: per user by plan, per IP when anonymous, one atomic Redis script.

Every /api/ response carries X-RateLimit-Limit, -Remaining and -Reset; over the limit is 429 with
Retry-After. Staff and tenant admins are not limited ("unlimited" in the headers). If Redis is
unavailable requests are served unlimited and without the headers, and a warning is logged.
"""

import logging
import math
import time
import uuid
from dataclasses import dataclass

import redis
from django.conf import settings

from api.errors import domain_error_response
from api.middleware import client_ip
from api.security import principal_for_request
from core.errors import AuthenticationFailed, RateLimited
from tenants.redis_client import get_redis

log = logging.getLogger("clm.ratelimit")

# Sliding-window log: a sorted set of admitted requests' times (ms, Redis's own clock so that
# every process agrees). At most `limit` requests in any `window` ms, and the check-and-add is
# one script, so concurrent requests can never both take the last slot. Memory is bounded by
# the limit per key. Returns {admitted, remaining, reset_ms, now_ms}; reset is when the oldest
# counted request leaves the window, i.e. when a slot frees up.
_SLIDING_WINDOW = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local admitted = 0
if count < limit then
  redis.call('ZADD', key, now, ARGV[3])
  count = count + 1
  admitted = 1
end
redis.call('PEXPIRE', key, window)
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]
oldest = oldest and tonumber(oldest) or now
return {admitted, limit - count, oldest + window, now}
"""

# Stricter per-IP buckets (settings names) for the endpoints that guess passwords or make tenants.
_STRICT_PATHS = {
    "/api/auth/login/": ("login", "RATE_LIMIT_LOGIN"),
    "/api/auth/register/": ("register", "RATE_LIMIT_REGISTER"),
}
ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class Decision:
    admitted: bool
    limit: int
    remaining: int
    reset: int  # epoch seconds when a slot frees up
    retry_after: int  # seconds; meaningful when not admitted


def hit(key: str, *, limit: int, window_seconds: int) -> Decision:
    """Counts one request against `key`. Raises redis.RedisError when Redis is unavailable."""
    client = get_redis()
    script = client.register_script(_SLIDING_WINDOW)
    admitted, remaining, reset_ms, now_ms = script(
        keys=[key], args=[limit, window_seconds * 1000, uuid.uuid4().hex], client=client
    )
    return Decision(
        admitted=bool(admitted),
        limit=limit,
        remaining=max(0, int(remaining)),
        reset=math.ceil(int(reset_ms) / 1000),
        retry_after=max(1, math.ceil((int(reset_ms) - int(now_ms)) / 1000)),
    )


def bucket_for(request) -> tuple[str, int] | None:
    """(Redis key, limit per window) for this request, or None when the caller is unlimited."""
    ip = client_ip(request) or "unknown"
    strict = _STRICT_PATHS.get(request.path)
    if strict:
        name, setting = strict
        return f"rl:{name}:ip:{ip}", getattr(settings, setting)
    principal = _principal(request)
    if principal is None:
        return f"rl:anon:ip:{ip}", settings.RATE_LIMIT_ANONYMOUS
    if principal.user.is_staff or ADMIN_ROLE in principal.roles:
        return None
    plan = getattr(principal.tenant, "plan", "standard")
    limit = settings.RATE_LIMIT_PREMIUM if plan == "premium" else settings.RATE_LIMIT_STANDARD
    return f"rl:user:{principal.user.pk}", limit


def _principal(request):
    if not getattr(request, "token_claims", None):
        return None
    try:
        return principal_for_request(request)
    except AuthenticationFailed:
        # A bad token is limited like an anonymous call; the operation answers 401 itself.
        return None


class RateLimitMiddleware:
    """Sits after tenant resolution: the principal's roles live in the tenant's schema."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.RATE_LIMIT_ENABLED or not request.path.startswith("/api/"):
            return self.get_response(request)
        bucket = bucket_for(request)
        if bucket is None:
            response = self.get_response(request)
            response["X-RateLimit-Limit"] = "unlimited"
            response["X-RateLimit-Remaining"] = "unlimited"
            response["X-RateLimit-Reset"] = str(int(time.time()))
            return response
        key, limit = bucket
        window = settings.RATE_LIMIT_WINDOW_SECONDS
        try:
            decision = hit(key, limit=limit, window_seconds=window)
        except redis.RedisError as exc:
            log.warning("rate limiter unavailable, serving %s unlimited: %s", request.path, exc)
            return self.get_response(request)
        if decision.admitted:
            response = self.get_response(request)
        else:
            # The operation never runs; the request log line still names the caller.
            request.auth = getattr(request, "_principal", None)
            response = domain_error_response(RateLimited(
                decision.retry_after,
                f"Rate limit of {limit} requests per {window} seconds exceeded; "
                f"retry in {decision.retry_after} seconds",
            ))
        response["X-RateLimit-Limit"] = str(decision.limit)
        response["X-RateLimit-Remaining"] = str(decision.remaining)
        response["X-RateLimit-Reset"] = str(decision.reset)
        return response
