"""Rate limits: the atomic script, plans, unlimited callers, anonymous IPs, headers, fail-open."""

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from api.ratelimit import hit
from tenants import tenant_cache
from tenants.models import Tenant
from tests.conftest import PASSWORD, assert_error


@pytest.fixture
def limits(settings):
    settings.RATE_LIMIT_STANDARD = 3
    settings.RATE_LIMIT_PREMIUM = 5
    settings.RATE_LIMIT_ANONYMOUS = 2
    settings.RATE_LIMIT_LOGIN = 2
    settings.RATE_LIMIT_REGISTER = 1
    return settings


def test_the_script_admits_exactly_the_limit_under_concurrency(db):
    barrier = threading.Barrier(40)

    def one(_):
        barrier.wait()
        return hit("rl:test:concurrent", limit=15, window_seconds=60)

    with ThreadPoolExecutor(max_workers=40) as pool:
        decisions = list(pool.map(one, range(40)))
    admitted = [d for d in decisions if d.admitted]
    assert len(admitted) == 15
    assert sorted(d.remaining for d in admitted) == list(range(15))
    assert all(d.remaining == 0 and d.retry_after >= 59 for d in decisions if not d.admitted)


def test_the_window_slides(db):
    for _ in range(2):
        assert hit("rl:test:slide", limit=2, window_seconds=1).admitted
    denied = hit("rl:test:slide", limit=2, window_seconds=1)
    assert not denied.admitted and denied.retry_after == 1
    time.sleep(1.05)
    assert hit("rl:test:slide", limit=2, window_seconds=1).admitted


def test_concurrent_api_calls_admit_exactly_the_users_limit(acme, settings):
    settings.RATE_LIMIT_STANDARD = 10
    token = acme.token("user")
    barrier = threading.Barrier(30)

    def call(_):
        try:
            barrier.wait()
            response = Client().get("/api/auth/me/", HTTP_AUTHORIZATION=f"Bearer {token}")
            return response.status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(call, range(30)))
    assert statuses.count(200) == 10
    assert statuses.count(429) == 20


def test_headers_count_down_then_429_with_retry_after(api, acme, limits, caplog):
    token = acme.token("user")
    before = int(time.time())
    for remaining in (2, 1, 0):
        r = api.get("/api/auth/me/", token)
        assert r.status_code == 200
        assert r["X-RateLimit-Limit"] == "3"
        assert r["X-RateLimit-Remaining"] == str(remaining)
        assert before + 59 <= int(r["X-RateLimit-Reset"]) <= int(time.time()) + 61
    with caplog.at_level(logging.INFO, logger="clm.request"):
        r = api.get("/api/contracts/", token)
    line = json.loads([rec for rec in caplog.records if rec.name == "clm.request"][-1].message)
    assert (line["status"], line["user"]) == (429, str(acme.users["user"].pk))
    body = assert_error(r, 429, "Too many requests")
    assert "3 requests per 60 seconds" in body["detail"]
    assert 1 <= int(r["Retry-After"]) <= 60
    assert r["X-RateLimit-Remaining"] == "0"
    # The limit belongs to the user, not the token; other users have their own.
    assert api.get("/api/auth/me/", acme.token("user")).status_code == 429
    assert api.get("/api/auth/me/", acme.token("viewer")).status_code == 200


def test_premium_tenants_get_the_premium_limit(api, acme, limits):
    Tenant.objects.filter(pk=acme.tenant.pk).update(plan="premium")
    tenant_cache.forget()  # updated without the service, which would have done this
    r = api.get("/api/auth/me/", acme.token("manager"))
    assert r["X-RateLimit-Limit"] == "5"
    assert r["X-RateLimit-Remaining"] == "4"


def test_tenant_admins_and_staff_are_unlimited(api, acme, staff, limits):
    from tenants import tokens

    for token in (acme.token("admin"), tokens.issue_pair(staff)["access"]):
        for _ in range(6):
            r = api.get("/api/auth/me/", token)
            assert r.status_code == 200
            assert r["X-RateLimit-Limit"] == "unlimited"
            assert r["X-RateLimit-Remaining"] == "unlimited"
            assert int(r["X-RateLimit-Reset"]) >= int(time.time()) - 1


def test_anonymous_calls_are_limited_per_ip(api, db, limits):
    for remaining in (1, 0):
        r = api.get("/api/roles/")
        assert_error(r, 401)
        assert (r["X-RateLimit-Limit"], r["X-RateLimit-Remaining"]) == ("2", str(remaining))
    assert_error(api.get("/api/roles/"), 429, "Too many requests")
    # A bad token is an anonymous call too.
    assert_error(api.get("/api/roles/", "not-a-jwt"), 429)
    r = api.get("/api/roles/", x_forwarded_for="203.0.113.9")
    assert_error(r, 401)
    assert r["X-RateLimit-Remaining"] == "1"


def test_login_and_register_have_their_own_stricter_limits(api, acme, limits):
    creds = {"email": "user@acme.test", "password": PASSWORD}
    for remaining in (1, 0):
        r = api.post("/api/auth/login/", body=creds)
        assert r.status_code == 200
        assert (r["X-RateLimit-Limit"], r["X-RateLimit-Remaining"]) == ("2", str(remaining))
    # Even correct credentials wait: the limit is on attempts from this address.
    assert_error(api.post("/api/auth/login/", body=creds), 429, "Too many requests")
    body = {"email": "x@new.test", "password": "Quiet-Otter-Rivers-42", "full_name": "X Y"}
    assert api.post("/api/auth/register/", body=body).status_code == 201
    body["email"] = "z@new.test"
    r = api.post("/api/auth/register/", body=body)
    assert_error(r, 429)
    assert r["X-RateLimit-Limit"] == "1"


def test_probes_carry_no_rate_limit_headers(api, db, limits):
    r = api.get("/healthz")
    assert r.status_code == 200
    assert "X-RateLimit-Limit" not in r


def test_redis_down_fails_open_and_logs(api, acme, limits, redis_down, caplog):
    token = acme.token("user")
    with caplog.at_level(logging.WARNING, logger="clm.ratelimit"):
        for _ in range(5):
            r = api.get("/api/auth/me/", token)
            assert r.status_code == 200
            assert "X-RateLimit-Remaining" not in r
        assert api.get("/api/roles/").status_code == 401
    warnings = [rec for rec in caplog.records if rec.name == "clm.ratelimit"]
    assert len(warnings) == 6
    assert "rate limiter unavailable" in warnings[0].getMessage()
