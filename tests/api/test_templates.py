"""Contract templates API: CRUD, rules, publishing and versions, .docx upload, isolation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.audit.models import AuditLog
from core.documents import storage
from core.events.models import Event
from tests.conftest import assert_error
from tests.documents_support import TEMPLATE, docx_bytes, make_template, upload

BASE = "/api/contract-templates/"


def test_create_returns_the_reference_body_and_writes_audit(api, acme, local_documents):
    body = make_template(api, acme, business_rules={"min_value": 0, "max_value": 1000000})
    for key in ("name", "contract_type", "description", "merge_fields", "mandatory_clauses",
                "status"):
        assert body[key] == TEMPLATE[key]
    assert body["version"] == 1 and body["r2_key"] == ""
    assert body["business_rules"] == {"min_value": 0, "max_value": 1000000}
    assert body["created_by"] == str(acme.users["admin"].pk)
    with schema_context(acme.schema):
        assert AuditLog.objects.filter(entity_type="template", entity_id=body["id"],
                                       action="created").exists()
        # Drafts are not announced.
        assert not Event.objects.filter(type="template.published").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"status": "live"}, "status"),
        ({"business_rules": {"colour": "red"}}, "business_rules"),
        ({"business_rules": {"max_value": False}}, "business_rules.max_value"),
        ({"business_rules": {"min_value": -1}}, "business_rules.min_value"),
        ({"business_rules": {"allowed_currencies": ["usd"]}},
         "business_rules.allowed_currencies"),
        ({"business_rules": {"max_term_months": 0}}, "business_rules.max_term_months"),
        ({"business_rules": {"required_fields": ["bad name"]}},
         "business_rules.required_fields"),
        ({"merge_fields": ["company name"]}, "merge_fields"),
        ({"mandatory_clauses": ["bad id"]}, "mandatory_clauses"),
        ({"r2_key": "../../etc/passwd"}, "r2_key"),
        ({"r2_key": "contracts/x/v1.docx"}, "r2_key"),
    ],
)
def test_create_validates_fields_and_business_rules(api, acme, overrides, field):
    r = api.post(BASE, acme.token(), {**TEMPLATE, **overrides})
    details = assert_error(r, 400, "Invalid input")["details"]
    assert any(key.startswith(field) for key in details), details


def test_a_maximum_below_the_minimum_is_409(api, acme):
    r = api.post(BASE, acme.token(),
                 {**TEMPLATE, "business_rules": {"min_value": 10, "max_value": 5}})
    assert "business_rules.max_value" in assert_error(r, 409, "Conflict")["details"]


@pytest.mark.parametrize("role", ["user", "viewer"])
def test_create_needs_create_templates(api, acme, role):
    assert_error(api.post(BASE, acme.token(role), TEMPLATE), 403)


def test_unauthenticated_is_401(api, acme):
    assert_error(api.get(BASE), 401)
    assert_error(api.post(BASE, None, TEMPLATE), 401)


def test_list_searches_and_paginates(api, acme):
    make_template(api, acme)
    make_template(api, acme, name="NDA Template", contract_type="NDA", description="Secrecy")
    token = acme.token("viewer")
    body = api.get(f"{BASE}?limit=1", token).json()
    assert body["count"] == 2 and len(body["results"]) == 1 and body["next"]
    assert [t["name"] for t in api.get(f"{BASE}?search=secre", token).json()["results"]] == [
        "NDA Template"
    ]
    assert api.get(f"{BASE}?status=published", token).json()["count"] == 0
    assert api.get(f"{BASE}?contract_type=msa", token).json()["count"] == 1
    assert_error(api.get(f"{BASE}?sort=description", token), 400)


def test_list_query_count_does_not_grow_with_rows(api, acme):
    counts = []
    for n in (2, 10):
        for i in range(len(counts) * 2, n):
            make_template(api, acme, name=f"T{i}")
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(BASE, acme.token()).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]


def test_get_and_other_tenant(api, acme, globex):
    template = make_template(api, acme)
    assert api.get(f"{BASE}{template['id']}/", acme.token("viewer")).json()["id"] == template["id"]
    assert_error(api.get(f"{BASE}{template['id']}/", globex.token()), 404)
    assert_error(api.put(f"{BASE}{template['id']}/", globex.token(), {"name": "x"}), 404)
    assert_error(api.delete(f"{BASE}{template['id']}/", globex.token()), 404)
    assert api.get(BASE, globex.token()).json()["count"] == 0


# --- publishing and versions --------------------------------------------------------------

def published_events(world):
    with schema_context(world.schema):
        return list(Event.objects.filter(type="template.published").order_by("created_at"))


def test_publishing_emits_template_published_and_keeps_version_1(api, acme, library):
    template = make_template(api, acme)
    r = api.put(f"{BASE}{template['id']}/", acme.token("manager"), {"status": "published"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "published" and r.json()["version"] == 1
    events = published_events(acme)
    assert [e.data["id"] for e in events] == [template["id"]]
    assert events[0].data["version"] == 1


def test_changed_content_of_a_published_template_is_a_new_version(api, acme, library):
    template = make_template(api, acme, status="published")
    url = f"{BASE}{template['id']}/"
    # Metadata only: same version, no new announcement.
    assert api.put(url, acme.token(), {"description": "Updated"}).json()["version"] == 1
    body = api.put(url, acme.token(), {"merge_fields": ["counterparty", "date"]}).json()
    assert body["version"] == 2
    assert [e.data["version"] for e in published_events(acme)] == [1, 2]
    # Archiving and re-publishing unchanged content announces it again, same version.
    api.put(url, acme.token(), {"status": "archived"})
    assert api.put(url, acme.token(), {"status": "published"}).json()["version"] == 2
    assert [e.data["version"] for e in published_events(acme)] == [1, 2, 2]
    with schema_context(acme.schema):
        log = AuditLog.objects.filter(entity_id=template["id"], action="updated").first()
        assert log is not None


def test_publishing_checks_clauses_and_file_exist(api, acme, local_documents):
    r = api.post(BASE, acme.token(), {**TEMPLATE, "status": "published"})
    assert assert_error(r, 400)["details"]["mandatory_clauses"] == ["Unknown clause: CONF-001"]
    r = api.post(BASE, acme.token(), {**TEMPLATE, "mandatory_clauses": [],
                                      "r2_key": "templates/missing.docx", "status": "published"})
    assert "r2_key" in assert_error(r, 400)["details"]


def test_update_rules(api, acme):
    template = make_template(api, acme)
    url = f"{BASE}{template['id']}/"
    assert_error(api.put(url, acme.token("user"), {"name": "x"}), 403)
    assert "name" in assert_error(api.put(url, acme.token(), {"name": None}), 400)["details"]
    r = api.put(url, acme.token(), {"business_rules": {"max_value": -3}})
    assert "business_rules.max_value" in assert_error(r, 400)["details"]
    r = api.put(url, acme.token(), {"business_rules": {"min_value": 9, "max_value": 3}})
    assert "business_rules.max_value" in assert_error(r, 409)["details"]
    assert_error(api.put(f"{BASE}00000000-0000-0000-0000-000000000000/", acme.token(),
                         {"name": "x"}), 404)


def test_delete(api, acme):
    template = make_template(api, acme)
    url = f"{BASE}{template['id']}/"
    assert_error(api.delete(url, acme.token("manager")), 403)
    assert api.delete(url, acme.token()).status_code == 204
    assert_error(api.get(url, acme.token()), 404)
    with schema_context(acme.schema):
        assert AuditLog.objects.filter(entity_id=template["id"], action="deleted").exists()


# --- the template's .docx -----------------------------------------------------------------

TEMPLATE_DOCX_TEXT = (
    "Agreement between {{ party }} and {{ company_name }}",
    "Confidential for {{ confidentiality_period }}.",
)


def test_upload_reads_merge_fields_from_the_document(api, acme, local_documents):
    template = make_template(api, acme, merge_fields=[])
    data = docx_bytes(*TEMPLATE_DOCX_TEXT)
    r = upload(api, f"{BASE}{template['id']}/upload/", acme.token("manager"), data)
    assert r.status_code == 200, r.content
    body = r.json()
    # `party` is filled by every rendering; the others are the template's merge fields.
    assert body["merge_fields"] == ["company_name", "confidentiality_period"]
    assert body["r2_key"].startswith(f"templates/{template['id']}/")
    with schema_context(acme.schema):
        assert storage.read(body["r2_key"]) == data
    assert (local_documents / acme.schema / body["r2_key"]).exists()


def test_upload_refuses_what_is_not_a_docx(api, acme, local_documents):
    template = make_template(api, acme)
    url = f"{BASE}{template['id']}/upload/"
    r = upload(api, url, acme.token(), b"just text", filename="contract.docx")
    assert "file" in assert_error(r, 400)["details"]
    r = upload(api, url, acme.token(), b"%PDF-1.4 not a template", filename="t.docx")
    assert "file" in assert_error(r, 400)["details"]
    bad_syntax = docx_bytes("Hello {{ unclosed")
    assert "file" in assert_error(upload(api, url, acme.token(), bad_syntax), 400)["details"]
    r = api.post(url, acme.token(), {"file": "not multipart"})
    assert "file" in assert_error(r, 400)["details"]


def test_upload_limits(api, acme, globex, local_documents, settings):
    template = make_template(api, acme)
    url = f"{BASE}{template['id']}/upload/"
    data = docx_bytes("x" * 1000)
    assert_error(upload(api, url, acme.token("user"), data), 403)
    assert_error(upload(api, url, None, data), 401)
    assert_error(upload(api, url, globex.token(), data), 404)
    settings.DOCUMENT_MAX_UPLOAD_BYTES = len(data) - 1
    assert_error(upload(api, url, acme.token(), data), 413, "Payload too large")
