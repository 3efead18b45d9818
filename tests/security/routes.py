"""The API's operations as declared by its routers, for matrix tests that cover new routes."""

import re
import uuid

from api.main import api
from api.security import TokenAuth
from tests.security.permission_table import AUTHENTICATED, MEMBER, PUBLIC, STAFF


def declared_operations() -> dict[tuple[str, str], str]:
    """(METHOD, OpenAPI path) -> the access the operation's auth object declares."""
    result = {}
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            full = re.sub(r"/+", "/", f"/api/{prefix}/{path}")
            full = re.sub(r"{[^}:]+:", "{", full)
            for operation in path_view.operations:
                auth = (operation.auth_callbacks or [None])[0]
                for method in operation.methods:
                    result[(method, full)] = _access(auth)
    return result


def _access(auth) -> str:
    if auth is None:
        return PUBLIC
    assert isinstance(auth, TokenAuth), f"unexpected auth {auth!r}"
    if auth.staff:
        return STAFF
    if auth.permission is not None:
        return str(auth.permission)
    return MEMBER if auth.tenant_required else AUTHENTICATED


# Values for path parameters that name nothing, so an allowed caller gets 404, never 403.
PLACEHOLDERS = {
    "version_number": "1",
    "version": "1",
    "clause_id": "NOPE-999",
    "role_id": "no_such_role",
    "rule_id": "sla-999999",
    "token": "not-a-signed-token",
}


def fill(path: str, values: dict | None = None) -> str:
    values = values or {}

    def value(match):
        name = match.group(1)
        return str(values.get(name, PLACEHOLDERS.get(name, uuid.uuid4())))

    return re.sub(r"{([^}]+)}", value, path)
