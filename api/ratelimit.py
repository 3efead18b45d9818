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
from typing import NamedTuple

import redis
from django.conf import settings

from api.errors import domain_error_response
from api.middleware import client_ip
from api.security import accept_principal, principal_unless_revoked, user_and_role_permissions
from core.errors import AuthenticationFailed, RateLimited
from core.rbac import principal_cache
from tenants import tokens
from tenants.redis_client import get_redis

log = logging.getLogger("clm.ratelimit")

# Sliding-window log: a sorted set of admitted requests' times (ms, Redis's own clock so that
# every process agrees). At most `limit` requests in any `window` ms, and the check-and-add is
# one script, so concurrent requests can never both take the last slot. Memory is bounded by
# the limit per key. Returns {admitted, remaining, reset_ms, now_ms}; reset is when the oldest
# counted request leaves the window, i.e. when a slot frees up.
_WINDOW_FUNCTION = """
local function window_hit(key, limit, window, member)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  local admitted = 0
  if count < limit then
    redis.call('ZADD', key, now, member)
    count = count + 1
    admitted = 1
  end
  redis.call('PEXPIRE', key, window)
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]
  oldest = oldest and tonumber(oldest) or now
  return {admitted, limit - count, oldest + window, now}
end
"""
_SLIDING_WINDOW = _WINDOW_FUNCTION + """
return window_hit(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3])
"""

# What a request needs from Redis before it runs, in one round trip: the access token's
# denylist keys, the tenant's principals version (core.rbac.principal_cache; set to ARGV[5]
# when missing, so a lost key never matches an old entry), then the rate limit (the caller's
# bucket, or the anonymous one when the token turns out revoked, as for any failing token).
# The shared request counters (api/metrics) count the answered request's status, after it.
# KEYS: bucket ("" = unlimited), anonymous bucket, version key ("" = none), denylist keys
# (0 or 2). ARGV: limit, anonymous limit, window ms, member, a new version.
# Returns {revoked, version, limited, admitted, remaining, reset_ms, now_ms, limit}.
_REQUEST = _WINDOW_FUNCTION + """
local revoked = 0
for i = 4, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then revoked = 1 end
end
local version = ''
if KEYS[3] ~= '' then
  redis.call('SET', KEYS[3], ARGV[5], 'NX')
  version = redis.call('GET', KEYS[3])
end
local key, limit = KEYS[1], tonumber(ARGV[1])
if revoked == 1 then key, limit = KEYS[2], tonumber(ARGV[2]) end
if key == '' then return {revoked, version, 0, 1, 0, 0, 0, 0} end
local r = window_hit(key, limit, tonumber(ARGV[3]), ARGV[4])
return {revoked, version, 1, r[1], r[2], r[3], r[4], limit}
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


def _decision(limit: int, admitted, remaining, reset_ms, now_ms) -> Decision:
    return Decision(
        admitted=bool(admitted),
        limit=limit,
        remaining=max(0, int(remaining)),
        reset=math.ceil(int(reset_ms) / 1000),
        retry_after=max(1, math.ceil((int(reset_ms) - int(now_ms)) / 1000)),
    )


def hit(key: str, *, limit: int, window_seconds: int) -> Decision:
    """Counts one request against `key`. Raises redis.RedisError when Redis is unavailable."""
    client = get_redis()
    script = client.register_script(_SLIDING_WINDOW)
    admitted, remaining, reset_ms, now_ms = script(
        keys=[key], args=[limit, window_seconds * 1000, uuid.uuid4().hex], client=client
    )
    return _decision(limit, admitted, remaining, reset_ms, now_ms)


class _Plan(NamedTuple):
    """What the request script is asked: the bucket (None: unlimited) and whose token to check."""

    key: str | None
    limit: int
    anon_key: str
    principal: object | None
    cached: principal_cache.Entry | None = None  # what the principal was built from, if cached


def _plan(request) -> _Plan:
    ip = client_ip(request) or "unknown"
    anon_key = f"rl:anon:ip:{ip}"
    strict = _STRICT_PATHS.get(request.path)
    if strict:
        name, setting = strict
        return _Plan(f"rl:{name}:ip:{ip}", getattr(settings, setting), anon_key, None)
    principal, cached = _principal(request)
    if principal is None:
        return _Plan(anon_key, settings.RATE_LIMIT_ANONYMOUS, anon_key, None)
    if principal.user.is_staff or ADMIN_ROLE in principal.roles:
        return _Plan(None, 0, anon_key, principal, cached)
    plan = getattr(principal.tenant, "plan", "standard")
    limit = settings.RATE_LIMIT_PREMIUM if plan == "premium" else settings.RATE_LIMIT_STANDARD
    return _Plan(f"rl:user:{principal.user.pk}", limit, anon_key, principal, cached)


def _schema(request) -> str | None:
    tenant = getattr(request, "tenant", None)
    return tenant.schema_name if tenant is not None else None


def _principal(request):
    """(principal or None, the cache entry it was built from or None)."""
    claims = getattr(request, "token_claims", None)
    if not claims or getattr(request, "token_conflict", False):
        return None, None
    schema = _schema(request)
    cached = principal_cache.cache.get(schema, claims["sub"]) if schema else None
    if cached is not None:
        try:
            return principal_unless_revoked(request, (cached.user, cached.role_permissions)), cached
        except AuthenticationFailed:
            pass  # perhaps only the entry is behind (a new token_version): the database decides
    # The version is read BEFORE the rows: a change committed in between bumps it again.
    version = principal_cache.read_version(schema) if schema else None
    loaded = user_and_role_permissions(request)
    try:
        principal = principal_unless_revoked(request, loaded)
    except AuthenticationFailed:
        # A bad token is limited like an anonymous call; the operation answers 401 itself.
        return None, None
    if schema:
        principal_cache.cache.put(schema, *loaded, version)
    return principal, None


def _current(request, plan: _Plan, version: str | None):
    """The plan's principal if it is still what the database says, else the database's."""
    if plan.cached is None or (version and plan.cached.version == version):
        return plan.principal
    loaded = user_and_role_permissions(request)
    if version:  # loaded after the version was read: valid under it
        principal_cache.cache.put(_schema(request), loaded[0], loaded[1], version)
    try:
        return principal_unless_revoked(request, loaded)
    except AuthenticationFailed:
        return None  # the operation answers 401


def _run(request, plan: _Plan, window: int) -> Decision | None:
    """One Redis round trip; None when unlimited. Raises redis.RedisError when unavailable."""
    claims = request.token_claims if plan.principal is not None else None
    schema = _schema(request) if plan.principal is not None else None
    client = get_redis()
    script = client.register_script(_REQUEST)
    revoked, version, limited, *result = script(
        keys=[plan.key or "", plan.anon_key,
              principal_cache.version_key(schema) if schema else "",
              *(tokens.access_revocation_keys(claims) if claims else [])],
        args=[plan.limit, settings.RATE_LIMIT_ANONYMOUS, window * 1000, uuid.uuid4().hex,
              uuid.uuid4().hex],
        client=client,
    )
    if plan.principal is not None:
        version = version.decode() if isinstance(version, bytes) else version
        principal = _current(request, plan, version)
        if principal is not None:
            accept_principal(request, principal, revoked=bool(revoked))
    if not limited:
        return None
    admitted, remaining, reset_ms, now_ms, limit = result
    return _decision(int(limit), admitted, remaining, reset_ms, now_ms)


class RateLimitMiddleware:
    """Sits after tenant resolution: the principal's roles live in the tenant's schema."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.RATE_LIMIT_ENABLED or not request.path.startswith("/api/"):
            return self.get_response(request)
        plan = _plan(request)
        window = settings.RATE_LIMIT_WINDOW_SECONDS
        try:
            decision = _run(request, plan, window)
        except redis.RedisError as exc:
            if plan.principal is not None:
                tokens.denylist_unavailable(request.token_claims)
                # A cached principal cannot be checked against its version: reloaded.
                principal = _current(request, plan, None)
                if principal is not None:
                    accept_principal(request, principal, revoked=False)
            if plan.key is None:
                return _unlimited(self.get_response(request))
            log.warning("rate limiter unavailable, serving %s unlimited: %s", request.path, exc)
            return self.get_response(request)
        if decision is None:
            return _unlimited(self.get_response(request))
        if decision.admitted:
            response = self.get_response(request)
        else:
            # The operation never runs; the request log line still names the caller.
            request.auth = getattr(request, "_principal", None)
            response = domain_error_response(RateLimited(
                decision.retry_after,
                f"Rate limit of {decision.limit} requests per {window} seconds exceeded; "
                f"retry in {decision.retry_after} seconds",
            ))
        response["X-RateLimit-Limit"] = str(decision.limit)
        response["X-RateLimit-Remaining"] = str(decision.remaining)
        response["X-RateLimit-Reset"] = str(decision.reset)
        return response


def _unlimited(response):
    response["X-RateLimit-Limit"] = "unlimited"
    response["X-RateLimit-Remaining"] = "unlimited"
    response["X-RateLimit-Reset"] = str(int(time.time()))
    return response
