"""Role use cases: seeding built-ins, custom roles, assigning roles to users."""

from django.db import connection, transaction
from django.utils.text import slugify

from core.audit.services import audit_record, diff
from core.errors import Conflict, ConflictingInput, InvalidInput, NotFound
from core.rbac import principal_cache
from core.rbac.models import Role, UserRole
from core.rbac.permissions import BUILTIN_ROLES, Perm

VALID_PERMISSIONS = frozenset(p.value for p in Perm)


def seed_builtin_roles() -> None:
    """Idempotent: run in every new tenant schema."""
    for role_id, spec in BUILTIN_ROLES.items():
        Role.objects.update_or_create(
            pk=role_id,
            defaults={
                "name": spec["name"],
                "description": spec["description"],
                "permissions": [str(p) for p in spec["permissions"]],
                "is_builtin": True,
            },
        )


def _check_permissions(permissions: list[str]) -> list[str]:
    unknown = sorted(set(permissions) - VALID_PERMISSIONS)
    if unknown:
        raise InvalidInput({"permissions": [f"Unknown permission: {p}" for p in unknown]})
    return sorted(set(permissions))


def _role_snapshot(role: Role) -> dict:
    return {"name": role.name, "description": role.description, "permissions": role.permissions}


@transaction.atomic
def role_create(*, actor, name: str, description: str, permissions: list[str],
                role_id: str | None = None) -> Role:
    role_id = slugify(role_id or name).replace("-", "_")[:50]
    if not role_id:
        raise InvalidInput({"name": ["Name must contain letters or digits"]})
    if Role.objects.filter(pk=role_id).exists():
        raise Conflict(f"A role with id '{role_id}' already exists")
    role = Role.objects.create(
        id=role_id, name=name, description=description,
        permissions=_check_permissions(permissions),
    )
    audit_record(actor=actor, entity_type="role", entity_id=role.pk, action="created",
                 changes=diff({}, _role_snapshot(role)))
    return role


def _custom_role_locked(role_id: str) -> Role:
    role = Role.objects.select_for_update().filter(pk=role_id).first()
    if role is None:
        raise NotFound()
    if role.is_builtin:
        raise Conflict("Built-in roles cannot be changed or deleted")
    return role


@transaction.atomic
def role_update(*, actor, role_id: str, data: dict) -> Role:
    role = _custom_role_locked(role_id)
    before = _role_snapshot(role)
    if "permissions" in data:
        data["permissions"] = _check_permissions(data["permissions"])
    for field, value in data.items():
        setattr(role, field, value)
    role.save()
    principal_cache.principals_changed(connection.schema_name)
    changes = diff(before, _role_snapshot(role))
    if changes:
        audit_record(actor=actor, entity_type="role", entity_id=role.pk, action="updated",
                     changes=changes)
    return role


@transaction.atomic
def role_delete(*, actor, role_id: str) -> None:
    role = _custom_role_locked(role_id)
    if UserRole.objects.filter(role=role).exists():
        raise Conflict("The role is still assigned to users")
    role.delete()
    principal_cache.principals_changed(connection.schema_name)
    audit_record(actor=actor, entity_type="role", entity_id=role_id, action="deleted")


def roles_check_exist(role_ids: list[str]) -> list[str]:
    role_ids = sorted(set(role_ids))
    if not role_ids:
        raise InvalidInput({"roles": ["At least one role is required"]})
    known = set(Role.objects.filter(pk__in=role_ids).values_list("pk", flat=True))
    missing = [r for r in role_ids if r not in known]
    if missing:
        # The ids are well formed (the schema checks that); they name no role of the tenant.
        raise ConflictingInput({"roles": [f"Unknown role: {r}" for r in missing]})
    return role_ids


def user_roles_set(*, actor, user, role_ids: list[str]) -> list[str]:
    """Replaces a user's roles; the caller owns the transaction."""
    role_ids = roles_check_exist(role_ids)
    before = sorted(UserRole.objects.filter(user=user).values_list("role_id", flat=True))
    if before == role_ids:
        return role_ids
    UserRole.objects.filter(user=user).exclude(role_id__in=role_ids).delete()
    UserRole.objects.bulk_create(
        [UserRole(user=user, role_id=r) for r in role_ids if r not in before]
    )
    principal_cache.principals_changed(connection.schema_name)
    audit_record(actor=actor, entity_type="user", entity_id=user.pk, action="role_changed",
                 changes={"roles": {"old": before, "new": role_ids}})
    return role_ids
