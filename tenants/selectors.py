"""Reads of tenants and users; the per-request tenant lookups go through tenants.tenant_cache."""

from django.db.models import Q

from core.errors import NotFound
from tenants import tenant_cache
from tenants.models import Domain, Tenant, User
from tenants.schema_template import TEMPLATE_SCHEMA


# The tenant cache's keys: lookups and `tenant_added` must name an entry the same way.
def _host_key(host: str) -> tuple[str, str]:
    return ("host", host.lower())


def _id_key(tenant_id) -> tuple[str, str]:
    return ("id", str(tenant_id))


def tenant_for_host(host: str) -> Tenant | None:
    def load():
        domain = Domain.objects.select_related("tenant").filter(domain=host).first()
        return domain.tenant if domain else None

    return tenant_cache.lookup(_host_key(host), load)


def tenant_by_id(tenant_id: str) -> Tenant | None:
    return tenant_cache.lookup(_id_key(tenant_id),
                              lambda: Tenant.objects.filter(pk=tenant_id).first())


def tenant_added(tenant: Tenant, host: str) -> None:
    """Processes that looked up this host or id before the tenant existed look again."""
    tenant_cache.tenant_added(_host_key(host), _id_key(tenant.pk))


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
