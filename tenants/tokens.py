"""JWT access and refresh tokens: issuing, verifying, rotation and revocation."""

import functools
import logging
import time
import uuid
from datetime import UTC, datetime

import jwt
import redis
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from core.errors import AuthenticationFailed
from tenants.models import RefreshToken, User
from tenants.redis_client import get_redis

log = logging.getLogger(__name__)

ACCESS = "access"
REFRESH = "refresh"
_REQUIRED_CLAIMS = ["iss", "aud", "sub", "tid", "typ", "jti", "iat", "nbf", "exp"]


def _encode(claims: dict) -> str:
    return jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=settings.JWT_ALGORITHM)


def _claims(user: User, typ: str, jti: uuid.UUID, family: uuid.UUID, now: datetime) -> dict:
    lifetime = settings.ACCESS_TOKEN_LIFETIME if typ == ACCESS else settings.REFRESH_TOKEN_LIFETIME
    return {
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "sub": str(user.pk),
        "tid": str(user.tenant_id) if user.tenant_id else "",
        "typ": typ,
        "jti": str(jti),
        "sid": str(family),
        "ver": user.token_version,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }


def issue_pair(user: User, family: uuid.UUID | None = None) -> dict[str, str]:
    """A new access token and a new refresh token (recorded) in the given family."""
    now = timezone.now()
    family = family or uuid.uuid4()
    refresh_jti = uuid.uuid4()
    RefreshToken.objects.create(
        jti=refresh_jti,
        family=family,
        user=user,
        expires_at=now + settings.REFRESH_TOKEN_LIFETIME,
    )
    return {
        "access": _encode(_claims(user, ACCESS, uuid.uuid4(), family, now)),
        "refresh": _encode(_claims(user, REFRESH, refresh_jti, family, now)),
    }


def decode(token: str, *, expected_type: str) -> dict:
    """Verify signature, pinned algorithm, issuer, audience, lifetimes and type."""
    claims = dict(_verified(token, settings.JWT_SIGNING_KEY, settings.JWT_ALGORITHM,
                            settings.JWT_AUDIENCE, settings.JWT_ISSUER))
    # A cached verification still expires with the token (PyJWT's own rule, no leeway).
    if claims["exp"] <= time.time() or claims.get("typ") != expected_type:
        raise AuthenticationFailed()
    return claims


@functools.lru_cache(maxsize=4096)
def _verified(token: str, key: str, algorithm: str, audience: str, issuer: str) -> dict:
    """The claims of a token whose signature and claims checked out, remembered per process.

    A client sends the same access token with every request for its lifetime; verifying it
    again each time was a tenth of a list request's CPU (bench/README.md). Failures raise, so
    they are never remembered; the settings are part of the key, so a new signing key counts.
    """
    try:
        return jwt.decode(token, key, algorithms=[algorithm], audience=audience, issuer=issuer,
                          options={"require": _REQUIRED_CLAIMS})
    except jwt.PyJWTError as exc:
        raise AuthenticationFailed() from exc


def is_stale(claims: dict, user: User) -> bool:
    """Issued before the user's last password change or deactivation."""
    return claims.get("ver") != user.token_version


# Revocation of access tokens lives in Redis until the token would expire anyway.
def _denylist_key(kind: str, value: str) -> str:
    return f"auth:revoked:{kind}:{value}"


def access_revocation_keys(claims: dict) -> list[str]:
    """Keys whose presence revokes this access token (the rate limiter checks them itself)."""
    return [_denylist_key("jti", claims["jti"]), _denylist_key("sid", claims.get("sid", ""))]


def is_access_revoked(claims: dict) -> bool:
    try:
        values = get_redis().mget(*access_revocation_keys(claims))
    except redis.RedisError:
        denylist_unavailable(claims)
        return False
    return any(values)


def denylist_unavailable(claims: dict) -> None:
    # Availability over strictness: access tokens live 15 minutes; refresh is checked in SQL.
    log.warning("token denylist unavailable; accepting access token %s", claims["jti"])


def _denylist(kind: str, value: str, ttl_seconds: int) -> None:
    try:
        get_redis().set(_denylist_key(kind, value), "1", ex=max(1, ttl_seconds))
    except redis.RedisError:
        log.error("token denylist unavailable; could not revoke %s %s", kind, value)


def revoke_access(claims: dict) -> None:
    remaining = claims["exp"] - int(datetime.now(UTC).timestamp())
    _denylist("jti", claims["jti"], remaining)


def revoke_family(family) -> None:
    RefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    _denylist("sid", str(family), int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()))


def revoke_all_for_user(user: User) -> None:
    """Password change or deactivation: every token issued so far stops working."""
    User.objects.filter(pk=user.pk).update(token_version=models.F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])
    RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def rotate(refresh_token: str) -> tuple[User, dict[str, str]]:
    """Use a refresh token once; reusing a spent one revokes its whole family (theft)."""
    claims = decode(refresh_token, expected_type=REFRESH)
    reused = False
    with transaction.atomic():
        row = (
            RefreshToken.objects.select_for_update()
            .select_related("user")
            .filter(jti=claims["jti"])
            .first()
        )
        if row is None:
            raise AuthenticationFailed()
        user = row.user
        if row.used_at or row.revoked_at:
            reused = True
        elif not user.is_active or is_stale(claims, user):
            raise AuthenticationFailed()
        else:
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
            pair = issue_pair(user, family=row.family)
    if reused:
        # Outside the failed path's transaction so the revocation sticks.
        revoke_family(row.family)
        raise AuthenticationFailed("Refresh token reuse detected; the session was revoked")
    return user, pair
