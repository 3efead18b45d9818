"""The fixed permission list and the built-in roles' permission sets."""

from enum import StrEnum


class Perm(StrEnum):
    VIEW_CONTRACTS = "view_contracts"
    CREATE_CONTRACTS = "create_contracts"
    EDIT_CONTRACTS = "edit_contracts"
    DELETE_CONTRACTS = "delete_contracts"
    APPROVE_CONTRACTS = "approve_contracts"
    VIEW_TEMPLATES = "view_templates"
    CREATE_TEMPLATES = "create_templates"
    EDIT_TEMPLATES = "edit_templates"
    DELETE_TEMPLATES = "delete_templates"
    MANAGE_CLAUSES = "manage_clauses"
    VIEW_WORKFLOWS = "view_workflows"
    MANAGE_WORKFLOWS = "manage_workflows"
    VIEW_USERS = "view_users"
    MANAGE_USERS = "manage_users"
    MANAGE_ROLES = "manage_roles"
    VIEW_AUDIT_LOGS = "view_audit_logs"
    MANAGE_SLA = "manage_sla"
    MANAGE_WEBHOOKS = "manage_webhooks"
    VIEW_SYSTEM_HEALTH = "view_system_health"


CATEGORIES = {
    "contracts": "Contracts",
    "templates": "Templates",
    "clauses": "Templates",
    "workflows": "Workflows",
    "sla": "Workflows",
    "users": "Administration",
    "roles": "Administration",
    "audit_logs": "Administration",
    "webhooks": "Administration",
    "system_health": "Administration",
}


def describe(perm: Perm) -> dict:
    verb, _, noun = perm.value.partition("_")
    return {
        "id": perm.value,
        "name": perm.value.replace("_", " ").title(),
        "category": CATEGORIES[noun],
    }


BUILTIN_ROLES: dict[str, dict] = {
    "admin": {
        "name": "Administrator",
        "description": "Full system access",
        "permissions": [p.value for p in Perm],
    },
    "manager": {
        "name": "Manager",
        "description": "Team management access",
        "permissions": [
            Perm.VIEW_CONTRACTS, Perm.CREATE_CONTRACTS, Perm.EDIT_CONTRACTS,
            Perm.DELETE_CONTRACTS, Perm.APPROVE_CONTRACTS, Perm.VIEW_TEMPLATES,
            Perm.CREATE_TEMPLATES, Perm.EDIT_TEMPLATES, Perm.MANAGE_CLAUSES,
            Perm.VIEW_WORKFLOWS, Perm.MANAGE_WORKFLOWS, Perm.VIEW_USERS, Perm.VIEW_AUDIT_LOGS,
        ],
    },
    # The object rule in core.rbac.access limits this role's edit/delete to own contracts.
    "user": {
        "name": "User",
        "description": "Standard user access",
        "permissions": [
            Perm.VIEW_CONTRACTS, Perm.CREATE_CONTRACTS, Perm.EDIT_CONTRACTS,
            Perm.DELETE_CONTRACTS, Perm.VIEW_TEMPLATES, Perm.VIEW_WORKFLOWS,
        ],
    },
    "viewer": {
        "name": "Viewer",
        "description": "Read-only access",
        "permissions": [Perm.VIEW_CONTRACTS, Perm.VIEW_TEMPLATES, Perm.VIEW_WORKFLOWS],
    },
}
# Roles whose contract permissions reach only the contracts their holder created.
OWN_CONTRACTS_ONLY_ROLES = frozenset({"user"})
