"""Concurrent decisions over real parallel connections: a step advances exactly once."""

import threading

import pytest
from django.db import connection, connections
from django_tenants.utils import schema_context

from core.events.models import Event
from core.workflows.models import Approval, WorkflowInstance
from tests.api.workflow_support import create_contract, create_workflow, submit
from tests.conftest import ApiClient

THREADS = 8


def _in_parallel(calls):
    """Runs each call on its own thread (hence its own database connection), all released
    together by a barrier; returns their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _run(world, contract_id):
    with schema_context(world.schema):
        instance = WorkflowInstance.objects.get(contract_id=contract_id)
        approvals = list(Approval.objects.filter(contract_id=contract_id)
                         .order_by("step_number").values_list("step_number", "status"))
        completed = Event.objects.filter(type="workflow.instance.step_completed",
                                         data__contract_id=str(contract_id)).count()
    connection.set_schema_to_public()
    return instance, approvals, completed


@pytest.mark.django_db(transaction=True)
def test_many_simultaneous_decisions_on_one_approval_advance_the_step_once(scratch_world):
    world, api = scratch_world, ApiClient()
    create_workflow(api, world, steps=[
        {"step_number": 1, "name": "Review", "assigned_to": ["role:manager"]},
        {"step_number": 2, "name": "Sign-off", "assigned_to": ["role:admin"]},
    ])
    contract = create_contract(api, world)
    submit(api, world, contract["id"])
    with schema_context(world.schema):
        approval_id = Approval.objects.get(contract_id=contract["id"]).pk
    connection.set_schema_to_public()
    token = world.token("manager")

    def decide():
        return ApiClient().put(f"/api/approvals/{approval_id}/", token,
                               {"status": "approved"}).status_code

    codes = _in_parallel([decide] * THREADS)
    assert sorted(codes) == [200] + [409] * (THREADS - 1)
    instance, approvals, completed = _run(world, contract["id"])
    assert (instance.current_step, instance.steps_completed) == (2, 1)
    assert approvals == [(1, "approved"), (2, "pending")]
    assert completed == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_assignees_deciding_at_once_complete_the_step_once(scratch_world):
    world, api = scratch_world, ApiClient()
    users = [world.users[role] for role in ("admin", "manager", "user", "viewer")]
    create_workflow(api, world, steps=[
        {"step_number": 1, "name": "Everyone", "assigned_to": [f"user:{u.pk}" for u in users]},
        {"step_number": 2, "name": "Sign-off", "assigned_to": ["role:admin"]},
    ])
    contract = create_contract(api, world)
    submit(api, world, contract["id"])

    def approve_as(role):
        token = world.token(role)
        return lambda: ApiClient().post(f"/api/contracts/{contract['id']}/approve/",
                                        token, {}).status_code

    codes = _in_parallel([approve_as(r) for r in ("admin", "manager", "user", "viewer")])
    assert codes == [200] * 4
    instance, approvals, completed = _run(world, contract["id"])
    assert (instance.current_step, instance.steps_completed) == (2, 1)
    assert approvals == [(1, "approved")] * 4 + [(2, "pending")]
    assert completed == 1
