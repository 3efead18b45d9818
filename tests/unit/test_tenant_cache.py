"""The per-process tenant cache: trusted for TENANT_CACHE_SECONDS, bounded in size."""

import pytest

from tenants import selectors


@pytest.fixture(autouse=True)
def empty_cache():
    selectors.forget_tenant_cache()
    yield
    selectors.forget_tenant_cache()


def _loads(key, count=2) -> int:
    loaded = []
    for _ in range(count):
        selectors._cached(key, lambda: loaded.append(1))
    return len(loaded)


def test_a_lookup_is_reused_until_it_expires(settings):
    assert _loads(("host", "a.example.test")) == 1
    settings.TENANT_CACHE_SECONDS = 0
    assert _loads(("host", "b.example.test")) == 2


def test_unknown_hosts_never_grow_it_past_its_bound(monkeypatch):
    monkeypatch.setattr(selectors, "_MAX_ENTRIES", 50)
    for i in range(200):
        selectors._cached(("host", f"nobody{i}.example.test"), lambda: None)
    assert len(selectors._cache) <= 50
