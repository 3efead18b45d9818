"""SLA admin API (rules CRUD, breaches) and the breach scan, with the clock moved by `now=`."""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core.audit.models import AuditLog
from core.sla import services as sla_services
from core.sla.models import SLABreach
from core.workflows.models import Approval, WorkflowInstance
from tests.api.workflow_support import create_contract, create_workflow, submit
from tests.conftest import assert_error

RULE = {"name": "Standard SLA", "description": "Standard service level agreement",
        "response_time": 24, "resolution_time": 72}
ONE_STEP = [{"step_number": 1, "name": "Review", "assigned_to": ["role:manager"]}]


def create_rule(api, world, **overrides) -> dict:
    r = api.post("/api/admin/sla-rules/", world.token(), {**RULE, **overrides})
    assert r.status_code == 201, r.content
    return r.json()


# --- rules --------------------------------------------------------------------------------------

def test_rules_crud_in_the_reference_shape_with_audit(api, acme):
    rule = create_rule(api, acme)
    assert rule["id"].startswith("sla-")
    assert rule["tenant_id"] == str(acme.tenant.pk)
    assert rule["priority_levels"] == ["Low", "Medium", "High", "Critical"]
    assert (rule["response_time"], rule["resolution_time"]) == (24, 72)
    listed = api.get("/api/admin/sla-rules/", acme.token()).json()
    assert listed == {"sla_rules": [rule]}

    r = api.put(f"/api/admin/sla-rules/{rule['id']}/", acme.token(),
                {"name": "Premium SLA", "response_time": 4, "resolution_time": 24})
    assert r.status_code == 200, r.content
    assert (r.json()["name"], r.json()["response_time"]) == ("Premium SLA", 4)

    assert api.delete(f"/api/admin/sla-rules/{rule['id']}/", acme.token()).status_code == 204
    assert api.get("/api/admin/sla-rules/", acme.token()).json() == {"sla_rules": []}
    with schema_context(acme.schema):
        actions = list(AuditLog.objects.filter(entity_type="sla_rule", entity_id=rule["id"])
                       .order_by("created_at").values_list("action", flat=True))
    assert actions == ["created", "updated", "deleted"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"response_time": 0}, "response_time"),
        ({"response_time": "24"}, "response_time"),
        ({"is_active": 0}, "is_active"),
        ({"name": ""}, "name"),
        ({"response_time": "soon"}, "response_time"),
        ({"priority_levels": ["x" * 51]}, "priority_levels"),
    ],
)
def test_rules_reject_bad_input(api, acme, body, field):
    details = assert_error(api.post("/api/admin/sla-rules/", acme.token(), {**RULE, **body}),
                           400, "Invalid input")["details"]
    assert any(key.split(".")[0] == field for key in details), details


def test_a_resolution_shorter_than_the_response_is_409(api, acme):
    # Each time is valid alone; together they contradict each other (the schema cannot say so).
    r = api.post("/api/admin/sla-rules/", acme.token(), {**RULE, "resolution_time": 12})
    assert "resolution_time" in assert_error(r, 409, "Conflict")["details"]


def test_rule_update_checks_the_merged_times(api, acme):
    rule = create_rule(api, acme)
    details = assert_error(api.put(f"/api/admin/sla-rules/{rule['id']}/", acme.token(),
                                   {"resolution_time": 2}), 409)["details"]
    assert "resolution_time" in details


@pytest.mark.parametrize("role", ["manager", "user", "viewer"])
def test_sla_endpoints_need_manage_sla(api, acme, role):
    rule = create_rule(api, acme)
    token = acme.token(role)
    assert_error(api.get("/api/admin/sla-rules/", token), 403, "Permission denied")
    assert_error(api.post("/api/admin/sla-rules/", token, RULE), 403)
    assert_error(api.put(f"/api/admin/sla-rules/{rule['id']}/", token, {"name": "x"}), 403)
    assert_error(api.delete(f"/api/admin/sla-rules/{rule['id']}/", token), 403)
    assert_error(api.get("/api/admin/sla-breaches/", token), 403)
    assert_error(api.get("/api/admin/sla-breaches/"), 401)
    assert_error(api.get("/api/admin/sla-rules/"), 401)


def test_another_tenants_rule_is_not_found(api, acme, globex):
    rule = create_rule(api, acme)
    assert_error(api.put(f"/api/admin/sla-rules/{rule['id']}/", globex.token(), {"name": "x"}),
                 404, "Resource not found")
    assert_error(api.delete(f"/api/admin/sla-rules/{rule['id']}/", globex.token()), 404)
    assert api.get("/api/admin/sla-rules/", globex.token()).json() == {"sla_rules": []}
    for bad in ("sla-999999", "nope", "sla-x"):
        assert_error(api.delete(f"/api/admin/sla-rules/{bad}/", acme.token()), 404)


# --- due dates and the scan ---------------------------------------------------------------------

def _submitted(api, world, **workflow_overrides):
    create_workflow(api, world, **{"steps": ONE_STEP, **workflow_overrides})
    contract = create_contract(api, world)
    submit(api, world, contract["id"])
    with schema_context(world.schema):
        approval = Approval.objects.get(contract_id=contract["id"])
        instance = WorkflowInstance.objects.get(contract_id=contract["id"])
    return contract, approval, instance


def _scan(world, now):
    with schema_context(world.schema):
        return sla_services.sla_scan(now=now)


def _breaches(api, world, query=""):
    r = api.get(f"/api/admin/sla-breaches/{query}", world.token())
    assert r.status_code == 200, r.content
    return r.json()


def test_due_dates_come_from_the_step_or_else_the_rule(api, acme):
    rule = create_rule(api, acme)
    _, by_rule, instance = _submitted(api, acme)
    assert by_rule.due_at - by_rule.created_at == timedelta(hours=24)
    assert instance.resolution_due_at - instance.created_at == timedelta(hours=72)
    assert f"sla-{by_rule.sla_rule_id}" == rule["id"]
    approval = api.get(f"/api/approvals/{by_rule.pk}/", acme.token()).json()
    assert approval["due_date"] == by_rule.due_at.date().isoformat()

    steps = [{"step_number": 1, "name": "Quick", "assigned_to": ["role:admin"],
              "due_in_hours": 2}]
    _, by_step, _ = _submitted(api, acme, steps=steps, contract_types=["MSA"])
    assert by_step.due_at - by_step.created_at == timedelta(hours=2)


def test_the_strictest_rule_for_the_contract_type_applies(api, acme):
    create_rule(api, acme, name="All", response_time=48, resolution_time=96)
    strict = create_rule(api, acme, name="MSA", response_time=8, resolution_time=40,
                         contract_types=["MSA"])
    create_rule(api, acme, name="NDA", response_time=1, resolution_time=2,
                contract_types=["NDA"])
    _, approval, _ = _submitted(api, acme)
    assert f"sla-{approval.sla_rule_id}" == strict["id"]


def test_scan_records_breaches_once_and_decisions_resolve_them(api, acme):
    create_rule(api, acme)
    contract, approval, instance = _submitted(api, acme)
    start = approval.created_at

    assert _scan(acme, start + timedelta(hours=23)) == 0
    assert _breaches(api, acme) == {"sla_breaches": [], "total": 0}

    assert _scan(acme, start + timedelta(hours=25)) == 1
    assert _scan(acme, start + timedelta(hours=26)) == 0  # never twice for one subject
    [breach] = _breaches(api, acme)["sla_breaches"]
    assert breach == {**breach, "contract_id": contract["id"], "breach_type": "response_time",
                      "status": "open", "resolution_time": None,
                      "sla_rule_id": f"sla-{approval.sla_rule_id}",
                      "subject_id": str(approval.pk)}

    assert _scan(acme, start + timedelta(hours=73)) == 1
    body = _breaches(api, acme)
    assert body["total"] == 2
    assert {b["breach_type"] for b in body["sla_breaches"]} == {"response_time",
                                                                "resolution_time"}
    assert _breaches(api, acme, "?breach_type=resolution_time")["total"] == 1

    api.post(f"/api/contracts/{contract['id']}/approve/", acme.token("manager"))
    resolved = _breaches(api, acme, "?status=resolved")
    assert resolved["total"] == 2
    assert all(b["resolution_time"] for b in resolved["sla_breaches"])
    assert _breaches(api, acme, "?status=open")["total"] == 0
    assert _scan(acme, start + timedelta(hours=200)) == 0


def test_withdrawing_resolves_open_breaches(api, acme):
    create_rule(api, acme)
    contract, approval, _ = _submitted(api, acme)
    _scan(acme, approval.created_at + timedelta(hours=100))
    api.put(f"/api/contracts/{contract['id']}/", acme.token(), {"status": "draft"})
    assert _breaches(api, acme, "?status=open")["total"] == 0


def test_without_a_rule_or_step_deadline_nothing_breaches(api, acme):
    _, approval, instance = _submitted(api, acme)
    assert approval.due_at is None and instance.resolution_due_at is None
    assert _scan(acme, timezone.now() + timedelta(days=365)) == 0


def test_a_contract_without_workflow_still_has_a_resolution_deadline(api, acme):
    create_rule(api, acme, resolution_time=30)
    contract = create_contract(api, acme)
    submit(api, acme, contract["id"])
    assert _scan(acme, timezone.now() + timedelta(hours=31)) == 1
    [breach] = _breaches(api, acme)["sla_breaches"]
    assert breach["breach_type"] == "resolution_time" and breach["contract_id"] == contract["id"]


def test_the_database_refuses_a_second_breach_for_one_subject(api, acme):
    create_rule(api, acme)
    contract, approval, _ = _submitted(api, acme)
    _scan(acme, approval.created_at + timedelta(hours=25))
    with schema_context(acme.schema), pytest.raises(IntegrityError), transaction.atomic():
        SLABreach.objects.create(contract_id=contract["id"], subject_id=approval.pk,
                                 breach_type="response_time", breach_time=timezone.now())


def test_breaches_list_filters_paginates_and_is_per_tenant(api, acme, globex):
    create_rule(api, acme)
    contract, approval, _ = _submitted(api, acme)
    _scan(acme, approval.created_at + timedelta(hours=80))
    page = _breaches(api, acme, "?limit=1")
    assert page["total"] == 2 and len(page["sla_breaches"]) == 1
    assert _breaches(api, acme, f"?contract_id={contract['id']}")["total"] == 2
    assert _breaches(api, acme, f"?contract_id={uuid.uuid4()}")["total"] == 0
    assert _breaches(api, globex) == {"sla_breaches": [], "total": 0}
    assert_error(api.get("/api/admin/sla-breaches/?status=closed", acme.token()), 400)
    assert_error(api.get("/api/admin/sla-breaches/?limit=500", acme.token()), 400)
