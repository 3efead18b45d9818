"""The SLA scan through Dramatiq: a real worker thread on the stub broker, the clock moved by
the `now` argument, and the scheduler's registration of the periodic job."""

from datetime import timedelta

import dramatiq
import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from dramatiq.brokers.stub import StubBroker

from core.sla.models import SLABreach
from tests.api.workflow_support import create_contract, create_workflow, submit
from tests.conftest import ApiClient


def _run_to_completion(actor, *args):
    """Sends one message and lets a real worker thread drain every queue it fans out to."""
    broker = dramatiq.get_broker()
    assert isinstance(broker, StubBroker)
    broker.flush_all()
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=2)
    worker.start()
    try:
        actor.send(*args)
        broker.join(actor.queue_name, fail_fast=True)
        worker.join()
    finally:
        worker.stop()


def _breaches(world):
    with schema_context(world.schema):
        rows = sorted(SLABreach.objects.values_list("breach_type", "status"))
    connection.set_schema_to_public()
    return rows


@pytest.mark.django_db(transaction=True)
def test_the_periodic_job_fans_out_and_records_breaches_once(scratch_world):
    from tasks.sla import sla_scan_all

    world, api = scratch_world, ApiClient()
    assert api.post("/api/admin/sla-rules/", world.token(), {
        "name": "Standard", "response_time": 24, "resolution_time": 72}).status_code == 201
    create_workflow(api, world, steps=[
        {"step_number": 1, "name": "Review", "assigned_to": ["role:manager"]}])
    contract = create_contract(api, world)
    submit(api, world, contract["id"])

    soon = (timezone.now() + timedelta(hours=1)).isoformat()
    _run_to_completion(sla_scan_all, soon)
    assert _breaches(world) == []

    later = (timezone.now() + timedelta(hours=100)).isoformat()
    _run_to_completion(sla_scan_all, later)
    _run_to_completion(sla_scan_all, later)  # a second sweep adds nothing
    assert _breaches(world) == [("resolution_time", "open"), ("response_time", "open")]

    api.post(f"/api/contracts/{contract['id']}/approve/", world.token("manager"))
    assert _breaches(world) == [("resolution_time", "resolved"), ("response_time", "resolved")]


def test_the_worker_knows_every_actor_and_the_scheduler_the_periodic_scan():
    from dramatiq_crontab import scheduler

    import core.sla.tasks  # noqa: F401 - what `manage.py crontab` imports for the sla app

    broker = dramatiq.get_broker()
    for name in ("sla_scan_all", "sla_scan_tenant", "heartbeat"):
        assert broker.get_actor(name)
    jobs = {job.name: job for job in scheduler.get_jobs()}
    assert "sla_scan_all" in jobs
    assert str(jobs["sla_scan_all"].trigger).startswith("cron[")
