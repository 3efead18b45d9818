"""Tenant provisioning, registration, login, refresh, logout and invitations."""

import hashlib
import logging
import secrets
import uuid
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django_tenants.utils import get_public_schema_name, schema_context

from core import context
from core.audit.services import audit_record, diff
from core.errors import (
    AuthenticationFailed,
    Conflict,
    ConflictingInput,
    InvalidInput,
    PermissionDenied,
)
from core.model_update import model_update
from core.rbac import principal_cache
from core.rbac import services as rbac_services
from core.rbac.models import UserRole
from tenants import schema_template, selectors, tenant_cache, throttle, tokens
from tenants.models import Domain, Invitation, Tenant, User

logger = logging.getLogger(__name__)


def _unique_slug(base: str) -> str:
    base = (slugify(base) or "org")[:40].strip("-") or "org"
    slug = base
    while Tenant.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


@transaction.atomic
def tenant_provision(*, name: str, slug: str | None = None, plan: str = "standard") -> Tenant:
    """Schema, host name and seeded roles in one transaction: all or nothing."""
    if slug and Tenant.objects.filter(slug=slug).exists():
        raise Conflict(f"Slug '{slug}' is taken")
    slug = slug or _unique_slug(name)
    tenant = Tenant.objects.create(
        name=name, slug=slug, plan=plan, schema_name=f"t_{slug.replace('-', '_')}"
    )
    domain = Domain.objects.create(
        domain=f"{slug}.{settings.TENANT_BASE_DOMAIN}", tenant=tenant, is_primary=True
    )
    _create_schema(tenant)
    with schema_context(tenant.schema_name):
        rbac_services.seed_builtin_roles()
    selectors.tenant_added(tenant, domain.domain)
    return tenant


def _create_schema(tenant: Tenant) -> None:
    """A copy of the migrated template (~0.2 s) or, failing that, migrations (2-3 s)."""
    if getattr(settings, "TENANT_SCHEMA_FROM_TEMPLATE", True):
        try:
            with transaction.atomic():
                schema_template.copy_template(tenant.schema_name)
            return
        except schema_template.TemplateUnusable:
            logger.warning("tenant template unusable; provisioning by migrations", exc_info=True)
    tenant.create_schema(check_if_exists=True, verbosity=0)


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise InvalidInput({"password": list(exc.messages)}) from exc


def _split_name(full_name: str) -> tuple[str, str]:
    first, _, last = full_name.strip().partition(" ")
    return first[:150], last.strip()[:150]


def _hash_invite(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def register(
    *, email: str, password: str, full_name: str, organization: str | None = None,
    invite_token: str | None = None,
) -> tuple[User, dict]:
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise Conflict("A user with this email already exists")
    first, last = _split_name(full_name)
    user = User(email=email, first_name=first, last_name=last)
    _validate_password(password, user)

    if invite_token:
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("tenant")
            .filter(token_hash=_hash_invite(invite_token), accepted_at__isnull=True,
                    expires_at__gt=timezone.now())
            .first()
        )
        if invitation is None or invitation.email.lower() != email:
            raise ConflictingInput({"invite_token": ["Invalid or expired invitation"]})
        tenant, role_ids = invitation.tenant, invitation.roles
        if not tenant.is_active:
            raise PermissionDenied("This organization is deactivated")
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    else:
        if not settings.ALLOW_SIGNUP:
            raise PermissionDenied("Sign-up is disabled")
        # Tenants live in the public schema, whatever tenant the request's Host or a stale
        # token resolved to.
        with schema_context(get_public_schema_name()):
            tenant = tenant_provision(
                name=organization or f"{full_name.strip()}'s organization"
            )
        role_ids = ["admin"]

    user.tenant = tenant
    user.set_password(password)
    user.save()
    with schema_context(tenant.schema_name):
        rbac_services.user_roles_set(actor=user, user=user, role_ids=role_ids)
        audit_record(actor=user, entity_type="user", entity_id=user.pk, action="created",
                     changes={"email": {"old": None, "new": email}})
    return user, tokens.issue_pair(user)


# Checked against when the email is unknown, so both paths cost one Argon2 hash.
_DUMMY_USER = User()


def login(*, email: str, password: str) -> tuple[User, dict]:
    email = email.strip().lower()
    ip = context.current().ip_address
    throttle.check_login_allowed(email, ip)
    user = selectors.user_by_email(email=email)
    if user is None:
        _DUMMY_USER.set_password(password)
        valid = False
    else:
        valid = user.check_password(password) and user.is_active
    if not valid:
        throttle.record_login_failure(email, ip)
        raise AuthenticationFailed("Invalid email or password")
    if user.tenant is not None and not user.tenant.is_active:
        raise PermissionDenied("This organization is deactivated")
    throttle.clear_account_failures(email)
    with transaction.atomic():
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        pair = tokens.issue_pair(user)
        if user.tenant is not None:
            principal_cache.principals_changed(user.tenant.schema_name)
            with schema_context(user.tenant.schema_name):
                audit_record(actor=user, entity_type="user", entity_id=user.pk, action="login")
    return user, pair


def refresh(*, refresh_token: str) -> dict:
    _user, pair = tokens.rotate(refresh_token)
    return pair


@transaction.atomic
def logout(*, actor, claims: dict, refresh_token: str | None = None) -> None:
    tokens.revoke_access(claims)
    families = {claims.get("sid")}
    if refresh_token:
        try:
            refresh_claims = tokens.decode(refresh_token, expected_type=tokens.REFRESH)
        except AuthenticationFailed:
            refresh_claims = None
        if refresh_claims and refresh_claims["sub"] == str(actor.pk):
            families.add(refresh_claims["sid"])
    for family in filter(None, families):
        tokens.revoke_family(uuid.UUID(family))
    if actor.tenant_id:
        audit_record(actor=actor, entity_type="user", entity_id=actor.pk, action="logout")


@transaction.atomic
def invitation_create(*, actor, tenant: Tenant, email: str, role_ids: list[str]) -> tuple:
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise Conflict("A user with this email already exists")
    role_ids = rbac_services.roles_check_exist(role_ids)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        tenant=tenant, email=email, roles=role_ids, token_hash=_hash_invite(token),
        invited_by=actor, expires_at=timezone.now() + settings.INVITATION_LIFETIME,
    )
    audit_record(actor=actor, entity_type="invitation", entity_id=invitation.pk,
                 action="created", changes={"email": {"old": None, "new": email},
                                            "roles": {"old": None, "new": role_ids}})
    return invitation, token


# The built-in role whose last active holder a tenant may never lose.
ADMIN_ROLE = "admin"


def _lock_tenant(tenant_id) -> None:
    # Serialises changes that could strip a tenant of its last admin (two admins demoting each
    # other at once would otherwise both see "another admin exists").
    list(Tenant.objects.select_for_update().filter(pk=tenant_id).values_list("pk", flat=True))


def _holds_admin(user: User) -> bool:
    return UserRole.objects.filter(user=user, role_id=ADMIN_ROLE).exists()


def _ensure_another_admin(user: User) -> None:
    others = (
        UserRole.objects.filter(role_id=ADMIN_ROLE, user__is_active=True,
                                user__tenant_id=user.tenant_id)
        .exclude(user_id=user.pk)
    )
    if not others.exists():
        raise Conflict("The last admin of a tenant cannot be removed or deactivated")


@transaction.atomic
def user_update(*, actor, user: User, data: dict) -> User:
    """Names and is_active of a tenant's user (runs in that tenant's schema).

    Deactivation ends every session of the user at once.
    """
    _lock_tenant(user.tenant_id)
    user.refresh_from_db(fields=["first_name", "last_name", "is_active", "token_version"])
    if data.get("is_active") is False and user.is_active and _holds_admin(user):
        _ensure_another_admin(user)
    changes = model_update(user, data, touch=None)
    if changes:
        principal_cache.principals_changed(connection.schema_name)
        audit_record(actor=actor, entity_type="user", entity_id=user.pk, action="updated",
                     changes=changes)
    if not user.is_active and "is_active" in changes:
        tokens.revoke_all_for_user(user)
    return user


@transaction.atomic
def user_roles_update(*, actor, user: User, role_ids: list[str]) -> list[str]:
    """Replaces a user's roles (in their tenant's schema), keeping at least one active admin."""
    role_ids = rbac_services.roles_check_exist(role_ids)
    _lock_tenant(user.tenant_id)
    if ADMIN_ROLE not in role_ids and user.is_active and _holds_admin(user):
        _ensure_another_admin(user)
    return rbac_services.user_roles_set(actor=actor, user=user, role_ids=role_ids)


# Host labels the platform itself may use: a tenant named so would capture their requests.
RESERVED_SLUGS = frozenset({"admin", "api", "app", "docs", "mail", "public", "static", "status",
                            "www"})


class TenantCreated(NamedTuple):
    tenant: Tenant
    admin: User | None
    invitation: Invitation | None
    invite_token: str | None


def _tenant_snapshot(tenant: Tenant) -> dict:
    return {"name": tenant.name, "slug": tenant.slug, "plan": tenant.plan,
            "is_active": tenant.is_active}


@transaction.atomic
def tenant_create(*, actor, name: str, slug: str, plan: str, admin_email: str,
                  admin_password: str | None = None) -> TenantCreated:
    """A platform admin provisions a tenant with its first admin.

    With a password the admin can log in at once; without one they get a one-time invitation
    (its token is returned once, only its hash is stored) and set their password on register.
    """
    if slug in RESERVED_SLUGS:
        raise InvalidInput({"slug": [f"'{slug}' is reserved"]})
    admin_email = admin_email.strip().lower()
    if User.objects.filter(email=admin_email).exists():
        raise Conflict("A user with this email already exists")
    admin = None
    if admin_password is not None:
        admin = User(email=admin_email)
        try:
            _validate_password(admin_password, admin)
        except InvalidInput as exc:
            raise InvalidInput({"admin_password": exc.details["password"]}) from exc
    tenant = tenant_provision(name=name, slug=slug, plan=plan)
    invitation = invite_token = None
    with schema_context(tenant.schema_name):
        audit_record(actor=actor, entity_type="tenant", entity_id=tenant.pk, action="created",
                     changes=diff({}, _tenant_snapshot(tenant)))
        if admin is not None:
            admin.tenant = tenant
            admin.set_password(admin_password)
            admin.save()
            audit_record(actor=actor, entity_type="user", entity_id=admin.pk, action="created",
                         changes={"email": {"old": None, "new": admin_email}})
            rbac_services.user_roles_set(actor=actor, user=admin, role_ids=[ADMIN_ROLE])
        else:
            invitation, invite_token = invitation_create(
                actor=actor, tenant=tenant, email=admin_email, role_ids=[ADMIN_ROLE]
            )
    return TenantCreated(tenant, admin, invitation, invite_token)


@transaction.atomic
def tenant_update(*, actor, tenant: Tenant, data: dict) -> Tenant:
    """Plan and is_active of a tenant; a deactivated tenant answers 403 to all its users."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    changes = model_update(tenant, data, touch=None)
    if changes:
        with schema_context(tenant.schema_name):
            audit_record(actor=actor, entity_type="tenant", entity_id=tenant.pk,
                         action="updated", changes=changes)
        tenant_cache.tenants_changed()
    return tenant
