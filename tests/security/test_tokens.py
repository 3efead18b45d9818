"""Token attacks: every forged, expired, misused or revoked token is a 401."""

import base64
import json
import time
import uuid

import jwt
import pytest
from django.conf import settings

from core.errors import AuthenticationFailed
from tenants import tokens
from tests.conftest import assert_error


def _claims(world, **overrides):
    now = int(time.time())
    user = world.users["admin"]
    return {
        "iss": settings.JWT_ISSUER, "aud": settings.JWT_AUDIENCE, "sub": str(user.pk),
        "tid": str(world.tenant.pk), "typ": "access", "jti": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()), "ver": user.token_version, "iat": now, "nbf": now,
        "exp": now + 600, **overrides,
    }


def _sign(claims, key=None, algorithm="HS256"):
    return jwt.encode(claims, key or settings.JWT_SIGNING_KEY, algorithm=algorithm)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_well_formed_token_works(api, acme):
    assert api.get("/api/auth/me/", _sign(_claims(acme))).status_code == 200


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda w: _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims(w)) + ".",
                     id="alg-none"),
        pytest.param(lambda w: _sign(_claims(w), algorithm="HS512"), id="other-hmac-alg"),
        pytest.param(lambda w: _sign(_claims(w), key="another-key-of-sufficient-length-123"),
                     id="wrong-key"),
        pytest.param(lambda w: _sign(_claims(w, exp=int(time.time()) - 10)), id="expired"),
        pytest.param(lambda w: _sign(_claims(w, nbf=int(time.time()) + 3600)), id="future-nbf"),
        pytest.param(lambda w: _sign(_claims(w, aud="someone-else")), id="wrong-audience"),
        pytest.param(lambda w: _sign(_claims(w, iss="evil")), id="wrong-issuer"),
        pytest.param(lambda w: _sign(_claims(w, typ="refresh")), id="refresh-as-access"),
        pytest.param(lambda w: _sign({k: v for k, v in _claims(w).items() if k != "tid"}),
                     id="missing-claim"),
        pytest.param(lambda w: _sign(_claims(w, ver=99)), id="stale-version"),
        pytest.param(lambda w: _sign(_claims(w, sub=str(uuid.uuid4()))), id="unknown-user"),
        pytest.param(lambda w: "not.a.jwt", id="garbage"),
    ],
)
def test_forged_or_misused_tokens_are_401(api, acme, forge):
    assert_error(api.get("/api/auth/me/", forge(acme)), 401, "Authentication required")
    assert_error(api.get("/api/contracts/", forge(acme)), 401)


def test_tampered_payload_is_401(api, acme):
    header, payload, signature = acme.token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = str(acme.users["viewer"].pk)
    assert_error(api.get("/api/auth/me/", f"{header}.{_b64(claims)}.{signature}"), 401)


def test_tampered_signature_is_401(api, acme):
    token = acme.token()
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert_error(api.get("/api/auth/me/", flipped), 401)


def test_rs256_token_with_the_hmac_key_as_public_key_is_401(api, acme):
    # HS/RS confusion: the server must never accept a token whose header picks the algorithm.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    assert_error(api.get("/api/auth/me/", _sign(_claims(acme), key=pem, algorithm="RS256")), 401)


def test_a_token_claiming_another_tenant_is_401(api, acme, globex):
    # The user is acme's; a token naming globex's tenant must not open globex's schema.
    forged = _sign(_claims(acme, tid=str(globex.tenant.pk)))
    assert_error(api.get("/api/contracts/", forged), 401)


def test_another_tenants_token_on_a_tenant_host_is_401(api, acme, globex):
    host = f"acme.{settings.TENANT_BASE_DOMAIN}"
    assert api.get("/api/auth/me/", acme.token(), HOST=host).status_code == 200
    assert_error(api.get("/api/contracts/", globex.token(), HOST=host), 401)


def test_access_token_used_as_refresh_is_401(api, acme):
    assert_error(api.post("/api/auth/refresh/", body={"refresh": acme.token()}), 401)


def test_revoked_access_token_is_401(api, acme):
    token = acme.token()
    tokens.revoke_access(tokens.decode(token, expected_type=tokens.ACCESS))
    assert_error(api.get("/api/auth/me/", token), 401)


def test_decode_pins_the_algorithm():
    with pytest.raises(Exception):  # noqa: B017 - any failure is a refusal
        tokens.decode(_b64({"alg": "none"}) + "." + _b64({"typ": "access"}) + ".",
                      expected_type=tokens.ACCESS)


def test_a_token_accepted_once_is_refused_when_it_expires(api, acme):
    # Verified claims are remembered per process; expiry must still apply to them.
    token = _sign(_claims(acme, exp=int(time.time()) + 2))
    assert api.get("/api/auth/me/", token).status_code == 200
    assert api.get("/api/auth/me/", token).status_code == 200
    time.sleep(max(0.0, jwt.decode(token, options={"verify_signature": False})["exp"]
                   - time.time()) + 0.1)
    assert_error(api.get("/api/auth/me/", token), 401, "Authentication required")


def test_a_token_accepted_once_is_refused_under_a_new_signing_key(api, acme, settings):
    token = _sign(_claims(acme))
    assert api.get("/api/auth/me/", token).status_code == 200
    settings.JWT_SIGNING_KEY = "another-signing-key-of-a-rotated-deployment-0123456789"
    assert_error(api.get("/api/auth/me/", token), 401, "Authentication required")


def test_an_access_token_is_not_accepted_as_a_refresh_token_after_being_used(api, acme):
    token = _sign(_claims(acme))
    assert api.get("/api/auth/me/", token).status_code == 200
    with pytest.raises(AuthenticationFailed):
        tokens.decode(token, expected_type=tokens.REFRESH)
