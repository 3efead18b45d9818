"""Benchmarks outside the request path: provisioning, migrations, webhooks, SLA scan."""

import json
import subprocess
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench import env, measure, world
from bench.measure import median, pct
from bench.server import gunicorn


def provisioning(cfg) -> dict:
    """Item 4: POST /api/auth/register/ (a new tenant): the product's copy of its template
    schema (tenants/schema_template.py) vs plain migrations vs django-tenants' clone_schema."""
    out: dict = {}
    samples: dict[str, list[float]] = {"template": [], "migrations": [], "clone": []}
    modes = {"template": {},
             "migrations": {"BENCH_PROVISION": "migrations"},
             "clone": {"BENCH_PROVISION": "migrations",
                       "BENCH_CLONE_SCHEMA": world.TEMPLATE_SCHEMA}}
    servers = {}
    import contextlib

    with contextlib.ExitStack() as stack:
        for name, extra in modes.items():
            servers[name] = stack.enter_context(gunicorn(workers=1, **extra))
        for i in range(cfg.registers):
            for name in (modes if i % 2 == 0 else list(reversed(modes))):
                body = {"email": f"reg-{uuid.uuid4().hex[:12]}@bench.example",
                        "password": env.PASSWORD, "full_name": "Bench Register",
                        "organization": f"Reg {uuid.uuid4().hex[:8]}"}
                res = measure.load(servers[name], [measure.post("/api/auth/register/", None,
                                                                body)],
                                   seconds=120, threads=1, max_requests=1)
                if res["errors"]:
                    out.setdefault("errors", []).append(res["statuses"])
                samples[name].extend(res["latencies_ms"])
    for name, values in samples.items():
        out[name] = {"p50_ms": round(median(values), 1), "max_ms": round(max(values), 1),
                     "n": len(values)}
    # The benchmark's own way (template replayed as SQL), for comparison.
    started = time.perf_counter()
    tenants = world.ensure_tenants(
        len(world.bench_tenants("bench-prov")) + 3, prefix="bench-prov", contracts_each=0)
    out["sql_replay_note"] = "bench set-up method: pg_dump of the template replayed"
    out["sql_replay_ms_each"] = round((time.perf_counter() - started) / 3 * 1000, 1)
    out["tenants_after"] = len(tenants)
    return out


def _manage(*args: str, **extra: str) -> float:
    started = time.perf_counter()
    subprocess.run([env.PY, "manage.py", *args], cwd=env.ROOT, env=env.server_env(**extra),
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _forget_probe(schemas: list[str]) -> None:
    with world.connect() as conn:
        for schema in schemas:
            conn.execute(f"DROP TABLE IF EXISTS {schema}.bench_probe_probe")
            conn.execute(f"DELETE FROM {schema}.django_migrations WHERE app = 'bench_probe'")
        conn.execute("DELETE FROM public.django_migrations WHERE app = 'bench_probe'")


def migrations(cfg) -> dict:
    """Item 5: migrate_schemas over N tenants, no-op and one new migration, both executors."""
    count = cfg.migration_tenants
    world.use_database(f"t{count}")
    try:
        return _migrations(count)
    finally:
        world.use_database("")


def _migrations(count: int) -> dict:
    tenants = world.ensure_tenants(count)
    schemas = [t.schema_name for t in tenants] + [world.TEMPLATE_SCHEMA]
    out: dict = {"tenants": len(schemas)}
    for executor in ("standard", "multiprocessing"):
        out[f"noop_{executor}_s"] = round(
            _manage("migrate_schemas", f"--executor={executor}", "-v", "0"), 1)
        _forget_probe(schemas)
        out[f"one_new_{executor}_s"] = round(
            _manage("migrate_schemas", f"--executor={executor}", "-v", "0",
                    BENCH_PROBE_APP="1"), 1)
        print(f"bench: migrations {out}", flush=True)
    _forget_probe(schemas)
    return out


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[float, str]] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        now = time.time()
        try:
            stamp = json.loads(body).get("timestamp", "")
        except ValueError:
            stamp = ""
        _Receiver.received.append((now, stamp))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def webhooks(cfg) -> dict:
    """Item 6: events delivered per second by one worker process, event-to-receipt latency."""
    try:
        from core.events.services import event_emit
        from core.webhooks import services as webhook_services
    except ImportError:
        return {"skipped": "webhooks (issue 5) are not in the tree yet"}
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    from core.rbac.access import build_principal
    from core.rbac.permissions import Perm

    tenant = world.ensure_tenants(1, prefix="bench-hook", contracts_each=0)[0]
    user = world.manager_of(tenant)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    actor = build_principal(user, tenant, {"admin": [p.value for p in Perm]})
    with schema_context(tenant.schema_name):
        from core.webhooks.models import Endpoint

        Endpoint.objects.all().delete()
        webhook_services.endpoint_create(actor=actor, url=url, events=["contract.created"])
    connection.set_schema_to_public()
    worker = subprocess.Popen(
        [env.PY, "-m", "dramatiq", "tasks", "--processes", "1", "--threads", "8"],
        cwd=env.ROOT, env=env.server_env(), stdout=subprocess.DEVNULL,
        stderr=open(env.RESULTS / "worker.log", "ab"), start_new_session=True,  # noqa: SIM115
    )
    out: dict = {}
    try:
        time.sleep(3)  # the worker boots Django

        def emit(n: int, pause: float) -> float:
            started = time.time()
            for i in range(n):
                with schema_context(tenant.schema_name), transaction.atomic():
                    event_emit(type="contract.created", data={"id": str(uuid.uuid4()), "n": i})
                if pause:
                    time.sleep(pause)
            connection.set_schema_to_public()
            return started

        def wait_for(n: int, timeout: float) -> None:
            deadline = time.time() + timeout
            while len(_Receiver.received) < n and time.time() < deadline:
                time.sleep(0.05)

        # Throughput: a burst, all emitted at once.
        _Receiver.received = []
        n = cfg.webhook_events
        started = emit(n, 0)
        wait_for(n, 300)
        got = len(_Receiver.received)
        last = max((r[0] for r in _Receiver.received), default=started)
        out["burst_events"] = n
        out["burst_delivered"] = got
        out["events_per_second"] = round(got / (last - started), 1) if got else 0.0
        # Latency: a steady stream of 10 events a second.
        _Receiver.received = []
        m = max(50, n // 5)
        emit(m, 0.1)
        wait_for(m, 120)
        lat = [(t - datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()) * 1000
               for t, s in _Receiver.received if s]
        out["stream_events"] = m
        out["stream_delivered"] = len(lat)
        out["latency_p50_ms"] = round(pct(lat, 50), 1)
        out["latency_p99_ms"] = round(pct(lat, 99), 1)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.shutdown()
    return out


def sla_scan(cfg) -> dict:
    """Item 7: one full SLA scan (every active tenant, one process) over N tenants."""
    try:
        from tasks.sla import sla_scan_tenant
    except ImportError:
        return {"skipped": "the SLA scan (issue 4) is not in the tree yet"}
    from django.utils import timezone

    count = cfg.tenant_counts[-1]
    world.use_database(f"t{count}")
    try:
        world.ensure_tenants(count)
        from tenants import selectors

        schemas = [t.schema_name for t in selectors.tenant_list() if t.is_active]
        now = timezone.now().isoformat()
        started = time.perf_counter()
        for schema in schemas:
            sla_scan_tenant.fn(schema, now)
        took = time.perf_counter() - started
    finally:
        world.use_database("")
    return {"tenants": len(schemas), "scan_s": round(took, 2),
            "ms_per_tenant": round(took / len(schemas) * 1000, 2),
            "note": "tenants without SLA rules or overdue approvals: the scan's floor"}
