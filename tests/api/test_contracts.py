"""Contracts API: the first complete vertical slice."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from core.audit.models import AuditLog
from core.contracts.models import Contract
from core.events.models import Event
from tests.conftest import assert_error

BODY = {
    "title": "Service Agreement",
    "contract_type": "MSA",
    "status": "draft",
    "value": 50000.00,
    "counterparty": "Acme Corp",
    "start_date": "2026-01-15",
    "end_date": "2027-01-14",
}


def create(api, world, role="admin", **overrides):
    r = api.post("/api/contracts/", world.token(role), {**BODY, **overrides})
    assert r.status_code == 201, r.content
    return r.json()


def set_status(world, contract_id, status, **fields):
    with schema_context(world.schema):
        Contract.objects.filter(pk=contract_id).update(status=status, **fields)


# --- create -------------------------------------------------------------------------------

def test_create_returns_the_reference_body_and_writes_audit_and_event(api, acme):
    body = create(api, acme, role="user")
    for key, value in BODY.items():
        assert body[key] == value
    assert body["created_by"] == str(acme.users["user"].pk)
    assert body["currency"] == "USD"
    assert body["latest_version"] is None and body["is_approved"] is False
    with schema_context(acme.schema):
        log = AuditLog.objects.get(entity_id=body["id"], action="created")
        assert log.changes["title"] == {"old": None, "new": "Service Agreement"}
        assert log.performer_email == "user@acme.test"
        assert log.metadata["request_id"]
        assert Event.objects.filter(type="contract.created", data__id=body["id"]).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"value": -1}, "value"),
        ({"currency": "usd"}, "currency"),
        ({"start_date": "not-a-date"}, "start_date"),
        ({"status": "approved"}, "status"),
        ({"start_date": 0}, "start_date"),
        ({"value": "10"}, "value"),
        ({"status": "bogus"}, "status"),
    ],
)
def test_create_rejects_bad_input_with_field_details(api, acme, overrides, field):
    r = api.post("/api/contracts/", acme.token(), {**BODY, **overrides})
    assert field in assert_error(r, 400, "Invalid input")["details"]


def test_an_end_before_the_start_is_409(api, acme):
    r = api.post("/api/contracts/", acme.token(),
                 {**BODY, "start_date": "2026-02-01", "end_date": "2026-01-01"})
    assert "end_date" in assert_error(r, 409, "Conflict")["details"]


def test_create_requires_title_and_type(api, acme):
    details = assert_error(api.post("/api/contracts/", acme.token(), {}), 400)["details"]
    assert details["title"] == ["Field is required"]
    assert "contract_type" in details


def test_create_ignores_read_only_fields(api, acme):
    body = create(api, acme, id=str(uuid.uuid4()), created_by=str(acme.users["viewer"].pk),
                  is_approved=True)
    assert body["created_by"] == str(acme.users["admin"].pk)
    assert body["is_approved"] is False


def test_viewer_cannot_create(api, acme):
    assert_error(api.post("/api/contracts/", acme.token("viewer"), BODY), 403, "Permission denied")


def test_unauthenticated_is_401(api, acme):
    assert_error(api.get("/api/contracts/"), 401, "Authentication required")
    assert_error(api.post("/api/contracts/", body=BODY), 401)


def test_staff_without_a_tenant_cannot_reach_tenant_data(api, staff):
    from tenants import tokens

    token = tokens.issue_pair(staff)["access"]
    assert_error(api.get("/api/contracts/", token), 403)


# --- detail, update, delete ---------------------------------------------------------------

def test_detail_has_approval_fields_and_null_latest_version(api, acme):
    created = create(api, acme)
    r = api.get(f"/api/contracts/{created['id']}/", acme.token("viewer"))
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == created["id"]
    assert {"is_approved", "approved_by", "approved_at", "latest_version"} <= body.keys()
    assert body["latest_version"] is None


def test_update_changes_fields_and_records_the_diff(api, acme):
    created = create(api, acme)
    r = api.put(f"/api/contracts/{created['id']}/", acme.token(),
                {"title": "Updated Service Agreement", "value": 55000.00})
    assert r.status_code == 200, r.content
    assert r.json()["title"] == "Updated Service Agreement"
    assert r.json()["value"] == 55000.0
    with schema_context(acme.schema):
        log = AuditLog.objects.get(entity_id=created["id"], action="updated")
    assert log.changes == {
        "title": {"old": "Service Agreement", "new": "Updated Service Agreement"},
        "value": {"old": 50000.0, "new": 55000.0},
    }


def test_update_bad_input(api, acme):
    created = create(api, acme)
    path = f"/api/contracts/{created['id']}/"
    assert "value" in assert_error(api.put(path, acme.token(), {"value": -5}), 400)["details"]
    # Before the stored start date: valid alone, in conflict with the contract (409).
    assert "end_date" in assert_error(
        api.put(path, acme.token(), {"end_date": "2025-01-01"}), 409, "Conflict")["details"]
    assert "title" in assert_error(api.put(path, acme.token(), {"title": None}), 400)["details"]


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("draft", "pending", True),
        ("pending", "draft", True),
        ("rejected", "draft", True),
        ("approved", "executed", True),
        ("draft", "approved", False),
        ("draft", "executed", False),
        ("pending", "approved", False),
        ("pending", "rejected", False),
        ("executed", "draft", False),
        ("approved", "draft", False),
    ],
)
def test_status_machine_through_put(api, acme, start, target, allowed):
    created = create(api, acme)
    set_status(acme, created["id"], start)
    r = api.put(f"/api/contracts/{created['id']}/", acme.token(), {"status": target})
    if allowed:
        assert r.status_code == 200, r.content
        assert r.json()["status"] == target
        if target == "executed":
            assert r.json()["executed_at"]
    else:
        assert "status" in assert_error(r, 400, "Invalid input")["details"]


@pytest.mark.parametrize("status", ["pending", "approved", "executed"])
def test_business_fields_are_frozen_outside_draft_and_rejected(api, acme, status):
    created = create(api, acme)
    set_status(acme, created["id"], status)
    r = api.put(f"/api/contracts/{created['id']}/", acme.token(), {"title": "Changed"})
    assert_error(r, 409, "Conflict")


def test_rejected_contracts_stay_editable(api, acme):
    created = create(api, acme)
    set_status(acme, created["id"], "rejected")
    r = api.put(f"/api/contracts/{created['id']}/", acme.token(), {"title": "Revised"})
    assert r.status_code == 200


def test_user_role_edits_and_deletes_only_its_own_contracts(api, acme):
    mine = create(api, acme, role="user")
    theirs = create(api, acme, role="manager")
    token = acme.token("user")
    assert api.put(f"/api/contracts/{mine['id']}/", token, {"title": "Mine"}).status_code == 200
    assert_error(api.put(f"/api/contracts/{theirs['id']}/", token, {"title": "X"}), 403)
    assert_error(api.delete(f"/api/contracts/{theirs['id']}/", token), 403)
    assert api.delete(f"/api/contracts/{mine['id']}/", token).status_code == 204
    # A manager may change anyone's contracts.
    r = api.put(f"/api/contracts/{theirs['id']}/", acme.token("manager"), {"title": "Y"})
    assert r.status_code == 200


def test_viewer_cannot_update_or_delete(api, acme):
    created = create(api, acme)
    assert_error(api.put(f"/api/contracts/{created['id']}/", acme.token("viewer"), {"title": "X"}),
                 403)
    assert_error(api.delete(f"/api/contracts/{created['id']}/", acme.token("viewer")), 403)


def test_delete_is_soft_and_hides_the_contract(api, acme):
    created = create(api, acme)
    r = api.delete(f"/api/contracts/{created['id']}/", acme.token())
    assert r.status_code == 204 and r.content == b""
    detail = api.get(f"/api/contracts/{created['id']}/", acme.token())
    assert_error(detail, 404, "Resource not found")
    assert api.get("/api/contracts/", acme.token()).json()["count"] == 0
    with schema_context(acme.schema):
        assert Contract.objects.get(pk=created["id"]).deleted_at is not None
        assert AuditLog.objects.filter(entity_id=created["id"], action="deleted").exists()
        assert Event.objects.filter(type="contract.deleted").exists()
    assert_error(api.delete(f"/api/contracts/{created['id']}/", acme.token()), 404)


@pytest.mark.parametrize("status", ["pending", "approved", "executed"])
def test_live_contracts_cannot_be_deleted(api, acme, status):
    created = create(api, acme)
    set_status(acme, created["id"], status)
    assert_error(api.delete(f"/api/contracts/{created['id']}/", acme.token()), 409)


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("get", "", None), ("put", "", {"title": "X"}), ("delete", "", None),
     ("post", "clone/", {"title": "X"})],
)
def test_other_tenants_contracts_are_404(api, acme, globex, method, suffix, body):
    created = create(api, acme)
    path = f"/api/contracts/{created['id']}/{suffix}"
    kwargs = {"body": body} if body is not None else {}
    r = getattr(api, method)(path, globex.token(), **kwargs)
    assert_error(r, 404, "Resource not found")
    # Unknown and malformed ids answer the same.
    assert_error(api.get(f"/api/contracts/{uuid.uuid4()}/", acme.token()), 404)
    assert_error(api.get("/api/contracts/not-a-uuid/", acme.token()), 404)


# --- list ---------------------------------------------------------------------------------

def test_list_envelope_pagination_and_links_keep_the_query(api, acme):
    for i in range(5):
        create(api, acme, title=f"Contract {i}")
    r = api.get("/api/contracts/?limit=2&offset=2&status=draft", acme.token("viewer"))
    body = r.json()
    assert body["count"] == 5 and len(body["results"]) == 2
    assert body["next"] == "/api/contracts/?limit=2&offset=4&status=draft"
    assert body["previous"] == "/api/contracts/?limit=2&offset=0&status=draft"
    last = api.get("/api/contracts/?limit=2&offset=4", acme.token()).json()
    assert last["next"] is None and len(last["results"]) == 1
    # Newest first by default.
    titles = [c["title"] for c in api.get("/api/contracts/", acme.token()).json()["results"]]
    assert titles == [f"Contract {i}" for i in range(4, -1, -1)]


def test_list_count_past_the_end_and_of_nothing(api, acme):
    for i in range(3):
        create(api, acme, title=f"Contract {i}")
    past = api.get("/api/contracts/?limit=2&offset=10", acme.token()).json()
    assert past["count"] == 3 and past["results"] == [] and past["next"] is None
    assert past["previous"] == "/api/contracts/?limit=2&offset=8"
    nothing = api.get("/api/contracts/?status=executed", acme.token()).json()
    assert nothing == {"count": 0, "next": None, "previous": None, "results": []}


def test_list_default_limit_is_20(api, acme):
    with schema_context(acme.schema):
        Contract.objects.bulk_create(
            [Contract(title=f"C{i}", contract_type="NDA") for i in range(25)])
    body = api.get("/api/contracts/", acme.token()).json()
    assert body["count"] == 25 and len(body["results"]) == 20


def test_list_filters_by_status_and_searches_title_counterparty_and_type(api, acme):
    a = create(api, acme, title="Cloud hosting", counterparty="Initech", contract_type="MSA")
    b = create(api, acme, title="Mutual NDA", counterparty="Hooli", contract_type="NDA")
    set_status(acme, b["id"], "pending")
    token = acme.token()

    def ids(query):
        return [c["id"] for c in api.get(f"/api/contracts/?{query}", token).json()["results"]]

    assert ids("status=pending") == [b["id"]]
    assert ids("search=hosting") == [a["id"]]
    assert ids("search=HOOLI") == [b["id"]]
    assert ids("search=nda") == [b["id"]]
    assert ids("search=100%25") == []
    assert set(ids("search=")) == {a["id"], b["id"]}


def test_list_sorts_by_allowed_fields(api, acme):
    create(api, acme, title="B", value=10)
    create(api, acme, title="A", value=30)
    create(api, acme, title="C", value=20)
    token = acme.token()
    titles = [c["title"] for c in api.get("/api/contracts/?sort=value", token).json()["results"]]
    assert titles == ["B", "C", "A"]
    titles = [c["title"] for c in api.get("/api/contracts/?sort=-title", token).json()["results"]]
    assert titles == ["C", "B", "A"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("sort=password", "sort"), ("limit=101", "limit"), ("limit=0", "limit"),
     ("offset=-1", "offset"), ("status=unknown", "status"), ("limit=abc", "limit")],
)
def test_list_bad_query_is_400(api, acme, query, field):
    r = api.get(f"/api/contracts/?{query}", acme.token())
    assert field in assert_error(r, 400, "Invalid input")["details"]


def test_list_never_shows_another_tenants_rows(api, acme, globex):
    create(api, acme)
    assert api.get("/api/contracts/", globex.token()).json()["count"] == 0
    assert api.get("/api/contracts/statistics/", globex.token()).json()["total"] == 0
    assert api.get("/api/contracts/recent/", globex.token()).json() == []


def _query_count(api, path, token) -> int:
    api.get(path, token)  # warm: the caller is then in the principal cache
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(path, token).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path", ["/api/contracts/", "/api/contracts/recent/",
                                  "/api/contracts/statistics/"])
def test_list_query_count_does_not_grow_with_rows(api, acme, path):
    token = acme.token("user")
    create(api, acme)
    few = _query_count(api, path, token)
    for _ in range(8):
        create(api, acme, role="manager")
    assert _query_count(api, path, token) == few
    assert few <= 8


# --- statistics, recent, clone --------------------------------------------------------------

def test_statistics_count_by_status_with_12_month_trends(api, acme):
    ids = [create(api, acme)["id"] for _ in range(6)]
    now = timezone.now()
    set_status(acme, ids[0], "approved", approved_at=now, is_approved=True)
    set_status(acme, ids[1], "approved", approved_at=now, is_approved=True)
    set_status(acme, ids[2], "rejected", rejected_at=now)
    set_status(acme, ids[3], "pending")
    set_status(acme, ids[4], "executed")
    api.delete(f"/api/contracts/{ids[5]}/", acme.token())
    r = api.get("/api/contracts/statistics/", acme.token("viewer"))
    body = r.json()
    assert {k: body[k] for k in ("total", "draft", "pending", "approved", "rejected",
                                 "executed")} == {
        "total": 5, "draft": 0, "pending": 1, "approved": 2, "rejected": 1, "executed": 1}
    trends = body["monthly_trends"]
    assert len(trends) == 12
    assert trends[-1]["period"] == now.strftime("%Y-%m")
    assert trends[-1]["month"] == now.strftime("%b")
    assert (trends[-1]["approved"], trends[-1]["rejected"], trends[-1]["created"]) == (2, 1, 5)
    assert all(t["approved"] == 0 for t in trends[:-1])


def test_statistics_and_recent_need_view_permission(api, acme):
    from core.rbac.models import UserRole

    with schema_context(acme.schema):
        UserRole.objects.filter(user=acme.users["viewer"]).delete()
    assert_error(api.get("/api/contracts/statistics/", acme.token("viewer")), 403)
    assert_error(api.get("/api/contracts/recent/", acme.token("viewer")), 403)
    assert_error(api.get("/api/contracts/", acme.token("viewer")), 403)


def test_recent_returns_latest_updates_with_creator_names(api, acme):
    first = create(api, acme, title="First", role="manager")
    create(api, acme, title="Second")
    api.put(f"/api/contracts/{first['id']}/", acme.token(), {"title": "First, edited"})
    r = api.get("/api/contracts/recent/?limit=1", acme.token())
    assert r.status_code == 200
    [item] = r.json()
    assert item["title"] == "First, edited"
    assert item["created_by_name"] == "Manager Tester"
    assert_error(api.get("/api/contracts/recent/?limit=500", acme.token()), 400)


def test_clone_copies_metadata_into_a_new_draft(api, acme):
    source = create(api, acme)
    set_status(acme, source["id"], "approved")
    r = api.post(f"/api/contracts/{source['id']}/clone/", acme.token("user"),
                 {"title": "Cloned Service Agreement"})
    assert r.status_code == 201, r.content
    clone = r.json()
    assert clone["id"] != source["id"]
    assert clone["title"] == "Cloned Service Agreement"
    assert clone["status"] == "draft"
    assert (clone["contract_type"], clone["value"], clone["counterparty"]) == (
        "MSA", 50000.0, "Acme Corp")
    assert clone["created_by"] == str(acme.users["user"].pk)
    untitled = api.post(f"/api/contracts/{source['id']}/clone/", acme.token(), {}).json()
    assert untitled["title"] == "Copy of Service Agreement"


def test_clone_needs_create_permission_and_valid_input(api, acme):
    source = create(api, acme)
    path = f"/api/contracts/{source['id']}/clone/"
    assert_error(api.post(path, acme.token("viewer"), {}), 403)
    assert "title" in assert_error(api.post(path, acme.token(), {"title": ""}), 400)["details"]


def test_field_search_is_answered_by_one_trigram_index(acme):
    """Each field of the search's OR is a scan of the one trigram index, not a row-by-row match
    (one index for the three fields: the planner opens every index of the table per query)."""
    from core.contracts.selectors import contract_list

    with schema_context(acme.schema):
        Contract.objects.bulk_create(
            Contract(title=f"Contract {i}", contract_type="MSA", counterparty=f"Party {i}")
            for i in range(5000)
        )
        with connection.cursor() as cursor:
            # As autovacuum would: move fresh entries from the GIN pending list into the index.
            cursor.execute("SELECT gin_clean_pending_list('contract_text_trgm'::regclass)")
            cursor.execute("ANALYZE contracts_contract")
            # Small tables are cheapest to scan; the question is whether the index can answer.
            cursor.execute("SET LOCAL enable_seqscan = off")
            sql, params = contract_list(search="party 4242").query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
    assert plan.count("Bitmap Index Scan on contract_text_trgm") == 3, plan
    assert "Bitmap Index Scan on contract_document_fts" in plan, plan
