"""Approvals and the contract actions: submit, approve, reject, withdraw, the two-step flow."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.audit.models import AuditLog
from core.contracts.models import Contract
from core.events.models import Event
from core.workflows.models import Approval, WorkflowInstance
from tests.api.workflow_support import (
    add_legal,
    create_contract,
    create_workflow,
    submit,
    token_for,
)
from tests.conftest import assert_error


def _events(world, type_):
    with schema_context(world.schema):
        return list(Event.objects.filter(type=type_).order_by("created_at"))


def _approvals(world, contract_id):
    with schema_context(world.schema):
        return list(Approval.objects.filter(contract_id=contract_id)
                    .order_by("step_number", "created_at"))


def _pending(api, world, token, user=None):
    """Open approvals the caller sees; with `user`, only those that user may decide."""
    mine = f"&assigned_to={user.pk}" if user else ""
    return api.get(f"/api/approvals/?status=pending{mine}", token).json()["results"]


@pytest.fixture
def legal(api, acme):
    return add_legal(api, acme)


# --- the whole flow -----------------------------------------------------------------------------

def test_two_step_flow_with_a_custom_role_approves_the_contract(api, acme, legal):
    workflow = create_workflow(api, acme)
    contract = create_contract(api, acme, role="user")
    manager, legal_token = acme.token("manager"), token_for(legal)

    r = api.put(f"/api/contracts/{contract['id']}/", acme.token("user"), {"status": "pending"})
    assert r.status_code == 200 and r.json()["status"] == "pending"

    # Step 1 is the managers'; legal sees nothing to decide yet and may not decide it.
    assert _pending(api, acme, legal_token) == []
    [step1] = _pending(api, acme, manager, acme.users["manager"])
    assert step1["contract_id"] == contract["id"]
    assert step1["contract_title"] == "Service Agreement"
    assert (step1["assigned_role"], step1["assigned_to"]) == ("manager", None)
    assert step1["assigned_by"] == str(acme.users["user"].pk)
    assert_error(api.post(f"/api/contracts/{contract['id']}/approve/", legal_token, {}), 403)

    r = api.put(f"/api/approvals/{step1['id']}/", manager,
                {"status": "approved", "comments": "Commercials fine"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "approved" and r.json()["comments"] == "Commercials fine"
    assert r.json()["approved_at"] and r.json()["decided_by"] == str(acme.users["manager"].pk)

    # Step 2 belongs to legal: the manager may not decide it, legal does.
    assert _pending(api, acme, manager, acme.users["manager"]) == []
    [step2] = _pending(api, acme, legal_token)
    assert step2["step_number"] == 2 and step2["assigned_role"] == "legal"
    assert_error(api.post(f"/api/contracts/{contract['id']}/approve/", manager, {}), 403)
    assert api.get(f"/api/contracts/{contract['id']}/", manager).json()["status"] == "pending"

    r = api.post(f"/api/contracts/{contract['id']}/approve/", legal_token,
                 {"reviewed": True, "comments": "Document reviewed and approved for execution"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["id"] == contract["id"] and body["status"] == "approved"
    assert body["is_approved"] is True and body["approved_by"] == str(legal.pk)
    assert body["approved_at"]

    instance = api.get(f"/api/workflows/{workflow['id']}/instances/", manager).json()[0]
    assert instance == {**instance, "status": "approved", "current_step": 2,
                        "steps_completed": 2, "total_steps": 2}
    assert len(_events(acme, "approval.created")) == 2
    assert len(_events(acme, "approval.status_changed")) == 2
    assert [e.data["step_number"] for e in _events(acme, "workflow.instance.step_completed")] \
        == [1, 2]
    [approved] = _events(acme, "contract.approved")
    assert approved.data["id"] == contract["id"] and approved.data["approved_by"] == str(legal.pk)
    with schema_context(acme.schema):
        actions = set(AuditLog.objects.filter(entity_type="approval")
                      .values_list("action", flat=True))
        assert actions == {"created", "approved"}
        log = AuditLog.objects.get(entity_type="contract", entity_id=contract["id"],
                                   action="approved")
        assert log.performer_email == legal.email
        assert log.changes["status"] == {"old": "pending", "new": "approved"}


def test_a_rejection_rejects_the_contract_and_revising_allows_a_new_run(api, acme, legal):
    create_workflow(api, acme)
    contract = create_contract(api, acme)
    submit(api, acme, contract["id"])
    [step1] = _pending(api, acme, acme.token("manager"))
    r = api.post(f"/api/contracts/{contract['id']}/reject/", acme.token("manager"),
                 {"comments": "Liability cap missing"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "rejected" and r.json()["is_approved"] is False
    with schema_context(acme.schema):
        stored = Contract.objects.get(pk=contract["id"])
        assert stored.rejected_at is not None
        assert AuditLog.objects.filter(entity_id=contract["id"], action="rejected").exists()
        assert WorkflowInstance.objects.get(contract_id=contract["id"]).status == "rejected"
    detail = api.get(f"/api/approvals/{step1['id']}/", acme.token()).json()
    assert detail["status"] == "rejected" and detail["comments"] == "Liability cap missing"
    assert detail["approved_at"] is None and detail["decided_at"]
    # A decided approval stays decided.
    assert_error(api.put(f"/api/approvals/{step1['id']}/", acme.token("manager"),
                         {"status": "approved"}), 409)
    assert_error(api.post(f"/api/contracts/{contract['id']}/approve/", acme.token("manager")),
                 409)

    # rejected -> draft (revise), then a fresh submission starts a new instance.
    r = api.put(f"/api/contracts/{contract['id']}/", acme.token(), {"status": "draft",
                                                                    "value": 40000})
    assert r.status_code == 200 and r.json()["status"] == "draft"
    assert submit(api, acme, contract["id"]).json()["status"] == "pending"
    with schema_context(acme.schema):
        runs = WorkflowInstance.objects.filter(contract_id=contract["id"])
        assert sorted(runs.values_list("status", flat=True)) == ["in_progress", "rejected"]
        current = runs.get(status="in_progress")
        assert Contract.objects.get(pk=contract["id"]).workflow_instance_id == current.pk


def test_rejecting_one_of_parallel_approvals_cancels_the_others(api, acme):
    steps = [{"step_number": 1, "name": "Both", "assigned_to": ["role:manager", "role:admin"]}]
    create_workflow(api, acme, steps=steps)
    contract = create_contract(api, acme)
    submit(api, acme, contract["id"])
    mine = [a for a in _pending(api, acme, acme.token("manager"))
            if a["assigned_role"] == "manager"]
    api.put(f"/api/approvals/{mine[0]['id']}/", acme.token("manager"), {"status": "rejected"})
    statuses = {a.assigned_role: a.status for a in _approvals(acme, contract["id"])}
    assert statuses == {"manager": "rejected", "admin": "cancelled"}


def test_every_assignee_of_a_step_must_approve(api, acme):
    manager = acme.users["manager"]
    steps = [
        {"step_number": 1, "name": "Both", "assigned_to": [f"user:{manager.pk}", "role:admin"]},
        {"step_number": 2, "name": "Then", "assigned_to": ["role:admin"]},
    ]
    create_workflow(api, acme, steps=steps)
    contract = create_contract(api, acme)
    submit(api, acme, contract["id"])
    [direct] = _pending(api, acme, acme.token("manager"), manager)
    assert direct["assigned_to"] == str(manager.pk) and direct["assigned_role"] is None
    api.post(f"/api/contracts/{contract['id']}/approve/", acme.token("manager"))
    assert len(_approvals(acme, contract["id"])) == 2  # step 2 not started yet
    api.post(f"/api/contracts/{contract['id']}/approve/", acme.token())
    approvals = _approvals(acme, contract["id"])
    assert [(a.step_number, a.status) for a in approvals] == [
        (1, "approved"), (1, "approved"), (2, "pending")]
    api.post(f"/api/contracts/{contract['id']}/approve/", acme.token())
    assert api.get(f"/api/contracts/{contract['id']}/", acme.token()).json()["status"] \
        == "approved"


def test_steps_that_need_no_approval_complete_on_arrival(api, acme):
    steps = [
        {"step_number": 1, "name": "Notify", "assigned_to": ["role:viewer"],
         "required_approval": False},
        {"step_number": 2, "name": "Approve", "assigned_to": ["role:manager"]},
    ]
    workflow = create_workflow(api, acme, steps=steps)
    contract = create_contract(api, acme)
    submit(api, acme, contract["id"])
    [approval] = _approvals(acme, contract["id"])
    assert approval.step_number == 2
    instance = api.get(f"/api/workflows/{workflow['id']}/instances/", acme.token()).json()[0]
    assert (instance["current_step"], instance["steps_completed"]) == (2, 1)


# --- submit -------------------------------------------------------------------------------------

def test_submit_starts_the_named_workflow_and_answers_with_the_contract(api, acme):
    create_workflow(api, acme, name="Matches", steps=[
        {"step_number": 1, "name": "A", "assigned_to": ["role:manager"]}])
    named = create_workflow(api, acme, name="Named", steps=[
        {"step_number": 1, "name": "A", "assigned_to": ["role:admin"]}])
    contract = create_contract(api, acme, role="user")
    r = submit(api, acme, contract["id"], role="user", workflow_id=named["id"])
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "pending" and r.json()["id"] == contract["id"]
    [approval] = _approvals(acme, contract["id"])
    assert approval.assigned_role == "admin"
    with schema_context(acme.schema):
        assert AuditLog.objects.filter(entity_id=contract["id"], action="updated",
                                       changes__status__new="pending").exists()
        assert Contract.objects.get(pk=contract["id"]).workflow_instance_id == approval.instance_id


def test_submit_picks_the_most_specific_matching_workflow(api, acme):
    create_workflow(api, acme, name="Anything", steps=[
        {"step_number": 1, "name": "A", "assigned_to": ["role:viewer"]}])
    create_workflow(api, acme, name="NDA only", contract_types=["NDA"], steps=[
        {"step_number": 1, "name": "A", "assigned_to": ["role:user"]}])
    create_workflow(api, acme, name="Big MSA", contract_types=["MSA"], min_value=100000,
                    steps=[{"step_number": 1, "name": "A", "assigned_to": ["role:admin"]}])
    create_workflow(api, acme, name="MSA", contract_types=["MSA"], steps=[
        {"step_number": 1, "name": "A", "assigned_to": ["role:manager"]}])
    small = create_contract(api, acme, value=5000)
    big = create_contract(api, acme, value=250000)
    other = create_contract(api, acme, contract_type="SOW")
    for contract in (small, big, other):
        submit(api, acme, contract["id"])
    assert _approvals(acme, small["id"])[0].assigned_role == "manager"
    assert _approvals(acme, big["id"])[0].assigned_role == "admin"
    assert _approvals(acme, other["id"])[0].assigned_role == "viewer"


def test_archived_workflows_never_start(api, acme):
    archived = create_workflow(api, acme, status="archived", steps=[
        {"step_number": 1, "name": "A", "assigned_to": ["role:manager"]}])
    contract = create_contract(api, acme)
    details = assert_error(submit(api, acme, contract["id"], workflow_id=archived["id"]),
                           400, "Invalid input")["details"]
    assert "workflow_id" in details
    assert api.get(f"/api/contracts/{contract['id']}/", acme.token()).json()["status"] == "draft"
    # Not matched either: the contract waits for a direct approval.
    submit(api, acme, contract["id"])
    assert _approvals(acme, contract["id"]) == []


def test_submit_rejects_bad_input_and_wrong_states(api, acme, globex):
    contract = create_contract(api, acme)
    other = create_workflow(api, globex, steps=[
        {"step_number": 1, "name": "A", "assigned_to": ["role:manager"]}])
    assert "workflow_id" in assert_error(
        submit(api, acme, contract["id"], workflow_id=other["id"]), 400)["details"]
    assert "workflow_id" in assert_error(
        submit(api, acme, contract["id"], workflow_id="nope"), 400)["details"]
    submit(api, acme, contract["id"])
    assert_error(submit(api, acme, contract["id"]), 409, "Conflict")


def test_submit_needs_edit_rights_on_the_contract(api, acme):
    contract = create_contract(api, acme, role="manager")
    assert_error(submit(api, acme, contract["id"], role="viewer"), 403, "Permission denied")
    # A `user` may submit only contracts they created.
    assert_error(submit(api, acme, contract["id"], role="user"), 403)
    assert_error(api.post(f"/api/contracts/{contract['id']}/submit/", body={}), 401)


def test_contract_actions_on_another_tenants_contract_are_not_found(api, acme, globex):
    contract = create_contract(api, acme)
    for action in ("submit", "approve", "reject"):
        assert_error(api.post(f"/api/contracts/{contract['id']}/{action}/", globex.token(), {}),
                     404, "Resource not found")
        assert_error(api.post(f"/api/contracts/{uuid.uuid4()}/{action}/", acme.token(), {}), 404)


def test_withdrawing_cancels_the_instance_and_its_approvals(api, acme, legal):
    create_workflow(api, acme)
    contract = create_contract(api, acme)
    submit(api, acme, contract["id"])
    r = api.put(f"/api/contracts/{contract['id']}/", acme.token(), {"status": "draft"})
    assert r.status_code == 200 and r.json()["status"] == "draft"
    assert [a.status for a in _approvals(acme, contract["id"])] == ["cancelled"]
    with schema_context(acme.schema):
        assert WorkflowInstance.objects.get(contract_id=contract["id"]).status == "cancelled"
    assert _pending(api, acme, acme.token("manager")) == []
    assert _events(acme, "approval.status_changed")[-1].data["status"] == "cancelled"


# --- approve/reject without a workflow ----------------------------------------------------------

def test_without_a_workflow_a_holder_of_approve_contracts_approves_directly(api, acme):
    contract = create_contract(api, acme, role="user")
    submit(api, acme, contract["id"], role="user")
    assert_error(api.post(f"/api/contracts/{contract['id']}/approve/", acme.token("user")), 403)
    r = api.post(f"/api/contracts/{contract['id']}/approve/", acme.token("manager"),
                 {"reviewed": True, "comments": "ok"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["status"], body["is_approved"]) == ("approved", True)
    assert body["approved_by"] == str(acme.users["manager"].pk)
    assert len(_events(acme, "contract.approved")) == 1
    with schema_context(acme.schema):
        assert AuditLog.objects.get(entity_id=contract["id"], action="approved") \
            .changes["comments"]["new"] == "ok"


def test_without_a_workflow_reject_needs_approve_contracts_too(api, acme):
    contract = create_contract(api, acme)
    submit(api, acme, contract["id"])
    assert_error(api.post(f"/api/contracts/{contract['id']}/reject/", acme.token("viewer")), 403)
    r = api.post(f"/api/contracts/{contract['id']}/reject/", acme.token())
    assert r.json()["status"] == "rejected"


def test_only_pending_contracts_can_be_decided(api, acme):
    contract = create_contract(api, acme)
    assert_error(api.post(f"/api/contracts/{contract['id']}/approve/", acme.token()), 409)
    assert_error(api.post(f"/api/contracts/{contract['id']}/reject/", acme.token()), 409)
    assert_error(api.post(f"/api/contracts/{contract['id']}/approve/"), 401)
    assert_error(api.post(f"/api/contracts/{contract['id']}/approve/", acme.token(),
                          {"comments": 5}), 400)


def test_approved_and_rejected_are_reached_only_through_approvals(api, acme):
    contract = create_contract(api, acme)
    submit(api, acme, contract["id"])
    details = assert_error(api.put(f"/api/contracts/{contract['id']}/", acme.token(),
                                   {"status": "approved"}), 400)["details"]
    assert "status" in details


# --- approvals API ------------------------------------------------------------------------------

def test_put_approval_validates_input_and_the_assignee(api, acme, legal):
    create_workflow(api, acme)
    contract = create_contract(api, acme)
    submit(api, acme, contract["id"])
    [step1] = _pending(api, acme, acme.token("manager"))
    url = f"/api/approvals/{step1['id']}/"
    details = assert_error(api.put(url, acme.token("manager"), {"status": "maybe"}), 400)
    assert "status" in details["details"]
    assert_error(api.put(url, acme.token("manager"), {}), 400)
    # Visible (view_workflows) but not theirs to decide.
    for role in ("viewer", "user", "admin"):
        assert_error(api.put(url, acme.token(role), {"status": "approved"}), 403,
                     "Permission denied")
    assert_error(api.put(url, body={"status": "approved"}), 401)
    assert api.put(url, acme.token("manager"), {"status": "approved"}).status_code == 200
    assert_error(api.put(url, acme.token("manager"), {"status": "rejected"}), 409)
    with schema_context(acme.schema):
        assert AuditLog.objects.get(entity_id=step1["id"], action="approved") \
            .changes["status"] == {"old": "pending", "new": "approved"}


def test_approval_detail_and_another_tenant(api, acme, globex, legal):
    create_workflow(api, acme)
    contract = create_contract(api, acme)
    submit(api, acme, contract["id"])
    [step1] = _pending(api, acme, acme.token("manager"))
    url = f"/api/approvals/{step1['id']}/"
    body = api.get(url, acme.token("viewer")).json()
    assert body == {**body, "id": step1["id"], "contract_title": "Service Agreement",
                    "status": "pending", "comments": None, "approved_at": None,
                    "due_date": None}
    assert_error(api.get(url, globex.token()), 404, "Resource not found")
    assert_error(api.put(url, globex.token(), {"status": "approved"}), 404)
    assert_error(api.get(f"/api/approvals/{uuid.uuid4()}/", acme.token()), 404)
    assert_error(api.get(url), 401)
    # A custom role without view_workflows sees only what it may decide.
    assert_error(api.get(url, token_for(legal)), 404)
    assert api.get("/api/approvals/", globex.token()).json()["count"] == 0


def test_list_is_scoped_and_filtered(api, acme, legal):
    create_workflow(api, acme)
    first = create_contract(api, acme, title="First")
    second = create_contract(api, acme, title="Second")
    submit(api, acme, first["id"])
    submit(api, acme, second["id"])
    api.post(f"/api/contracts/{first['id']}/approve/", acme.token("manager"))
    manager = acme.users["manager"].pk

    # The admin (manage_workflows) sees every approval; a plain user sees none of them.
    everything = api.get("/api/approvals/", acme.token()).json()
    assert everything["count"] == 3
    assert api.get("/api/approvals/", acme.token("user")).json()["count"] == 0
    assert {a["contract_title"] for a in
            api.get("/api/approvals/", token_for(legal)).json()["results"]} == {"First"}
    pending = api.get("/api/approvals/?status=pending", acme.token()).json()["results"]
    assert sorted((a["contract_title"], a["step_number"]) for a in pending) == [
        ("First", 2), ("Second", 1)]
    of_manager = api.get(f"/api/approvals/?assigned_to={manager}", acme.token()).json()
    assert {a["step_number"] for a in of_manager["results"]} == {1}
    assert of_manager["count"] == 2
    of_legal = api.get(f"/api/approvals/?assigned_to={legal.pk}&status=pending",
                       acme.token()).json()
    assert [a["contract_title"] for a in of_legal["results"]] == ["First"]
    page = api.get("/api/approvals/?limit=1&sort=created_at", acme.token()).json()
    assert len(page["results"]) == 1 and "offset=1" in page["next"]
    assert_error(api.get("/api/approvals/?status=open", acme.token()), 400)
    assert_error(api.get("/api/approvals/?assigned_to=nope", acme.token()), 400)
    assert_error(api.get("/api/approvals/?sort=contract", acme.token()), 400)
    assert_error(api.get("/api/approvals/"), 401)


def _query_count(api, path, token) -> int:
    api.get(path, token)  # warm the per-process tenant cache
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(path, token).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_rows(api, acme):
    create_workflow(api, acme, steps=[
        {"step_number": 1, "name": "A", "assigned_to": ["role:manager"]}])
    for n in range(2):
        submit(api, acme, create_contract(api, acme, title=f"C{n}")["id"])
    token = acme.token("manager")
    few = _query_count(api, "/api/approvals/", token)
    for n in range(8):
        submit(api, acme, create_contract(api, acme, title=f"More {n}")["id"])
    assert api.get("/api/approvals/", token).json()["count"] == 10
    assert _query_count(api, "/api/approvals/", token) == few
