"""Reads of tenants and users, with a short in-process cache for per-request tenant lookups."""

import time

from django.conf import settings
from django.db.models import Q

from core.errors import NotFound
from tenants.models import Domain, Tenant, User
from tenants.schema_template import TEMPLATE_SCHEMA

_MAX_ENTRIES = 20_000
_cache: dict[tuple[str, str], tuple[float, Tenant | None]] = {}


def _cached(key: tuple[str, str], load):
    now = time.monotonic()
    hit = _cache.get(key)
    if hit and hit[0] > now:
        return hit[1]
    value = load()
    if len(_cache) >= _MAX_ENTRIES:  # unknown Host headers must not grow it without bound
        for stale in [k for k, (expires, _) in _cache.items() if expires <= now]:
            del _cache[stale]
        if len(_cache) >= _MAX_ENTRIES:
            _cache.clear()
    _cache[key] = (now + settings.TENANT_CACHE_SECONDS, value)
    return value


def forget_tenant_cache() -> None:
    """Called when a tenant changes so this process sees it at once (others within the TTL)."""
    _cache.clear()


def tenant_for_host(host: str) -> Tenant | None:
    def load():
        domain = Domain.objects.select_related("tenant").filter(domain=host).first()
        return domain.tenant if domain else None

    return _cached(("host", host), load)


def tenant_by_id(tenant_id: str) -> Tenant | None:
    return _cached(("id", tenant_id), lambda: Tenant.objects.filter(pk=tenant_id).first())


def user_get(*, user_id) -> User | None:
    return User.objects.filter(pk=user_id).first()


def user_by_email(*, email: str) -> User | None:
    return User.objects.select_related("tenant").filter(email=email.strip().lower()).first()


def tenant_list():
    # The template new schemas are copied from is a tenant only for `migrate_schemas`.
    return (Tenant.objects.exclude(schema_name__in=["public", TEMPLATE_SCHEMA])
            .order_by("created_at"))


def users_of_tenant(*, tenant_id, search: str = ""):
    qs = User.objects.filter(tenant_id=tenant_id)
    if search:
        qs = qs.filter(
            Q(email__icontains=search) | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
        )
    return qs.order_by("date_joined", "email")


def user_get_in_tenant(*, tenant_id, user_id) -> User:
    """A user of the caller's tenant; another tenant's user is the same 404 as a missing one."""
    user = User.objects.filter(pk=user_id, tenant_id=tenant_id).first()
    if user is None:
        raise NotFound()
    return user


def tenant_get(*, tenant_id) -> Tenant:
    tenant = tenant_list().filter(pk=tenant_id).first()
    if tenant is None:
        raise NotFound()
    return tenant
