"""The authenticated principal and the object rules that sit on top of permissions."""

from dataclasses import dataclass, field

from core.errors import PermissionDenied
from core.rbac.permissions import OWN_CONTRACTS_ONLY_ROLES, Perm


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, their tenant, roles and what those roles grant."""

    user: object
    tenant: object | None
    roles: tuple[str, ...] = ()
    permissions: frozenset[str] = frozenset()
    # Permissions granted by roles not limited to the holder's own objects.
    unrestricted: frozenset[str] = frozenset()
    claims: dict = field(default_factory=dict)

    @property
    def user_id(self):
        return self.user.pk

    def has(self, perm: Perm | str) -> bool:
        return str(perm) in self.permissions

    def require(self, perm: Perm | str) -> None:
        if not self.has(perm):
            raise PermissionDenied()

    def require_on_contract(self, perm: Perm, contract) -> None:
        """A `user` may edit or delete only the contracts they created."""
        self.require(perm)
        if str(perm) not in self.unrestricted and contract.created_by_id != self.user.pk:
            raise PermissionDenied("You may only change contracts you created")


def build_principal(user, tenant, role_permissions: dict[str, list[str]], claims=None):
    permissions: set[str] = set()
    unrestricted: set[str] = set()
    for role_id, perms in role_permissions.items():
        permissions.update(perms)
        if role_id not in OWN_CONTRACTS_ONLY_ROLES:
            unrestricted.update(perms)
    return Principal(
        user=user,
        tenant=tenant,
        roles=tuple(sorted(role_permissions)),
        permissions=frozenset(permissions),
        unrestricted=frozenset(unrestricted),
        claims=claims or {},
    )
