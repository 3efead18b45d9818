"""Tenant rows by Host and by token `tid`, remembered per process between requests.

Every request resolves its tenant before anything else. An entry is used as it is for
TENANT_CACHE_SECONDS after it was loaded or last checked; after that it is used again only if
its version in Redis (one round trip, no database) is still the one it was stored under.
Entries holding a tenant follow the tenants version: every service that changes a tenant calls
`tenants_changed` in its transaction, which replaces it then and after commit, so every
process reloads its tenants at its next check, and the serving process at once. Entries for a
Host or id that named no tenant follow the new-tenants version, which `tenant_added` replaces:
a sign-up makes processes look up those names again, not reload every tenant.

This is what keeps a tenant that a process sees once a minute as cheap as one it sees every
request (README, Benchmarks). As in core.rbac.principal_cache, an entry keeps the version read
BEFORE its row was loaded; one stored while Redis was unreachable has none and is not renewed.
Entries also expire after MAX_AGE_SECONDS, which bounds what a change made outside the
services (a shell) can leave behind.
"""

import threading
import time
from typing import NamedTuple

from django.conf import settings

from tenants import redis_client

VERSION_KEY = "tenants:version"
NEW_TENANTS_VERSION_KEY = "tenants:new:version"
MAX_AGE_SECONDS = 600.0
MAX_ENTRIES = 20_000  # unknown Host headers must not grow it without bound


class _Entry(NamedTuple):
    value: object  # a Tenant, or None for a Host or id that names none
    version: str | None
    stored_at: float
    checked_at: float


_lock = threading.Lock()
_entries: dict[tuple[str, str], _Entry] = {}


def lookup(key: tuple[str, str], load):
    """The cached value for `key`, or `load()`'s, stored under the version read before it."""
    now = time.monotonic()
    hit = _entries.get(key)
    if hit is not None and now - hit.stored_at >= MAX_AGE_SECONDS:
        hit = None
    if hit is not None and now - hit.checked_at < settings.TENANT_CACHE_SECONDS:
        return hit.value
    versions = redis_client.read_versions(VERSION_KEY, NEW_TENANTS_VERSION_KEY)
    if hit is not None and versions and hit.version == _version_of(hit.value, versions):
        _store(key, hit._replace(checked_at=now))
        return hit.value
    value = load()
    version = _version_of(value, versions) if versions else None
    _store(key, _Entry(value, version, now, now))
    return value


def _version_of(value, versions: list[str]) -> str:
    tenants, new_tenants = versions
    return tenants if value is not None else new_tenants


def _store(key, entry: _Entry) -> None:
    with _lock:
        if key not in _entries and len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[key] = entry


def tenants_changed() -> None:
    """Every process loads its tenants from the database again: this one at once, the others
    at their next check."""
    redis_client.version_changed(VERSION_KEY, forget_local=forget)


def tenant_added(*keys: tuple[str, str]) -> None:
    """The new tenant's `keys` are looked up again here now, elsewhere at the next check."""
    redis_client.version_changed(NEW_TENANTS_VERSION_KEY, forget_local=lambda: forget(*keys))


def forget(*keys: tuple[str, str]) -> None:
    """This process looks up these keys (all, by default) in the database again."""
    with _lock:
        if not keys:
            _entries.clear()
        for key in keys:
            _entries.pop(key, None)
