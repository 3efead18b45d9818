"""Authentication API: register, login, refresh rotation, logout, me, throttling."""

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from core.audit.models import AuditLog
from tenants import tenant_cache
from tenants.models import Tenant, User
from tests.conftest import PASSWORD, assert_error

STRONG = "Quiet-Otter-Rivers-42"


def register(api, email="new@corp.test", **extra):
    body = {"email": email, "password": STRONG, "full_name": "Nina Park", **extra}
    return api.post("/api/auth/register/", body=body)


def test_register_creates_a_tenant_with_the_caller_as_admin(api, db):
    r = register(api, organization="Corp Inc")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["user"]["email"] == "new@corp.test"
    tenant = Tenant.objects.get(pk=body["user"]["tenant_id"])
    assert tenant.name == "Corp Inc"
    me = api.get("/api/auth/me/", body["access"]).json()
    assert me["roles"] == ["admin"]
    assert me["tenant_id"] == str(tenant.pk)
    user = User.objects.get(email="new@corp.test")
    assert user.password.startswith("argon2")
    assert (user.first_name, user.last_name) == ("Nina", "Park")
    with schema_context(tenant.schema_name):
        assert AuditLog.objects.filter(entity_type="user", action="created").exists()


def test_register_without_organization_names_the_tenant_after_the_user(api, db):
    body = register(api).json()
    assert Tenant.objects.get(pk=body["user"]["tenant_id"]).name == "Nina Park's organization"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": STRONG, "full_name": "A"}, "email"),
        ({"email": "a@b.test", "password": "short", "full_name": "A"}, "password"),
        ({"email": "a@b.test", "password": "password123", "full_name": "A"}, "password"),
        ({"email": "a@b.test", "password": STRONG}, "full_name"),
    ],
)
def test_register_rejects_bad_input_with_details(api, db, body, field):
    details = assert_error(api.post("/api/auth/register/", body=body), 400, "Invalid input")
    assert field in details["details"]


def test_register_refuses_a_taken_email(api, acme):
    # A well-formed email that is taken conflicts with stored data: 409, not 400.
    body = assert_error(register(api, email="admin@acme.test"), 409, "Conflict")
    assert body["detail"] == "A user with this email already exists"


def test_register_can_be_switched_off(api, db, settings):
    settings.ALLOW_SIGNUP = False
    assert_error(register(api), 403, "Permission denied")


def test_register_with_an_invite_joins_the_inviting_tenant_with_its_roles(api, acme):
    invite = api.post("/api/users/invitations/", acme.token(), {
        "email": "legal@acme.test", "roles": ["manager", "viewer"]})
    assert invite.status_code == 201, invite.content
    r = register(api, email="legal@acme.test", invite_token=invite.json()["invite_token"])
    assert r.status_code == 201, r.content
    assert r.json()["user"]["tenant_id"] == str(acme.tenant.pk)
    assert api.get("/api/auth/me/", r.json()["access"]).json()["roles"] == ["manager", "viewer"]
    # An invitation is single-use.
    again = register(api, email="legal@acme.test", invite_token=invite.json()["invite_token"])
    # A used invitation conflicts with stored data (409); the token itself is well formed.
    assert_error(again, 409, "Conflict")


def test_register_with_an_invite_for_another_email_is_refused(api, acme):
    token = api.post("/api/users/invitations/", acme.token(), {
        "email": "x@acme.test", "roles": ["viewer"]}).json()["invite_token"]
    details = assert_error(register(api, email="y@acme.test", invite_token=token), 409)["details"]
    assert "invite_token" in details


def test_login_returns_tokens_and_records_the_login(api, acme):
    r = api.post("/api/auth/login/", body={"email": "Manager@Acme.test", "password": PASSWORD})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["user"] == {"user_id": str(acme.users["manager"].pk),
                            "email": "manager@acme.test", "tenant_id": str(acme.tenant.pk)}
    assert api.get("/api/auth/me/", body["access"]).status_code == 200
    with schema_context(acme.schema):
        assert AuditLog.objects.filter(action="login",
                                       entity_id=str(acme.users["manager"].pk)).exists()


def test_login_with_a_wrong_password_is_401(api, acme):
    r = api.post("/api/auth/login/", body={"email": "manager@acme.test", "password": "nope"})
    assert_error(r, 401, "Authentication required")


def test_login_failures_are_throttled_per_account(api, acme, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    for _ in range(3):
        api.post("/api/auth/login/", body={"email": "user@acme.test", "password": "bad"})
    r = api.post("/api/auth/login/", body={"email": "user@acme.test", "password": PASSWORD})
    assert_error(r, 429)
    assert int(r["Retry-After"]) > 0
    # Other accounts are not affected by this account's failures.
    ok = api.post("/api/auth/login/", body={"email": "viewer@acme.test", "password": PASSWORD})
    assert ok.status_code == 200


def test_login_failures_are_throttled_per_ip(api, acme, settings):
    settings.LOGIN_FAILURES_PER_IP = 2
    for email in ("a@acme.test", "b@acme.test"):
        api.post("/api/auth/login/", body={"email": email, "password": "bad"})
    r = api.post("/api/auth/login/", body={"email": "viewer@acme.test", "password": PASSWORD})
    assert_error(r, 429)


def test_login_bad_input_is_400(api, db):
    assert_error(api.post("/api/auth/login/", body={"email": "x@y.test"}), 400, "Invalid input")


def test_login_to_a_deactivated_tenant_is_403(api, acme):
    Tenant.objects.filter(pk=acme.tenant.pk).update(is_active=False)
    r = api.post("/api/auth/login/", body={"email": "admin@acme.test", "password": PASSWORD})
    assert_error(r, 403)


def test_inactive_tenant_answers_403_to_its_users(api, acme):
    token = acme.token()
    Tenant.objects.filter(pk=acme.tenant.pk).update(is_active=False)
    tenant_cache.forget()  # updated without the service, which would have done this
    assert_error(api.get("/api/contracts/", token), 403)


def _login(api, email="admin@acme.test"):
    return api.post("/api/auth/login/", body={"email": email, "password": PASSWORD}).json()


def test_refresh_rotates_both_tokens(api, acme):
    pair = _login(api)
    r = api.post("/api/auth/refresh/", body={"refresh": pair["refresh"]})
    assert r.status_code == 200, r.content
    new = r.json()
    assert new["access"] != pair["access"] and new["refresh"] != pair["refresh"]
    assert api.get("/api/auth/me/", new["access"]).status_code == 200


def test_reusing_a_refresh_token_revokes_the_whole_family(api, acme):
    pair = _login(api)
    rotated = api.post("/api/auth/refresh/", body={"refresh": pair["refresh"]}).json()
    reuse = api.post("/api/auth/refresh/", body={"refresh": pair["refresh"]})
    assert_error(reuse, 401)
    # The thief's and the owner's newer tokens of that session are dead too.
    assert_error(api.post("/api/auth/refresh/", body={"refresh": rotated["refresh"]}), 401)
    assert_error(api.get("/api/auth/me/", rotated["access"]), 401)
    # Another session of the same user is untouched.
    other = _login(api)
    assert api.get("/api/auth/me/", other["access"]).status_code == 200


def test_refresh_with_an_access_token_is_401(api, acme):
    pair = _login(api)
    assert_error(api.post("/api/auth/refresh/", body={"refresh": pair["access"]}), 401)


def test_refresh_bad_input_is_400(api, db):
    assert_error(api.post("/api/auth/refresh/", body={}), 400)


def test_logout_kills_the_access_token_and_the_refresh_family(api, acme):
    pair = _login(api)
    r = api.post("/api/auth/logout/", pair["access"])
    assert r.status_code == 200 and r.json() == {"message": "Logged out"}
    assert_error(api.get("/api/auth/me/", pair["access"]), 401)
    assert_error(api.post("/api/auth/refresh/", body={"refresh": pair["refresh"]}), 401)
    with schema_context(acme.schema):
        assert AuditLog.objects.filter(action="logout").exists()


def test_logout_accepts_a_refresh_token_in_the_body(api, acme):
    first, second = _login(api), _login(api)
    r = api.post("/api/auth/logout/", first["access"], {"refresh": second["refresh"]})
    assert r.status_code == 200
    assert_error(api.post("/api/auth/refresh/", body={"refresh": second["refresh"]}), 401)


def test_logout_unauthenticated_is_401(api, db):
    assert_error(api.post("/api/auth/logout/"), 401, "Authentication required")


def test_me_requires_a_token(api, db):
    assert_error(api.get("/api/auth/me/"), 401)


def test_password_change_and_deactivation_invalidate_tokens(api, acme):
    from tenants import tokens

    pair = _login(api, "user@acme.test")
    user = User.objects.get(email="user@acme.test")
    tokens.revoke_all_for_user(user)
    assert_error(api.get("/api/auth/me/", pair["access"]), 401)
    assert_error(api.post("/api/auth/refresh/", body={"refresh": pair["refresh"]}), 401)

    fresh = acme.token("viewer")
    User.objects.filter(email="viewer@acme.test").update(is_active=False)
    assert_error(api.get("/api/auth/me/", fresh), 401)


def test_createsuperuser_makes_a_platform_admin(db, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", STRONG)
    call_command("createsuperuser", "--noinput", "--email", "ops@platform.test")
    user = User.objects.get(email="ops@platform.test")
    assert user.is_staff and user.tenant_id is None
    connection.set_schema_to_public()
