"""Bad input never causes a 500, and the security headers and settings hold."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import assert_error

CONTRACT = {"title": "T", "contract_type": "NDA"}


def test_oversized_json_body_is_413(api, acme, settings):
    settings.API_MAX_JSON_BYTES = 10_000
    body = {**CONTRACT, "counterparty": "x" * 20_000}
    assert_error(api.post("/api/contracts/", acme.token(), body), 413, "Payload too large")


def test_wrong_content_type_is_415(api, acme):
    r = api.post("/api/contracts/", acme.token(), raw=json.dumps(CONTRACT).encode(),
                 content_type="application/xml")
    assert_error(r, 415, "Unsupported media type")


@pytest.mark.parametrize(
    "raw",
    [b"[" * 50_000 + b"]" * 50_000, b'{"title": "\xff\xfe", "contract_type": "NDA"}',
     b'{"title": ', b"null", b"[]", b'"just a string"'],
    ids=["deeply-nested", "invalid-utf8", "truncated", "null", "array", "string"],
)
def test_malformed_bodies_are_400(api, acme, raw):
    assert_error(api.post("/api/contracts/", acme.token(), raw=raw), 400, "Invalid input")


@pytest.mark.parametrize("query", ["limit=1000000000", "offset=99999999999999999999",
                                   "limit=-1", "offset=1e9"])
def test_huge_or_odd_paging_values_are_400(api, acme, query):
    assert_error(api.get(f"/api/contracts/?{query}", acme.token()), 400)


def test_mass_assignment_of_protected_fields_is_ignored(api, acme, globex):
    body = {**CONTRACT, "id": "00000000-0000-0000-0000-000000000001",
            "tenant_id": str(globex.tenant.pk), "created_by": str(globex.users["admin"].pk),
            "is_approved": True, "approved_by": str(acme.users["admin"].pk), "status": "draft"}
    created = api.post("/api/contracts/", acme.token("user"), body).json()
    assert created["id"] != body["id"]
    assert created["created_by"] == str(acme.users["user"].pk)
    detail = api.get(f"/api/contracts/{created['id']}/", acme.token()).json()
    assert detail["is_approved"] is False and detail["approved_by"] is None
    updated = api.put(f"/api/contracts/{created['id']}/", acme.token(),
                      {"is_approved": True, "created_by": str(acme.users["viewer"].pk)}).json()
    assert updated["is_approved"] is False
    assert updated["created_by"] == str(acme.users["user"].pk)


def test_security_headers(api, acme, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    r = api.get("/api/contracts/", acme.token(), X_FORWARDED_PROTO="https")
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["X-Frame-Options"] == "DENY"
    assert r["Strict-Transport-Security"].startswith("max-age=31536000")


def test_cors_allows_only_listed_origins(api, acme, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    ok = api.request("OPTIONS", "/api/contracts/", ORIGIN="https://app.example.com",
                     ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert ok["Access-Control-Allow-Origin"] == "https://app.example.com"
    other = api.get("/api/contracts/", acme.token(), ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other


def _settings_in_subprocess(env: dict, code: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"ENVIRONMENT", "SECRET_KEY", "JWT_SIGNING_KEY", "DJANGO_DEBUG",
                          "DJANGO_SETTINGS_MODULE", "API_DOCS_ENABLED"}}
    script = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='clm_platform.settings';" \
             "django.setup();" + code
    return subprocess.run([sys.executable, "-c", script], env={**clean, **env},
                          capture_output=True, text=True, timeout=60)


def test_production_refuses_to_start_without_secrets():
    result = _settings_in_subprocess({"ENVIRONMENT": "production"}, "print('started')")
    assert result.returncode != 0
    assert "must be set outside dev" in result.stderr


def test_debug_stays_off_outside_dev_and_docs_can_be_switched_off():
    env = {"ENVIRONMENT": "production", "SECRET_KEY": "s" * 50, "JWT_SIGNING_KEY": "k" * 50,
           "DJANGO_DEBUG": "true", "API_DOCS_ENABLED": "false"}
    code = ("from django.conf import settings; from django.urls import resolve, Resolver404\n"
            "print('debug', settings.DEBUG)\n"
            "try:\n    resolve('/api/docs'); print('docs on')\n"
            "except Resolver404:\n    print('docs off')\n"
            "resolve('/api/openapi.json'); print('spec on')")
    result = _settings_in_subprocess(env, code)
    assert result.returncode == 0, result.stderr
    assert "debug False" in result.stdout
    assert "docs off" in result.stdout


def test_upload_file_names_never_reach_storage_keys(api, acme, published, local_documents):
    from tests.documents_support import docx_bytes, generate, upload

    contract = generate(api, acme, published["id"])["contract"]
    r = upload(api, f"/api/contracts/{contract['id']}/versions/upload/", acme.token(),
               docx_bytes("Signed copy"), filename="../../../../etc/passwd.docx",
               change_summary="Signed")
    assert r.status_code == 201, r.content
    assert r.json()["r2_key"] == f"contracts/{contract['id']}/v2.docx"
    stored = sorted(p.relative_to(local_documents).as_posix()
                    for p in local_documents.rglob("*") if p.is_file())
    assert stored == [f"{acme.schema}/contracts/{contract['id']}/v1.docx",
                      f"{acme.schema}/contracts/{contract['id']}/v2.docx"]
    assert not any(".." in p or "passwd" in p for p in stored)
