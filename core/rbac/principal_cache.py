"""A request's user row and role permissions, remembered per process between requests.

Loading them cost one database round trip per authenticated request (README, Benchmarks). An
entry is used only when the tenant's principals version, which the rate limiter's Redis script
reads in the round trip it makes anyway, is the one the entry was stored under. Every service
that changes what a principal is made of (a user's row, their roles, a role's permissions)
calls `principals_changed` in its transaction; the version is replaced then and after commit,
so the next request of every process of that tenant loads from the database again.

An entry stores the version read BEFORE its rows were loaded (`read_version`, one extra
round trip on a miss only): a change committed and bumped in between would otherwise be hidden
under the new version. With Redis unreachable an entry is stored with no version and never
used. Entries also expire after MAX_AGE_SECONDS, which bounds what a change made outside the
services (a shell, a bump lost while Redis was unreachable) can leave behind. It is as long as
a database connection lives (DB_CONN_MAX_AGE): at 60 s, a user of a tenant that a process saw
less than once a minute paid the load on almost every request (README, Benchmarks).
"""

import functools
import threading
import time
from collections import OrderedDict
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection

from tenants import redis_client

MAX_AGE_SECONDS = 600.0
MAX_ENTRIES = 10_000


class Entry(NamedTuple):
    user: object  # a fresh instance per `get`: requests never share one
    role_permissions: dict
    version: str | None


def version_key(schema_name: str) -> str:
    return f"authz:version:{schema_name}"


def principals_changed(schema_name: str) -> None:
    """Every process loads this tenant's principals from the database again (next request)."""
    redis_client.version_changed(version_key(schema_name))


def read_version(schema_name: str) -> str | None:
    """The tenant's principals version (made when missing); None when Redis is unreachable."""
    versions = redis_client.read_versions(version_key(schema_name))
    return versions[0] if versions else None


@functools.cache
def _user_fields() -> list[str]:
    return [f.attname for f in get_user_model()._meta.concrete_fields]


class _Cache:
    def __init__(self):
        self._lock = threading.Lock()
        self._entries: OrderedDict = OrderedDict()

    def get(self, schema_name: str, user_id: str) -> Entry | None:
        key = (schema_name, user_id)
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            fields, values, role_permissions, version, stored_at = found
            if time.monotonic() - stored_at > MAX_AGE_SECONDS:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
        user = get_user_model().from_db(connection.alias, fields, values)
        return Entry(user, dict(role_permissions), version)

    def put(self, schema_name: str, user, role_permissions: dict, version: str | None) -> None:
        fields = _user_fields()
        values = tuple(getattr(user, name) for name in fields)
        with self._lock:
            self._entries[(schema_name, str(user.pk))] = (
                fields, values, dict(role_permissions), version, time.monotonic())
            self._entries.move_to_end((schema_name, str(user.pk)))
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


cache = _Cache()
