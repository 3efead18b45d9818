"""Reads of roles and assignments."""

import json
import uuid

from django.contrib.auth import get_user_model
from django.db import connection

from core.rbac.models import Role, UserRole


def user_with_role_permissions(*, user_id):
    """(user or None, {role id: permissions}) in ONE query, for building a request's principal.

    Users live in the public schema and their roles in the tenant's; the tenant's search_path
    ("<tenant>, public") reaches both, so the roles are a subquery of the user row. Raw SQL
    because it runs on every authenticated request: it saves a round trip and the ORM compile.
    """
    try:
        user_id = uuid.UUID(str(user_id))
    except ValueError:
        return None, {}
    user_model = get_user_model()
    fields = [f.attname for f in user_model._meta.concrete_fields]
    columns = ", ".join(f'u."{name}"' for name in fields)
    sql = (
        f"SELECT {columns}, (SELECT jsonb_object_agg(ur.role_id, r.permissions)"
        f" FROM {UserRole._meta.db_table} ur JOIN {Role._meta.db_table} r ON r.id = ur.role_id"
        f" WHERE ur.user_id = u.id) FROM {user_model._meta.db_table} u WHERE u.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None, {}
    user = user_model.from_db(connection.alias, fields, row[:-1])
    roles = row[-1]
    if isinstance(roles, str):
        roles = json.loads(roles)
    return user, roles or {}


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
