"""Webhooks: endpoints API, the transactional outbox, signed delivery to a real receiver,
retries, disabling, redelivery, test pings and the SSRF guard."""

import base64
import json
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dramatiq
import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from dramatiq.errors import ConnectionClosed
from standardwebhooks import Webhook

from clm_platform.broker import DjangoConnections, broker
from core.audit.models import AuditLog
from core.contracts import services as contract_services
from core.webhooks import services
from core.webhooks.models import Delivery, Endpoint
from tasks.webhooks import webhook_sweep_all
from tests.conftest import assert_error

CONTRACT = {"title": "Service Agreement", "contract_type": "MSA", "value": 50000,
            "counterparty": "Initech"}


# --- a real receiver on loopback --------------------------------------------------------------

class Receiver:
    """An HTTP server that records what it receives and answers with scripted statuses."""

    def __init__(self):
        self.received: list[dict] = []
        self.script: list[int] = []
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body.decode()}
                )
                time.sleep(receiver.delay)
                status = receiver.script.pop(0) if receiver.script else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                reply = f"status {status} from receiver".encode()
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks?source=clm"

    def verified(self, secret: str, index: int = -1) -> dict:
        """Verifies a received request exactly as a Standard Webhooks consumer would."""
        request = self.received[index]
        return Webhook(secret).verify(request["body"], request["headers"])

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(autouse=True)
def _empty_broker():
    broker.flush_all()
    yield
    broker.flush_all()


class _ShareTestConnection(dramatiq.Middleware):
    """Lets the worker thread use the test's connection, so it sees the test's uncommitted
    rows (the test transaction still rolls everything back), as LiveServerTestCase does."""

    def __init__(self, conn):
        self.conn = conn

    def after_worker_thread_boot(self, broker, thread):
        connections[self.conn.alias] = self.conn


def run_worker():
    """Processes everything on the webhooks queue with a real dramatiq Worker thread.

    The broker's DjangoConnections middleware is set aside meanwhile: it closes the thread's
    connections, which here is the test's own, mid-transaction.
    """
    conn = connections["default"]
    middleware = _ShareTestConnection(conn)
    hygiene = [m for m in broker.middleware if isinstance(m, DjangoConnections)]
    for m in hygiene:
        broker.middleware.remove(m)
    broker.add_middleware(middleware)
    conn.inc_thread_sharing()
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        broker.join("webhooks", timeout=20_000)
        worker.join()
    finally:
        worker.stop()
        conn.dec_thread_sharing()
        broker.middleware.remove(middleware)
        broker.middleware.extend(hygiene)
        connection.set_schema_to_public()


def queued() -> int:
    return broker.queues["webhooks"].qsize() if "webhooks" in broker.queues else 0


# --- helpers ----------------------------------------------------------------------------------

def create_endpoint(api, world, url, events=("contract.created",), **extra):
    r = api.post("/api/webhooks/", world.token(), {"url": url, "events": list(events), **extra})
    assert r.status_code == 201, r.content
    return r.json()


def deliveries(world, **filters):
    with schema_context(world.schema):
        return list(Delivery.objects.filter(**filters).order_by("created_at"))


def principal(world, role="admin"):
    from core.rbac.access import build_principal
    from core.rbac.selectors import user_with_role_permissions

    with schema_context(world.schema):
        user, role_permissions = user_with_role_permissions(user_id=world.users[role].pk)
    return build_principal(user, world.tenant, role_permissions)


def create_contract_committed(world, django_capture_on_commit_callbacks, **fields):
    """A contract created through its service, with on-commit hooks run as at a real commit."""
    with django_capture_on_commit_callbacks(execute=True), schema_context(world.schema):
        return contract_services.contract_create(actor=principal(world),
                                                 data={**CONTRACT, **fields})


def attempt(world, delivery, now):
    with schema_context(world.schema):
        return services.delivery_attempt(delivery_id=delivery.pk, now=now)


# --- endpoints API ----------------------------------------------------------------------------

def test_create_shows_the_secret_once(api, acme, receiver):
    body = create_endpoint(api, acme, receiver.url, events=["contract.created", "contract.updated"],
                           description="ERP sync")
    assert body["secret"].startswith("whsec_")
    assert len(base64.b64decode(body["secret"].removeprefix("whsec_"))) == 32
    assert body["events"] == ["contract.created", "contract.updated"]
    assert body["is_active"] is True and body["description"] == "ERP sync"
    shown = api.get(f"/api/webhooks/{body['id']}/", acme.token()).json()
    assert "secret" not in shown and shown["url"] == receiver.url
    listed = api.get("/api/webhooks/", acme.token()).json()
    assert [e["id"] for e in listed["results"]] == [body["id"]]
    assert all("secret" not in e for e in listed["results"])
    (entry,) = _audit(acme, body["id"])
    assert entry.action == "created" and "secret" not in json.dumps(entry.changes)


def _audit(world, entity_id):
    with schema_context(world.schema):
        return list(AuditLog.objects.filter(entity_id=entity_id).order_by("seq"))


def test_update_and_delete(api, acme, receiver):
    endpoint = create_endpoint(api, acme, receiver.url)
    r = api.put(f"/api/webhooks/{endpoint['id']}/", acme.token(),
                {"events": ["contract.deleted", "template.published"], "is_active": False})
    assert r.status_code == 200, r.content
    assert r.json()["events"] == ["contract.deleted", "template.published"]
    assert r.json()["is_active"] is False
    assert api.delete(f"/api/webhooks/{endpoint['id']}/", acme.token()).status_code == 204
    assert_error(api.get(f"/api/webhooks/{endpoint['id']}/", acme.token()), 404)
    assert [e.action for e in _audit(acme, endpoint["id"])] == ["created", "updated", "deleted"]


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "http://127.0.0.1:9/x", "events": ["contract.signed"]}, "events"),
    ({"url": "http://127.0.0.1:9/x", "events": []}, "events"),
    ({"url": "http://127.0.0.1:9/x"}, "events"),
    ({"url": "ftp://127.0.0.1/x", "events": ["contract.created"]}, "url"),
    ({"url": "not a url", "events": ["contract.created"]}, "url"),
    ({"url": "http://user:pw@127.0.0.1:9/", "events": ["contract.created"]}, "url"),
])
def test_create_rejects_bad_input(api, acme, body, field):
    r = api.post("/api/webhooks/", acme.token(), body)
    details = assert_error(r, 400, "Invalid input")["details"]
    assert any(key.split(".")[0] == field for key in details), details


@pytest.mark.parametrize(("url", "reason"), [
    ("http://10.1.2.3/hook", "private"),
    ("http://192.168.1.10/hook", "private"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://[fe80::1]/hook", "link-local"),
    ("http://0.0.0.0/hook", "reserved"),
    ("http://no-such-host.invalid/hook", "could not be resolved"),
])
def test_create_refuses_unsafe_targets(api, acme, url, reason):
    # A well-formed URL (the schema's pattern) refused by the SSRF policy: 403, not 400.
    r = api.post("/api/webhooks/", acme.token(), {"url": url, "events": ["contract.created"]})
    assert reason in assert_error(r, 403, "Permission denied")["detail"]


def test_loopback_is_refused_unless_the_setting_allows_it(api, acme, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    for url in ("http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook"):
        r = api.post("/api/webhooks/", acme.token(), {"url": url, "events": ["contract.created"]})
        assert "loopback" in assert_error(r, 403)["detail"]
    r = api.put(f"/api/webhooks/{uuid.uuid4()}/", acme.token(), {"url": "http://127.0.0.1/"})
    assert_error(r, 404)


def test_update_checks_the_new_url(api, acme, receiver):
    endpoint = create_endpoint(api, acme, receiver.url)
    r = api.put(f"/api/webhooks/{endpoint['id']}/", acme.token(), {"url": "http://10.0.0.1/"})
    assert "private" in assert_error(r, 403)["detail"]
    r = api.put(f"/api/webhooks/{endpoint['id']}/", acme.token(), {"events": ["nope"]})
    assert "events.0" in assert_error(r, 400)["details"]


def test_webhooks_need_manage_webhooks(api, acme, receiver):
    endpoint = create_endpoint(api, acme, receiver.url)
    base = f"/api/webhooks/{endpoint['id']}/"
    calls = [("get", "/api/webhooks/"), ("post", "/api/webhooks/"), ("get", base),
             ("put", base), ("delete", base), ("post", f"{base}rotate-secret/"),
             ("get", f"{base}deliveries/"), ("post", f"{base}test/"),
             ("post", f"{base}deliveries/{uuid.uuid4()}/redeliver/")]
    for method, path in calls:
        assert_error(getattr(api, method)(path, acme.token("manager")), 403, "Permission denied")
        assert_error(getattr(api, method)(path), 401, "Authentication required")


def test_another_tenants_endpoint_is_404(api, acme, globex, receiver):
    endpoint = create_endpoint(api, acme, receiver.url)
    base = f"/api/webhooks/{endpoint['id']}/"
    token = globex.token()
    for method, path in [("get", base), ("put", base), ("delete", base),
                         ("post", f"{base}rotate-secret/"), ("get", f"{base}deliveries/"),
                         ("post", f"{base}test/")]:
        assert_error(getattr(api, method)(path, token, **({"body": {}} if method == "put" else {})),
                     404, "Resource not found")
    assert api.get("/api/webhooks/", token).json()["count"] == 0
    assert receiver.received == []


def test_list_query_count_does_not_grow(api, acme, receiver):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/webhooks/", acme.token()).status_code == 200
        return len(ctx.captured_queries)

    create_endpoint(api, acme, receiver.url)
    small = count()
    for _ in range(5):
        create_endpoint(api, acme, receiver.url)
    assert count() == small


# --- outbox -----------------------------------------------------------------------------------

def test_the_event_writes_one_delivery_per_subscribed_active_endpoint(api, acme, globex,
                                                                      receiver):
    wanted = create_endpoint(api, acme, receiver.url, events=["contract.created"])
    create_endpoint(api, acme, receiver.url, events=["contract.updated"])
    off = create_endpoint(api, acme, receiver.url)
    api.put(f"/api/webhooks/{off['id']}/", acme.token(), {"is_active": False})
    create_endpoint(api, globex, receiver.url)
    contract = api.post("/api/contracts/", acme.token(), CONTRACT).json()
    (delivery,) = deliveries(acme)
    assert str(delivery.endpoint_id) == wanted["id"]
    assert delivery.event_type == "contract.created" and delivery.status == "pending"
    body = json.loads(delivery.body)
    assert body["type"] == "contract.created" and body["data"]["id"] == contract["id"]
    assert set(body) == {"type", "timestamp", "data"}
    assert delivery.message_id == f"msg_{delivery.event_id.hex}"
    assert deliveries(globex) == []


def test_a_rolled_back_change_writes_and_sends_nothing(acme, receiver, api,
                                                        django_capture_on_commit_callbacks):
    create_endpoint(api, acme, receiver.url)
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(RuntimeError), schema_context(acme.schema), transaction.atomic()):
        contract_services.contract_create(actor=principal(acme), data=dict(CONTRACT))
        raise RuntimeError("the request failed after the event")
    assert callbacks == [] and queued() == 0
    assert deliveries(acme) == []
    run_worker()
    assert receiver.received == []


def test_the_worker_delivers_after_commit_with_a_verifiable_signature(
        api, acme, receiver, django_capture_on_commit_callbacks):
    endpoint = create_endpoint(api, acme, receiver.url)
    contract = create_contract_committed(acme, django_capture_on_commit_callbacks)
    assert queued() == 1
    run_worker()
    assert len(receiver.received) == 1
    payload = receiver.verified(endpoint["secret"])
    assert payload["type"] == "contract.created"
    assert payload["data"]["id"] == str(contract.pk)
    request = receiver.received[0]
    assert request["path"] == "/hooks?source=clm"
    assert request["headers"]["Content-Type"] == "application/json"
    (delivery,) = deliveries(acme)
    assert request["headers"]["webhook-id"] == delivery.message_id
    assert abs(int(request["headers"]["webhook-timestamp"]) - time.time()) < 60
    assert delivery.status == "succeeded" and delivery.last_status_code == 200
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + base64.b64encode(b"x" * 32).decode()).verify(
            request["body"], request["headers"])


def test_nothing_is_lost_when_the_broker_is_down_at_commit(
        api, acme, receiver, monkeypatch, django_capture_on_commit_callbacks):
    endpoint = create_endpoint(api, acme, receiver.url)

    def broker_down(*args, **kwargs):
        raise ConnectionClosed(OSError("redis is down"))

    with monkeypatch.context() as patch:
        patch.setattr(broker, "enqueue", broker_down)
        # The business change still commits; the delivery waits in the outbox.
        contract = create_contract_committed(acme, django_capture_on_commit_callbacks)
    assert queued() == 0
    (delivery,) = deliveries(acme)
    assert delivery.status == "pending"
    run_worker()
    assert receiver.received == []
    # The sweeper leaves fresh work to the queued task, then takes over.
    with schema_context(acme.schema):
        assert services.deliveries_sweep() == []
        later = timezone.now() + timedelta(minutes=2)
        assert services.deliveries_sweep(now=later) == [delivery.pk]
    run_worker()
    assert receiver.verified(endpoint["secret"])["data"]["id"] == str(contract.pk)
    assert deliveries(acme)[0].status == "succeeded"


def test_the_sweep_actor_fans_out_over_tenants(api, acme, receiver, monkeypatch):
    create_endpoint(api, acme, receiver.url)
    api.post("/api/contracts/", acme.token(), CONTRACT)
    (delivery,) = deliveries(acme)
    with schema_context(acme.schema):
        Delivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now() - timedelta(minutes=5))
    webhook_sweep_all.send()
    run_worker()
    assert len(receiver.received) == 1
    assert deliveries(acme)[0].status == "succeeded"


# --- retries and disabling --------------------------------------------------------------------

def test_retries_after_500s_with_the_same_message_id(api, acme, receiver):
    endpoint = create_endpoint(api, acme, receiver.url)
    api.post("/api/contracts/", acme.token(), CONTRACT)
    (delivery,) = deliveries(acme)
    receiver.script = [500, 503]
    t0 = timezone.now()
    first = attempt(acme, delivery, t0)
    assert first.status == "pending" and first.last_status_code == 500
    delay = first.next_attempt_at - t0
    assert timedelta(seconds=16) <= delay <= timedelta(seconds=24)
    assert attempt(acme, delivery, t0 + timedelta(seconds=5)) is None  # not due yet
    second = attempt(acme, delivery, first.next_attempt_at)
    assert second.last_status_code == 503
    assert second.next_attempt_at - first.next_attempt_at >= timedelta(seconds=48)
    third = attempt(acme, delivery, second.next_attempt_at)
    assert third.status == "succeeded" and third.attempt_count == 3
    ids = {r["headers"]["webhook-id"] for r in receiver.received}
    assert ids == {delivery.message_id} and len(receiver.received) == 3
    receiver.verified(endpoint["secret"])
    log = api.get(f"/api/webhooks/{endpoint['id']}/deliveries/", acme.token()).json()
    (entry,) = log["results"]
    assert [a["status_code"] for a in entry["attempts"]] == [500, 503, 200]
    assert entry["attempts"][0]["response_excerpt"] == "status 500 from receiver"
    assert all(a["duration_ms"] > 0 for a in entry["attempts"])
    assert entry["status"] == "succeeded" and entry["event_type"] == "contract.created"


def test_redirects_are_not_followed_and_count_as_failures(api, acme, receiver):
    create_endpoint(api, acme, receiver.url)
    api.post("/api/contracts/", acme.token(), CONTRACT)
    (delivery,) = deliveries(acme)
    receiver.script = [302]
    result = attempt(acme, delivery, timezone.now())
    assert result.status == "pending" and result.last_status_code == 302
    assert [r["path"] for r in receiver.received] == ["/hooks?source=clm"]


def test_a_slow_receiver_times_out(api, acme, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    create_endpoint(api, acme, receiver.url)
    api.post("/api/contracts/", acme.token(), CONTRACT)
    (delivery,) = deliveries(acme)
    receiver.delay = 1.0
    result = attempt(acme, delivery, timezone.now())
    assert result.status == "pending" and result.last_status_code is None
    with schema_context(acme.schema):
        (logged,) = result.attempts.all()
    assert "Timeout" in logged.error and logged.duration_ms < 1000


def test_410_disables_the_endpoint(api, acme, receiver):
    endpoint = create_endpoint(api, acme, receiver.url)
    api.post("/api/contracts/", acme.token(), CONTRACT)
    (delivery,) = deliveries(acme)
    receiver.script = [410]
    result = attempt(acme, delivery, timezone.now())
    assert result.status == "failed" and result.next_attempt_at is None
    shown = api.get(f"/api/webhooks/{endpoint['id']}/", acme.token()).json()
    assert shown["is_active"] is False and "410" in shown["disabled_reason"]
    assert _audit(acme, endpoint["id"])[-1].changes["is_active"] == {"old": True, "new": False}
    # Disabled: new events are not queued for it.
    api.post("/api/contracts/", acme.token(), CONTRACT)
    assert len(deliveries(acme)) == 1


def test_an_endpoint_failing_a_whole_schedule_is_disabled(api, acme, receiver):
    endpoint = create_endpoint(api, acme, receiver.url)
    api.post("/api/contracts/", acme.token(), CONTRACT)
    (delivery,) = deliveries(acme)
    receiver.script = [500] * services.MAX_ATTEMPTS
    start = now = timezone.now()
    for _ in range(services.MAX_ATTEMPTS):
        result = attempt(acme, delivery, now)
        now = result.next_attempt_at or now
    assert result.status == "failed" and result.attempt_count == services.MAX_ATTEMPTS
    assert len(receiver.received) == services.MAX_ATTEMPTS
    # Exponential backoff spread over about a day.
    assert timedelta(hours=16) < now - start < timedelta(hours=30)
    shown = api.get(f"/api/webhooks/{endpoint['id']}/", acme.token()).json()
    assert shown["is_active"] is False and "full retry schedule" in shown["disabled_reason"]


def test_a_success_in_between_keeps_the_endpoint_enabled(api, acme, receiver):
    endpoint = create_endpoint(api, acme, receiver.url)
    api.post("/api/contracts/", acme.token(), CONTRACT)
    (doomed,) = deliveries(acme)
    receiver.script = [500] * (services.MAX_ATTEMPTS - 1)
    now = timezone.now()
    for _ in range(services.MAX_ATTEMPTS - 1):
        now = attempt(acme, doomed, now).next_attempt_at
    api.post("/api/contracts/", acme.token(), CONTRACT)
    fresh = deliveries(acme, status="pending")[-1]
    assert attempt(acme, fresh, now).status == "succeeded"
    receiver.script = [500]
    assert attempt(acme, doomed, now).status == "failed"
    assert api.get(f"/api/webhooks/{endpoint['id']}/", acme.token()).json()["is_active"]


def test_the_guard_also_applies_at_delivery(api, acme, receiver, settings):
    create_endpoint(api, acme, receiver.url)
    api.post("/api/contracts/", acme.token(), CONTRACT)
    (delivery,) = deliveries(acme)
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    result = attempt(acme, delivery, timezone.now())
    assert result.status == "pending" and receiver.received == []
    with schema_context(acme.schema):
        assert "loopback" in result.attempts.get().error


# --- delivery log, redeliver, test ping, rotation ---------------------------------------------

def test_redeliver_sends_the_same_message_again(api, acme, receiver,
                                                django_capture_on_commit_callbacks):
    endpoint = create_endpoint(api, acme, receiver.url)
    api.post("/api/contracts/", acme.token(), CONTRACT)
    (delivery,) = deliveries(acme)
    attempt(acme, delivery, timezone.now())
    path = f"/api/webhooks/{endpoint['id']}/deliveries/{delivery.pk}/redeliver/"
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(path, acme.token())
    assert r.status_code == 202, r.content
    assert r.json()["status"] == "pending" and r.json()["attempt_count"] == 0
    run_worker()
    assert len(receiver.received) == 2
    assert receiver.received[0]["body"] == receiver.received[1]["body"]
    assert {q["headers"]["webhook-id"] for q in receiver.received} == {delivery.message_id}
    assert _audit(acme, str(delivery.pk))[-1].action == "redelivered"
    assert_error(api.post(f"/api/webhooks/{endpoint['id']}/deliveries/{uuid.uuid4()}/redeliver/",
                          acme.token()), 404)


def test_redeliver_refuses_a_disabled_endpoint(api, acme, receiver):
    endpoint = create_endpoint(api, acme, receiver.url)
    api.post("/api/contracts/", acme.token(), CONTRACT)
    (delivery,) = deliveries(acme)
    api.put(f"/api/webhooks/{endpoint['id']}/", acme.token(), {"is_active": False})
    r = api.post(f"/api/webhooks/{endpoint['id']}/deliveries/{delivery.pk}/redeliver/",
                 acme.token())
    assert_error(r, 409)


def test_the_test_ping_is_signed_and_logged(api, acme, receiver):
    endpoint = create_endpoint(api, acme, receiver.url)
    r = api.post(f"/api/webhooks/{endpoint['id']}/test/", acme.token())
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "succeeded" and body["event_type"] == "webhook.test"
    assert body["attempts"][0]["status_code"] == 200
    payload = receiver.verified(endpoint["secret"])
    assert payload["type"] == "webhook.test"
    assert payload["data"]["endpoint_id"] == endpoint["id"]
    receiver.script = [500]
    failed = api.post(f"/api/webhooks/{endpoint['id']}/test/", acme.token()).json()
    assert failed["status"] == "failed" and failed["attempts"][0]["status_code"] == 500
    log = api.get(f"/api/webhooks/{endpoint['id']}/deliveries/?status=failed", acme.token())
    assert [d["id"] for d in log.json()["results"]] == [failed["id"]]


def test_rotation_signs_with_both_secrets_during_the_grace_period(api, acme, receiver):
    endpoint = create_endpoint(api, acme, receiver.url)
    r = api.post(f"/api/webhooks/{endpoint['id']}/rotate-secret/", acme.token())
    assert r.status_code == 200
    new_secret = r.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != endpoint["secret"]
    api.post(f"/api/webhooks/{endpoint['id']}/test/", acme.token())
    assert len(receiver.received[-1]["headers"]["webhook-signature"].split(" ")) == 2
    receiver.verified(new_secret)
    receiver.verified(endpoint["secret"])
    assert _audit(acme, endpoint["id"])[-1].action == "secret_rotated"
    with schema_context(acme.schema):
        Endpoint.objects.filter(pk=endpoint["id"]).update(
            previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
    api.post(f"/api/webhooks/{endpoint['id']}/test/", acme.token())
    receiver.verified(new_secret)
    with pytest.raises(Exception, match="signature"):
        receiver.verified(endpoint["secret"])


def test_delivery_log_query_count_does_not_grow(api, acme, receiver):
    endpoint = create_endpoint(api, acme, receiver.url)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            r = api.get(f"/api/webhooks/{endpoint['id']}/deliveries/", acme.token())
            assert r.status_code == 200
        return len(ctx.captured_queries)

    api.post(f"/api/webhooks/{endpoint['id']}/test/", acme.token())
    small = count()
    for _ in range(4):
        api.post(f"/api/webhooks/{endpoint['id']}/test/", acme.token())
    assert count() == small
