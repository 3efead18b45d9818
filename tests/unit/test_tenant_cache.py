"""The per-process tenant cache: trusted for TENANT_CACHE_SECONDS, then while the version holds."""


from tenants import redis_client, tenant_cache


class Loader:
    def __init__(self, on_load=None):
        self.loads = 0
        self.on_load = on_load

    def __call__(self):
        self.loads += 1
        if self.on_load:
            self.on_load()
        return f"row {self.loads}"


def _lookups(loader, count=2, key=("host", "a.example.test")) -> list:
    return [tenant_cache.lookup(key, loader) for _ in range(count)]


def _another_process_changed_a_tenant():
    redis_client.replace_version(tenant_cache.VERSION_KEY)


def test_a_lookup_is_reused_within_the_trusted_period():
    loader = Loader()
    assert _lookups(loader, 3) == ["row 1"] * 3


def test_after_it_an_unchanged_version_renews_the_entry(checked_every_time):
    loader = Loader()
    assert _lookups(loader, 3) == ["row 1"] * 3


def test_a_changed_version_reloads(checked_every_time):
    loader = Loader()
    _lookups(loader, 1)
    _another_process_changed_a_tenant()
    assert _lookups(loader, 2) == ["row 2", "row 2"]


def test_a_change_is_not_seen_before_the_trusted_period_ends():
    loader = Loader()
    _lookups(loader, 1)
    _another_process_changed_a_tenant()
    assert _lookups(loader, 1) == ["row 1"]


def test_tenants_changed_reloads_at_once_in_this_process(settings, db):
    loader = Loader()
    _lookups(loader, 1)
    tenant_cache.tenants_changed()
    assert _lookups(loader, 1) == ["row 2"]
    settings.TENANT_CACHE_SECONDS = 0  # and in the others, at their next check
    assert _lookups(loader, 1) == ["row 2"]


def test_a_new_tenant_makes_names_of_no_tenant_looked_up_again(checked_every_time, db):
    # A sign-up must not make every process reload every tenant.
    unknown, known = ("host", "new.example.test"), ("host", "a.example.test")
    looked_up = []
    for _ in range(2):
        tenant_cache.lookup(unknown, lambda: looked_up.append(1))
    assert len(looked_up) == 1
    loader = Loader()
    _lookups(loader, 1, key=known)
    redis_client.replace_version(tenant_cache.NEW_TENANTS_VERSION_KEY)  # another process's
    tenant_cache.lookup(unknown, lambda: looked_up.append(1))
    assert len(looked_up) == 2
    assert _lookups(loader, 1, key=known) == ["row 1"]


def test_forget_drops_only_the_keys_given():
    loader = Loader()
    _lookups(loader, 1, key=("host", "a.example.test"))
    _lookups(loader, 1, key=("host", "b.example.test"))
    tenant_cache.forget(("host", "a.example.test"))
    assert _lookups(loader, 1, key=("host", "a.example.test")) == ["row 3"]
    assert _lookups(loader, 1, key=("host", "b.example.test")) == ["row 2"]


def test_the_version_is_read_before_the_row(checked_every_time):
    # A change committed while the row is being read is hidden in that row; the entry is stored
    # under the version before it, so the next check reloads.
    loader = Loader(on_load=_another_process_changed_a_tenant)
    assert _lookups(loader, 2) == ["row 1", "row 2"]


def test_a_lost_version_key_never_matches_an_old_entry(checked_every_time):
    loader = Loader()
    _lookups(loader, 1)
    redis_client.get_redis().delete(tenant_cache.VERSION_KEY)
    assert _lookups(loader, 2) == ["row 2", "row 2"]


def test_with_redis_down_entries_live_only_for_the_trusted_period(settings, redis_down):
    loader = Loader()
    assert _lookups(loader, 2) == ["row 1", "row 1"]
    settings.TENANT_CACHE_SECONDS = 0
    assert _lookups(loader, 2) == ["row 2", "row 3"]


def test_an_entry_made_while_redis_was_down_is_not_renewed_after(settings, checked_every_time):
    loader = Loader()
    url, settings.REDIS_URL = settings.REDIS_URL, "redis://127.0.0.1:1/0"
    redis_client.get_redis.cache_clear()
    _lookups(loader, 1)
    settings.REDIS_URL = url
    redis_client.get_redis.cache_clear()
    assert _lookups(loader, 2) == ["row 2", "row 2"]


def test_entries_expire_whatever_the_version(checked_every_time, monkeypatch):
    # What a change made outside the services (a shell) can leave behind.
    loader = Loader()
    _lookups(loader, 1)
    monkeypatch.setattr(tenant_cache, "MAX_AGE_SECONDS", 0.0)
    assert _lookups(loader, 1) == ["row 2"]


def test_unknown_hosts_never_grow_it_past_its_bound(monkeypatch):
    monkeypatch.setattr(tenant_cache, "MAX_ENTRIES", 50)
    for i in range(200):
        tenant_cache.lookup(("host", f"nobody{i}.example.test"), lambda: None)
    assert len(tenant_cache._entries) <= 50
