"""Clause library API and clause validation: versions, rules, messages, isolation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.audit.models import AuditLog
from tests.conftest import assert_error
from tests.documents_support import CLAUSES, make_library, make_template

CONF = CLAUSES[0]


def create(api, world, body=None, role="admin"):
    return api.post("/api/clauses/", world.token(role), body or CONF)


# --- create -------------------------------------------------------------------------------

def test_create_returns_version_1_and_writes_audit(api, acme):
    r = create(api, acme, {**CONF, "clause_id": "conf-001", "tags": ["Strict", "strict"]})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["clause_id"] == "CONF-001" and body["version"] == 1 and body["is_latest"]
    assert body["tags"] == ["strict"] and body["is_active"] is True
    assert body["created_by"] == str(acme.users["admin"].pk)
    with schema_context(acme.schema):
        log = AuditLog.objects.get(entity_type="clause", entity_id="CONF-001", action="created")
        assert log.changes["name"] == {"old": None, "new": "Confidentiality"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"clause_id": "not an id"}, "clause_id"),
        ({"clause_id": ""}, "clause_id"),
        ({"name": ""}, "name"),
        ({"content": "   "}, "content"),
        ({"alternatives": ["bad id!"]}, "alternatives"),
        ({"mandatory_rule": {"min_value": -5}}, "mandatory_rule.min_value"),
        ({"tags": "strict"}, "tags"),
    ],
)
def test_create_rejects_bad_input(api, acme, overrides, field):
    r = create(api, acme, {**CONF, **overrides})
    details = assert_error(r, 400, "Invalid input")["details"]
    assert any(key.startswith(field) for key in details), details


def test_a_clause_conflicting_with_itself_is_409(api, acme):
    # Each field is valid alone; together they contradict each other.
    r = create(api, acme, {**CONF, "conflicts_with": ["CONF-001"]})
    assert "conflicts_with" in assert_error(r, 409, "Conflict")["details"]


def test_create_requires_fields(api, acme):
    details = assert_error(api.post("/api/clauses/", acme.token(), {}), 400)["details"]
    assert {"clause_id", "name", "category", "content"} <= set(details)


def test_create_of_an_existing_id_is_a_conflict(api, acme):
    create(api, acme)
    assert_error(create(api, acme), 409, "Conflict")


@pytest.mark.parametrize("role", ["user", "viewer"])
def test_create_needs_manage_clauses(api, acme, role):
    assert_error(create(api, acme, role=role), 403, "Permission denied")


def test_manager_may_manage_clauses(api, acme):
    assert create(api, acme, role="manager").status_code == 201


def test_create_unauthenticated_is_401(api, acme):
    assert_error(api.post("/api/clauses/", None, CONF), 401)


# --- edit = new version -------------------------------------------------------------------

def test_edit_creates_a_new_version_and_keeps_the_old_one_readable(api, acme):
    create(api, acme)
    r = api.put("/api/clauses/CONF-001/", acme.token(), {"content": "New wording."})
    assert r.status_code == 200, r.content
    assert r.json()["version"] == 2 and r.json()["content"] == "New wording."
    latest = api.get("/api/clauses/conf-001/", acme.token("viewer")).json()
    assert latest["version"] == 2
    old = api.get("/api/clauses/CONF-001/versions/1/", acme.token("viewer")).json()
    assert old["content"] == CONF["content"] and old["is_latest"] is False
    history = api.get("/api/clauses/CONF-001/versions/", acme.token()).json()
    assert [v["version"] for v in history] == [2, 1]
    with schema_context(acme.schema):
        log = AuditLog.objects.get(entity_type="clause", entity_id="CONF-001", action="updated")
        assert log.changes["version"] == {"old": 1, "new": 2}


def test_deactivating_does_not_make_a_version(api, acme):
    create(api, acme)
    body = api.put("/api/clauses/CONF-001/", acme.token(), {"is_active": False}).json()
    assert body["version"] == 1 and body["is_active"] is False
    # An unchanged edit is a no-op.
    again = api.put("/api/clauses/CONF-001/", acme.token(), {"name": CONF["name"]}).json()
    assert again["version"] == 1


def test_edit_errors(api, acme):
    create(api, acme)
    assert_error(api.put("/api/clauses/NOPE-1/", acme.token(), {"name": "x"}), 404)
    assert_error(api.put("/api/clauses/CONF-001/", acme.token("user"), {"name": "x"}), 403)
    r = api.put("/api/clauses/CONF-001/", acme.token(), {"conflicts_with": ["CONF-001"]})
    assert "conflicts_with" in assert_error(r, 409)["details"]
    assert_error(api.get("/api/clauses/CONF-001/versions/9/", acme.token()), 404)


# --- list ---------------------------------------------------------------------------------

def test_list_filters_and_paginates(api, acme):
    make_library(api, acme)
    token = acme.token("viewer")
    body = api.get("/api/clauses/?limit=2", token).json()
    assert body["count"] == len(CLAUSES) and len(body["results"]) == 2 and body["next"]
    terms = api.get("/api/clauses/?category=termination", token).json()["results"]
    assert [c["clause_id"] for c in terms] == ["TERM-001", "TERM-002", "TERM-003"]
    strict = api.get("/api/clauses/?tag=strict", token).json()["results"]
    assert {c["clause_id"] for c in strict} == {"TERM-002", "LIAB-002"}
    found = api.get("/api/clauses/?search=liab", token).json()["results"]
    assert {c["clause_id"] for c in found} == {"LIAB-001", "LIAB-002"}
    assert_error(api.get("/api/clauses/?sort=content", token), 400)


def test_list_shows_latest_versions_only(api, acme):
    create(api, acme)
    api.put("/api/clauses/CONF-001/", acme.token(), {"content": "v2"})
    results = api.get("/api/clauses/", acme.token()).json()["results"]
    assert [(c["clause_id"], c["version"]) for c in results] == [("CONF-001", 2)]


def test_list_query_count_does_not_grow_with_rows(api, acme):
    counts = []
    for n in (2, 10):
        for i in range(len(counts) * 2, n):
            create(api, acme, {**CONF, "clause_id": f"GEN-{i:03d}"})
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/clauses/", acme.token()).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]


def test_other_tenants_clauses_are_invisible(api, acme, globex):
    create(api, acme)
    assert_error(api.get("/api/clauses/CONF-001/", globex.token()), 404)
    assert_error(api.get("/api/clauses/CONF-001/versions/", globex.token()), 404)
    assert_error(api.put("/api/clauses/CONF-001/", globex.token(), {"name": "x"}), 404)
    assert api.get("/api/clauses/", globex.token()).json()["count"] == 0


def test_reads_need_view_templates(api, acme):
    from tests.documents_support import user_with_permissions

    token = user_with_permissions(acme, "view_contracts")
    assert_error(api.get("/api/clauses/", token), 403)
    assert_error(api.post("/api/contracts/validate-clauses/", token,
                          {"contract_type": "MSA"}), 403)


# --- validate-clauses ---------------------------------------------------------------------

def validate(api, world, **body):
    return api.post("/api/contracts/validate-clauses/", world.token("viewer"),
                    {"contract_type": "MSA", "contract_value": 50000, **body})


def test_validate_reports_a_missing_mandatory_clause_as_in_the_reference(api, acme, library):
    r = validate(api, acme, selected_clauses=["CONF-001", "TERM-001"])
    assert r.status_code == 200, r.content
    assert r.json() == {
        "is_valid": False,
        "errors": ["Mandatory clause missing: LIAB-001"],
        "warnings": [],
        "mandatory_clauses": [{
            "clause_id": "LIAB-001", "name": "Liability Limitation",
            "message": "Liability limitation required for all contracts",
        }],
    }


def test_validate_accepts_a_complete_set(api, acme, library):
    body = validate(api, acme, selected_clauses=["CONF-001", "LIAB-001"]).json()
    assert body["is_valid"] is True and body["errors"] == []


def test_validate_reports_conflicts_and_unknown_clauses(api, acme, library):
    body = validate(api, acme, selected_clauses=["LIAB-001", "LIAB-002", "XYZ-999"]).json()
    assert body["is_valid"] is False
    assert "Conflicting clauses: LIAB-001, LIAB-002" in body["errors"]
    assert "Unknown clause: XYZ-999" in body["errors"]


def test_validate_warns_about_inactive_and_superseded_clauses(api, acme, library):
    api.put("/api/clauses/TERM-001/", acme.token(), {"is_active": False})
    api.put("/api/clauses/CONF-001/", acme.token(), {"content": "Stricter secrecy."})
    body = validate(api, acme, selected_clauses=["LIAB-001", "TERM-001", "CONF-001@1"]).json()
    assert body["is_valid"] is True
    assert body["warnings"] == [
        "Clause TERM-001 is inactive",
        "Clause CONF-001 version 1 is superseded by version 2",
    ]


def test_validate_applies_rules_by_type_and_value(api, acme):
    api.post("/api/clauses/", acme.token(), {
        "clause_id": "INS-001", "name": "Insurance", "category": "insurance",
        "content": "Carry insurance.",
        "mandatory_rule": {"contract_types": ["MSA"], "min_value": 100000},
    })
    assert validate(api, acme, contract_value=50000).json()["is_valid"] is True
    big = validate(api, acme, contract_value=100000).json()
    assert big["errors"] == ["Mandatory clause missing: INS-001"]
    assert big["mandatory_clauses"][0]["message"] == (
        "Insurance required for MSA contracts with a value of at least 100000.0"
    )
    assert validate(api, acme, contract_type="NDA", contract_value=10**6).json()["is_valid"]


def test_validate_adds_the_templates_mandatory_clauses(api, acme, library):
    template = make_template(api, acme)
    body = validate(api, acme, selected_clauses=["LIAB-001"], template_id=template["id"]).json()
    assert body["errors"] == ["Mandatory clause missing: CONF-001"]
    assert body["mandatory_clauses"][0]["message"] == "Required by template 'MSA Template'"


def test_validate_bad_input(api, acme):
    r = api.post("/api/contracts/validate-clauses/", acme.token(), {"contract_value": -1})
    details = assert_error(r, 400)["details"]
    assert "contract_type" in details and "contract_value" in details
    r = validate(api, acme, selected_clauses=["CONF-001", "not a clause id"])
    assert "selected_clauses.1" in assert_error(r, 400)["details"]
    assert_error(api.post("/api/contracts/validate-clauses/", None, {}), 401)


def test_validate_with_another_tenants_template_is_404(api, acme, globex, library):
    template = make_template(api, acme)
    r = api.post("/api/contracts/validate-clauses/", globex.token(),
                 {"contract_type": "MSA", "template_id": template["id"]})
    assert_error(r, 404)
