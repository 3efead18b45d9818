"""Reads of roles and assignments."""

from core.rbac.models import Role, UserRole


def role_permissions_for_user(*, user_id) -> dict[str, list[str]]:
    rows = UserRole.objects.filter(user_id=user_id).values_list("role_id", "role__permissions")
    return dict(rows)


def role_list():
    return Role.objects.all()


def role_get(*, role_id: str) -> Role | None:
    return Role.objects.filter(pk=role_id).first()


def roles_by_user(*, user_ids) -> dict:
    result: dict = {uid: [] for uid in user_ids}
    rows = UserRole.objects.filter(user_id__in=list(user_ids)).order_by("role_id")
    for user_id, role_id in rows.values_list("user_id", "role_id"):
        result.setdefault(user_id, []).append(role_id)
    return result
