"""Audit log: every change recorded, append-only, hash-chained and verifiable; list, stats,
contract history and CSV export."""

import csv
import io
import threading
import uuid
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from core.audit.models import ROW_HASH_SQL, AuditLog
from core.audit.services import audit_record
from tests.conftest import PASSWORD, assert_error

CONTRACT = {"title": "Service Agreement", "contract_type": "MSA", "value": 50000,
            "counterparty": "Initech", "start_date": "2026-01-15", "end_date": "2027-01-14"}


def create_contract(api, world, role="admin", **fields):
    r = api.post("/api/contracts/", world.token(role), {**CONTRACT, **fields})
    assert r.status_code == 201, r.content
    return r.json()


def rows(world, **filters):
    with schema_context(world.schema):
        return list(AuditLog.objects.filter(**filters).order_by("seq"))


def raw_sql(world, sql, params=()):
    with schema_context(world.schema), connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- every change is recorded ---------------------------------------------------------------

def test_every_mutating_service_writes_its_row_with_request_metadata(api, acme):
    headers = {"User-Agent": "AuditProbe/1.0", "X-Request-ID": "req-audit-1",
               "X-Forwarded-For": "203.0.113.9"}
    admin = acme.token()
    contract = api.post("/api/contracts/", admin, CONTRACT, **headers).json()
    api.put(f"/api/contracts/{contract['id']}/", admin, {"value": 55000, "title": "MSA v2"},
            **headers)
    api.delete(f"/api/contracts/{contract['id']}/", admin, **headers)
    api.post("/api/roles/", admin, {"name": "Legal", "permissions": ["view_contracts"]},
             **headers)
    r = api.put(f"/api/admin/users/{acme.users['viewer'].pk}/roles/", admin,
                {"roles": ["viewer", "legal"]}, **headers)
    assert r.status_code == 200, r.content
    login = api.post("/api/auth/login/", body={"email": "user@acme.test", "password": PASSWORD},
                     **headers).json()
    api.post("/api/auth/logout/", login["access"], **headers)

    entries = rows(acme, metadata__request_id="req-audit-1")
    got = [(e.entity_type, e.action) for e in entries]
    assert got == [
        ("contract", "created"), ("contract", "updated"), ("contract", "deleted"),
        ("role", "created"), ("user", "role_changed"), ("user", "login"), ("user", "logout"),
    ]
    for entry in entries:
        assert entry.metadata == {"ip_address": "203.0.113.9", "user_agent": "AuditProbe/1.0",
                                  "request_id": "req-audit-1"}
    created, updated = entries[0], entries[1]
    assert created.performed_by_id == acme.users["admin"].pk
    assert created.performer_email == "admin@acme.test"
    assert created.changes["title"] == {"old": None, "new": "Service Agreement"}
    assert updated.changes == {"value": {"old": 50000.0, "new": 55000.0},
                               "title": {"old": "Service Agreement", "new": "MSA v2"}}
    assert entries[4].changes == {"roles": {"old": ["viewer"], "new": ["legal", "viewer"]}}


def test_a_rolled_back_change_leaves_no_audit_row(acme):
    before = len(rows(acme))
    with schema_context(acme.schema), pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=acme.users["admin"], entity_type="contract", entity_id="x",
                     action="created")
        raise RuntimeError("business rule failed after the audit row")
    assert len(rows(acme)) == before


# --- append-only ------------------------------------------------------------------------------

@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditlog SET action = 'deleted'",
    "DELETE FROM audit_auditlog",
    "TRUNCATE audit_auditlog",
])
def test_the_database_refuses_to_change_or_remove_audit_rows(acme, sql):
    assert rows(acme), "the fixture tenant has audit rows"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw_sql(acme, sql)


def test_the_orm_cannot_edit_or_delete_rows_either(acme):
    entry = rows(acme)[0]
    with schema_context(acme.schema):
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditLog.objects.filter(pk=entry.pk).update(action="approved")
        with pytest.raises(DatabaseError), transaction.atomic():
            entry.delete()
    assert rows(acme, pk=entry.pk)[0].action == entry.action


# --- hash chain -------------------------------------------------------------------------------

def test_rows_are_numbered_and_chained_by_the_database(api, acme):
    create_contract(api, acme)
    create_contract(api, acme)
    chain = rows(acme)
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert chain[0].prev_hash == ""
    for previous, entry in zip(chain, chain[1:], strict=False):
        assert entry.prev_hash == previous.hash and len(entry.hash) == 64
    # The instance returned by audit_record already carries what the trigger set.
    with schema_context(acme.schema):
        entry = audit_record(actor=None, entity_type="webhook", entity_id="e", action="updated")
    assert entry.seq == chain[-1].seq + 1 and entry.prev_hash == chain[-1].hash


def test_verify_reports_an_intact_chain(api, acme):
    create_contract(api, acme)
    r = api.get("/api/audit-logs/verify/", acme.token())
    assert r.status_code == 200
    assert r.json() == {"valid": True, "checked": len(rows(acme)), "first_bad_id": None}


def tamper(world, sql, params=()):
    """Changes history behind the append-only trigger's back, as a DBA with rights could."""
    raw_sql(world, "ALTER TABLE audit_auditlog DISABLE TRIGGER audit_append_only")
    raw_sql(world, sql, params)
    raw_sql(world, "ALTER TABLE audit_auditlog ENABLE TRIGGER audit_append_only")


def test_verify_detects_an_edited_row(api, acme):
    contract = create_contract(api, acme)
    create_contract(api, acme)
    target = rows(acme, entity_id=contract["id"])[0]
    tamper(acme, "UPDATE audit_auditlog SET changes = '{}' WHERE id = %s", [target.pk])
    body = api.get("/api/audit-logs/verify/", acme.token()).json()
    assert body == {"valid": False, "checked": len(rows(acme)), "first_bad_id": str(target.pk)}


def test_verify_detects_a_rewritten_hash_by_the_broken_link(api, acme):
    """Recomputing a forged row's own hash still breaks the next row's link."""
    contract = create_contract(api, acme)
    create_contract(api, acme)
    target = rows(acme, entity_id=contract["id"])[0]
    following = rows(acme, seq=target.seq + 1)[0]
    tamper(acme, "UPDATE audit_auditlog SET performer_email = 'someone@else.test' WHERE id = %s",
           [target.pk])
    tamper(acme, f"UPDATE audit_auditlog r SET hash = {ROW_HASH_SQL.format(r='r')} "
                 "WHERE id = %s", [target.pk])
    body = api.get("/api/audit-logs/verify/", acme.token()).json()
    assert body["valid"] is False and body["first_bad_id"] == str(following.pk)


def test_verify_detects_a_deleted_row(api, acme):
    contract = create_contract(api, acme)
    create_contract(api, acme)
    target = rows(acme, entity_id=contract["id"])[0]
    following = rows(acme, seq=target.seq + 1)[0]
    tamper(acme, "DELETE FROM audit_auditlog WHERE id = %s", [target.pk])
    body = api.get("/api/audit-logs/verify/", acme.token()).json()
    assert body["valid"] is False and body["first_bad_id"] == str(following.pk)


def test_the_installed_trigger_hashes_what_the_verifier_checks(acme):
    with schema_context(acme.schema), connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_functiondef('audit_chain_link'::regproc)")
        source = cursor.fetchone()[0]
    assert ROW_HASH_SQL.format(r="NEW") in source


def _insert_from_another_connection(world, outcome: dict):
    try:
        with schema_context(world.schema), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            audit_record(actor=None, entity_type="probe", entity_id="p", action="created")
            transaction.set_rollback(True)
        outcome["result"] = "inserted"
    except DatabaseError as exc:
        outcome["result"] = type(exc.__cause__).__name__
    finally:
        connections.close_all()


def test_writers_to_one_tenant_chain_are_serialised_and_other_tenants_are_not(acme, globex):
    with schema_context(acme.schema):
        audit_record(actor=None, entity_type="probe", entity_id="p", action="created")
    # This test's open transaction now holds acme's chain lock.
    same, other = {}, {}
    for world, outcome in ((acme, same), (globex, other)):
        thread = threading.Thread(target=_insert_from_another_connection, args=(world, outcome))
        thread.start()
        thread.join(10)
    assert same["result"] == "LockNotAvailable"
    assert other["result"] == "inserted"


# --- list -------------------------------------------------------------------------------------

def test_list_has_the_reference_shape_newest_first(api, acme):
    contract = create_contract(api, acme)
    r = api.get("/api/audit-logs/?limit=1", acme.token("manager"))
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == len(rows(acme)) and body["next"] and body["previous"] is None
    (entry,) = body["results"]
    assert set(entry) == {"id", "entity_type", "entity_id", "action", "performed_by",
                          "performer_email", "changes", "metadata", "created_at"}
    assert entry["entity_id"] == contract["id"] and entry["action"] == "created"
    assert entry["performed_by"] == str(acme.users["admin"].pk)


def test_list_filters(api, acme):
    first = create_contract(api, acme)
    second = create_contract(api, acme, role="manager")
    api.put(f"/api/contracts/{first['id']}/", acme.token(), {"value": 1})
    token = acme.token()

    def ids(query):
        r = api.get(f"/api/audit-logs/?limit=100&{query}", token)
        assert r.status_code == 200, r.content
        return [(e["entity_id"], e["action"]) for e in r.json()["results"]]

    assert ids("entity_type=contract&action=updated") == [(first["id"], "updated")]
    assert ids(f"entity_id={first['id']}") == [(first["id"], "updated"), (first["id"], "created")]
    assert ids(f"entity_type=contract&performed_by={acme.users['manager'].pk}") == [
        (second["id"], "created")]
    today = timezone.now().date()
    assert len(ids(f"entity_type=contract&start_date={today}&end_date={today}")) == 3
    assert ids(f"entity_type=contract&end_date={today - timedelta(days=1)}") == []
    assert ids(f"entity_type=contract&start_date={today + timedelta(days=1)}") == []
    later = (timezone.now() + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    assert len(ids(f"entity_type=contract&end_date={later}")) == 3


@pytest.mark.parametrize(("query", "field"), [
    ("start_date=yesterday", "start_date"),
    ("end_date=2026-13-01", "end_date"),
    ("performed_by=nope", "performed_by"),
    ("limit=101", "limit"),
    ("sort=action", "sort"),
])
def test_list_bad_filters_are_400(api, acme, query, field):
    r = api.get(f"/api/audit-logs/?{query}", acme.token())
    assert field in assert_error(r, 400, "Invalid input")["details"]


@pytest.mark.parametrize("path", ["", "stats/", "verify/", "export/"])
def test_audit_endpoints_need_view_audit_logs(api, acme, path):
    assert_error(api.get(f"/api/audit-logs/{path}", acme.token("user")), 403, "Permission denied")
    assert_error(api.get(f"/api/audit-logs/{path}", acme.token("viewer")), 403)
    assert_error(api.get(f"/api/audit-logs/{path}"), 401, "Authentication required")


def test_a_tenant_sees_only_its_own_log(api, acme, globex):
    contract = create_contract(api, acme)
    r = api.get(f"/api/audit-logs/?entity_id={contract['id']}", globex.token())
    assert r.json()["count"] == 0
    assert api.get("/api/audit-logs/", globex.token()).json()["count"] == len(rows(globex))


def test_list_query_count_does_not_grow_with_rows(api, acme):
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/audit-logs/?limit=100", acme.token()).status_code == 200
        return len(ctx.captured_queries)

    create_contract(api, acme)
    small = count_queries()
    for _ in range(8):
        create_contract(api, acme)
    assert count_queries() == small


# --- stats ------------------------------------------------------------------------------------

def test_stats_count_in_the_window(api, acme):
    before = api.get("/api/audit-logs/stats/?days=7", acme.token()).json()
    contract = create_contract(api, acme, role="manager")
    api.put(f"/api/contracts/{contract['id']}/", acme.token("manager"), {"value": 2})
    with schema_context(acme.schema):
        # Too old for a 7-day window.
        AuditLog.objects.create(entity_type="template", entity_id="t", action="created",
                                created_at=timezone.now() - timedelta(days=10))
    r = api.get("/api/audit-logs/stats/?days=7", acme.token("manager"))
    assert r.status_code == 200
    body = r.json()
    assert body["total_actions"] == before["total_actions"] + 2
    by_type = before["actions_by_type"]
    assert body["actions_by_type"]["updated"] == by_type.get("updated", 0) + 1
    assert body["actions_by_entity"]["contract"] == before["actions_by_entity"].get(
        "contract", 0) + 2
    assert "template" not in body["actions_by_entity"]
    manager = next(u for u in body["actions_by_user"]
                   if u["user_id"] == str(acme.users["manager"].pk))
    assert manager["email"] == "manager@acme.test" and manager["action_count"] >= 2
    trends = body["daily_trends"]
    assert len(trends) == 7 and trends[0]["date"] == timezone.now().date().isoformat()
    assert sum(d["action_count"] for d in trends) == body["total_actions"]
    assert [d["date"] for d in trends] == sorted((d["date"] for d in trends), reverse=True)


def test_stats_default_window_and_bad_days(api, acme):
    assert len(api.get("/api/audit-logs/stats/", acme.token()).json()["daily_trends"]) == 30
    assert "days" in assert_error(api.get("/api/audit-logs/stats/?days=0", acme.token()),
                                  400)["details"]


def test_stats_query_count_does_not_grow_with_rows(api, acme):
    def count_queries():
        api.get("/api/audit-logs/stats/", acme.token())  # warm: caller in the principal cache
        with CaptureQueriesContext(connection) as ctx:
            api.get("/api/audit-logs/stats/", acme.token())
        return len(ctx.captured_queries)

    small = count_queries()
    for _ in range(5):
        create_contract(api, acme, role="manager")
    assert count_queries() == small


# --- contract history -------------------------------------------------------------------------

def test_contract_history_newest_first(api, acme):
    contract = create_contract(api, acme)
    api.put(f"/api/contracts/{contract['id']}/", acme.token(), {"value": 55000})
    other = create_contract(api, acme)
    r = api.get(f"/api/contracts/{contract['id']}/history/", acme.token("viewer"))
    assert r.status_code == 200
    history = r.json()["history"]
    assert [h["action"] for h in history] == ["updated", "created"]
    assert history[0]["changes"] == {"value": {"old": 50000.0, "new": 55000.0}}
    assert all(h["entity_id"] == contract["id"] for h in history)
    assert set(history[0]) == {"id", "entity_type", "entity_id", "action", "performed_by",
                               "performer_email", "changes", "created_at"}
    assert other["id"] not in {h["entity_id"] for h in history}


def test_contract_history_404_for_unknown_other_tenant_and_deleted(api, acme, globex):
    contract = create_contract(api, acme)
    assert_error(api.get(f"/api/contracts/{contract['id']}/history/", globex.token()), 404,
                 "Resource not found")
    assert_error(api.get(f"/api/contracts/{uuid.uuid4()}/history/", acme.token()), 404)
    api.delete(f"/api/contracts/{contract['id']}/", acme.token())
    assert_error(api.get(f"/api/contracts/{contract['id']}/history/", acme.token()), 404)
    assert_error(api.get(f"/api/contracts/{contract['id']}/history/"), 401)


# --- export -----------------------------------------------------------------------------------

def test_export_streams_the_filtered_log_as_csv(api, acme):
    contract = create_contract(api, acme, title="=HYPERLINK(\"http://evil\")")
    api.put(f"/api/contracts/{contract['id']}/", acme.token(), {"value": 7})
    r = api.get(f"/api/audit-logs/export/?entity_id={contract['id']}", acme.token("manager"))
    assert r.status_code == 200 and r.streaming
    assert r["Content-Type"].startswith("text/csv")
    assert r["Content-Disposition"].startswith('attachment; filename="audit-log-')
    table = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode())))
    assert [row["action"] for row in table] == ["created", "updated"]
    assert table[0]["entity_id"] == contract["id"]
    assert table[0]["performer_email"] == "admin@acme.test"
    assert '"new": "=HYPERLINK' in table[0]["changes"]
    assert len(table[0]["hash"]) == 64 and int(table[1]["seq"]) > int(table[0]["seq"])


def test_export_cells_that_look_like_formulas_are_neutralised(api, acme):
    with schema_context(acme.schema):
        audit_record(actor=None, entity_type="contract", entity_id="=1+1", action="created")
    r = api.get("/api/audit-logs/export/?entity_id==1%2B1", acme.token())
    table = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode())))
    assert table[0]["entity_id"] == "'=1+1"


def test_export_bad_filter_is_400(api, acme):
    r = api.get("/api/audit-logs/export/?start_date=soon", acme.token())
    assert "start_date" in assert_error(r, 400)["details"]
