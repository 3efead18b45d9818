"""Workflows API: CRUD, validation of steps and conditions, instances."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.audit.models import AuditLog
from core.workflows.models import Workflow
from tests.api.workflow_support import (
    TWO_STEPS,
    add_legal,
    create_contract,
    create_workflow,
    submit,
)
from tests.conftest import assert_error


def test_create_returns_the_reference_body_and_writes_audit(api, acme):
    add_legal(api, acme)
    body = create_workflow(api, acme, role="manager")
    assert body["name"] == "Contract Approval Workflow"
    assert body["status"] == "active"
    assert [s["assigned_to"] for s in body["steps"]] == [["role:manager"], ["role:legal"]]
    assert body["steps"][0] == {**TWO_STEPS[0], "due_in_hours": None}
    assert body["created_by"] == str(acme.users["manager"].pk)
    assert body["contract_types"] == [] and body["min_value"] is None
    with schema_context(acme.schema):
        log = AuditLog.objects.get(entity_type="workflow", entity_id=body["id"],
                                   action="created")
        assert log.changes["name"]["new"] == "Contract Approval Workflow"


def test_steps_are_stored_in_order_and_accept_users_of_the_tenant(api, acme):
    manager = acme.users["manager"].pk
    steps = [
        {"step_number": 2, "name": "Final", "assigned_to": ["role:admin"], "due_in_hours": 8},
        {"step_number": 1, "name": "First", "assigned_to": [f"user:{manager}"]},
    ]
    body = create_workflow(api, acme, steps=steps, contract_types=["MSA"], min_value=1000,
                           max_value=90000)
    assert [s["step_number"] for s in body["steps"]] == [1, 2]
    assert body["steps"][0]["required_approval"] is True
    assert body["steps"][1]["due_in_hours"] == 8
    assert (body["contract_types"], body["min_value"], body["max_value"]) == (
        ["MSA"], 1000.0, 90000.0)


def _step(number, *assignees, **extra):
    return {"step_number": number, "name": f"Step {number}", "assigned_to": list(assignees),
            **extra}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"steps": [_step(1, "manager")]}, "steps", None),
        ({"steps": [_step(1, "user:not-a-uuid")]}, "steps", None),
        ({"steps": [_step(1, "role:admin", "role:admin")]}, "steps", "twice"),
        ({"steps": []}, "steps", None),
        ({"steps": [_step(1)]}, "steps", None),
        ({"name": ""}, "name", None),
        ({"status": "paused"}, "status", None),
        ({"steps": [_step(1, "role:manager", required_approval=0)]}, "steps", None),
        ({"min_value": "10"}, "min_value", None),
        ({"contract_types": ["x" * 101]}, "contract_types", None),
    ],
)
def test_create_rejects_bad_input_with_details(api, acme, overrides, field, message):
    """400: the body breaks the OpenAPI schema."""
    body = {"name": "W", "steps": [_step(1, "role:manager")], **overrides}
    details = assert_error(api.post("/api/workflows/", acme.token(), body), 400,
                           "Invalid input")["details"]
    assert any(key == field or key.startswith(f"{field}.") for key in details), details
    if message:
        assert any(message in m for m in details[field]), details


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"steps": [_step(1, "role:manager"), _step(3, "role:admin")]}, "steps", "numbered"),
        ({"steps": [_step(1, "role:manager"), _step(1, "role:admin")]}, "steps", "numbered"),
        ({"steps": [_step(1, "role:legal")]}, "steps", "unknown role 'legal'"),
        ({"steps": [_step(1, f"user:{uuid.uuid4()}")]}, "steps", "unknown user"),
        ({"steps": [_step(1, "role:admin", required_approval=False)]}, "steps",
         "require approval"),
        ({"min_value": 10, "max_value": 5}, "max_value", "at least"),
    ],
)
def test_create_refuses_conflicting_steps_and_values(api, acme, overrides, field, message):
    """409: each field is valid, but they contradict each other or the tenant's data."""
    body = {"name": "W", "steps": [_step(1, "role:manager")], **overrides}
    details = assert_error(api.post("/api/workflows/", acme.token(), body), 409,
                           "Conflict")["details"]
    assert any(message in m for m in details[field]), details


def test_a_user_of_another_tenant_cannot_be_an_assignee(api, acme, globex):
    stranger = globex.users["admin"].pk
    body = {"name": "W", "steps": [_step(1, f"user:{stranger}")]}
    details = assert_error(api.post("/api/workflows/", acme.token(), body), 409)["details"]
    assert "unknown user" in details["steps"][0]


@pytest.mark.parametrize("role", ["user", "viewer"])
def test_writes_need_manage_workflows(api, acme, role):
    workflow = create_workflow(api, acme, steps=[_step(1, "role:manager")])
    token = acme.token(role)
    body = {"name": "W", "steps": [_step(1, "role:manager")]}
    assert_error(api.post("/api/workflows/", token, body), 403, "Permission denied")
    assert_error(api.put(f"/api/workflows/{workflow['id']}/", token, {"name": "X"}), 403)
    assert_error(api.delete(f"/api/workflows/{workflow['id']}/", token), 403)
    # Reading needs only view_workflows, which every built-in role has.
    assert api.get(f"/api/workflows/{workflow['id']}/", token).status_code == 200


def test_unauthenticated_calls_get_401(api, acme):
    workflow = create_workflow(api, acme, steps=[_step(1, "role:manager")])
    assert_error(api.get("/api/workflows/"), 401, "Authentication required")
    assert_error(api.get(f"/api/workflows/{workflow['id']}/"), 401)
    assert_error(api.post("/api/workflows/", body={"name": "W"}), 401)


def test_another_tenants_workflow_is_not_found(api, acme, globex):
    workflow_id = create_workflow(api, acme, steps=[_step(1, "role:manager")])["id"]
    token = globex.token()
    assert_error(api.get(f"/api/workflows/{workflow_id}/", token), 404, "Resource not found")
    assert_error(api.put(f"/api/workflows/{workflow_id}/", token, {"name": "X"}), 404)
    assert_error(api.delete(f"/api/workflows/{workflow_id}/", token), 404)
    assert_error(api.get(f"/api/workflows/{workflow_id}/instances/", token), 404)
    assert api.get("/api/workflows/", token).json()["count"] == 0
    assert_error(api.get(f"/api/workflows/{uuid.uuid4()}/", acme.token()), 404)


def test_list_filters_by_status_and_paginates(api, acme):
    for n in range(3):
        create_workflow(api, acme, name=f"Active {n}", steps=[_step(1, "role:manager")])
    create_workflow(api, acme, name="Old", status="archived", steps=[_step(1, "role:admin")])
    token = acme.token("viewer")
    page = api.get("/api/workflows/?limit=2", token).json()
    assert page["count"] == 4 and len(page["results"]) == 2
    assert page["next"].startswith("/api/workflows/?") and "offset=2" in page["next"]
    archived = api.get("/api/workflows/?status=archived", token).json()
    assert [w["name"] for w in archived["results"]] == ["Old"]
    by_name = api.get("/api/workflows/?sort=name&status=active", token).json()
    assert [w["name"] for w in by_name["results"]] == ["Active 0", "Active 1", "Active 2"]
    assert_error(api.get("/api/workflows/?status=paused", token), 400)
    assert_error(api.get("/api/workflows/?sort=steps", token), 400)
    assert_error(api.get("/api/workflows/?limit=101", token), 400)


def _query_count(api, path, token) -> int:
    api.get(path, token)  # warm: the caller is then in the principal cache
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(path, token).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_rows(api, acme):
    token = acme.token("viewer")
    for n in range(2):
        create_workflow(api, acme, name=f"W{n}", steps=[_step(1, "role:manager")])
    few = _query_count(api, "/api/workflows/", token)
    for n in range(8):
        create_workflow(api, acme, name=f"More {n}", steps=[_step(1, "role:manager")])
    assert _query_count(api, "/api/workflows/", token) == few


def test_update_changes_fields_and_is_audited(api, acme):
    add_legal(api, acme)
    workflow = create_workflow(api, acme)
    new_steps = [_step(1, "role:admin")]
    r = api.put(f"/api/workflows/{workflow['id']}/", acme.token("manager"),
                {"status": "archived", "steps": new_steps})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "archived" and len(body["steps"]) == 1
    assert body["name"] == workflow["name"]
    with schema_context(acme.schema):
        log = AuditLog.objects.get(entity_id=workflow["id"], action="updated")
        assert log.changes["status"] == {"old": "active", "new": "archived"}
    details = assert_error(api.put(f"/api/workflows/{workflow['id']}/", acme.token(),
                                   {"steps": [_step(2, "role:admin")]}), 409)["details"]
    assert "steps" in details
    details = assert_error(api.put(f"/api/workflows/{workflow['id']}/", acme.token(),
                                   {"min_value": 500, "max_value": 100}), 409)["details"]
    assert "max_value" in details
    details = assert_error(api.put(f"/api/workflows/{workflow['id']}/", acme.token(),
                                   {"status": None, "min_value": None}), 400)["details"]
    assert list(details) == ["status"]


def test_editing_a_workflow_leaves_running_instances_on_their_snapshot(api, acme):
    add_legal(api, acme)
    workflow = create_workflow(api, acme)
    contract = create_contract(api, acme)
    assert submit(api, acme, contract["id"]).status_code == 200
    api.put(f"/api/workflows/{workflow['id']}/", acme.token(),
            {"steps": [_step(1, "role:admin")]})
    instances = api.get(f"/api/workflows/{workflow['id']}/instances/", acme.token()).json()
    assert instances[0]["total_steps"] == 2


def test_delete_is_soft_and_audited_and_stops_matching(api, acme):
    workflow = create_workflow(api, acme, steps=[_step(1, "role:manager")])
    r = api.delete(f"/api/workflows/{workflow['id']}/", acme.token("manager"))
    assert r.status_code == 204
    assert_error(api.get(f"/api/workflows/{workflow['id']}/", acme.token()), 404)
    assert api.get("/api/workflows/", acme.token()).json()["count"] == 0
    with schema_context(acme.schema):
        assert Workflow.objects.get(pk=workflow["id"]).deleted_at is not None
        assert AuditLog.objects.filter(entity_id=workflow["id"], action="deleted").exists()
    contract = create_contract(api, acme)
    assert submit(api, acme, contract["id"]).status_code == 200
    with schema_context(acme.schema):
        assert not Workflow.objects.get(pk=workflow["id"]).instances.exists()


def test_instances_lists_the_runs_of_a_workflow(api, acme):
    add_legal(api, acme)
    workflow = create_workflow(api, acme)
    first = create_contract(api, acme, title="First")
    second = create_contract(api, acme, title="Second")
    submit(api, acme, first["id"])
    submit(api, acme, second["id"])
    api.put(f"/api/contracts/{second['id']}/", acme.token(), {"status": "draft"})
    r = api.get(f"/api/workflows/{workflow['id']}/instances/", acme.token("viewer"))
    assert r.status_code == 200
    rows = r.json()
    assert [row["contract_id"] for row in rows] == [second["id"], first["id"]]
    assert rows[1] == {**rows[1], "workflow": workflow["id"], "status": "in_progress",
                       "current_step": 1, "steps_completed": 0, "total_steps": 2}
    assert rows[0]["status"] == "cancelled"
    running = api.get(f"/api/workflows/{workflow['id']}/instances/?status=in_progress",
                      acme.token()).json()
    assert [row["contract_id"] for row in running] == [first["id"]]
    assert len(api.get(f"/api/workflows/{workflow['id']}/instances/?limit=1",
                       acme.token()).json()) == 1
