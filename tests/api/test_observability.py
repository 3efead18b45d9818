"""Error reports reach Sentry with tenant and user tags and no personal data; request log lines."""

import gzip
import json
import logging
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk

from clm_platform.sentry import init_sentry
from tenants import selectors

CLIENT_IP = "198.51.100.7"


def _parse_envelope(raw: bytes) -> list[tuple[dict, bytes]]:
    """[(item header, payload)] of a Sentry envelope."""
    items = []
    _, _, rest = raw.partition(b"\n")
    while rest.strip():
        header_line, _, rest = rest.partition(b"\n")
        header = json.loads(header_line)
        if "length" in header:
            payload, rest = rest[: header["length"]], rest[header["length"] + 1:]
        else:
            payload, _, rest = rest.partition(b"\n")
        items.append((header, payload))
    return items


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        self.server.paths.append(self.path)
        for header, payload in _parse_envelope(raw):
            if header.get("type") == "event":
                self.server.events.append(json.loads(payload))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.events, server.paths = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.dsn = f"http://publickey@127.0.0.1:{server.server_address[1]}/1"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def sentry_on(sentry_receiver):
    assert init_sentry(dsn=sentry_receiver.dsn, environment="test")
    yield sentry_receiver
    sentry_sdk.flush(timeout=5)
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def test_sentry_is_off_without_a_dsn(db):
    assert init_sentry(dsn=None, environment="test") is False
    assert init_sentry(dsn="", environment="test") is False
    assert not sentry_sdk.get_client().is_active()


def test_a_500_is_reported_with_tenant_and_user_tags_and_no_personal_data(
        api, acme, sentry_on, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database exploded")

    monkeypatch.setattr(selectors, "users_of_tenant", broken)
    token = acme.token("manager")
    r = api.get("/api/users/", token, x_forwarded_for=CLIENT_IP)
    assert r.status_code == 500
    assert r.json() == {"error": "Internal server error", "detail": "An unexpected error occurred"}
    sentry_sdk.flush(timeout=5)
    assert set(sentry_on.paths) == {"/api/1/envelope/"}
    # One event: the SDK drops the duplicate of the same exception logged and captured.
    [event] = sentry_on.events
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["tags"]["tenant_id"] == str(acme.tenant.pk)
    assert event["tags"]["user_id"] == str(acme.users["manager"].pk)
    assert event["environment"] == "test"
    # No personal data: no email or IP, and the bearer token never leaves the process.
    dumped = json.dumps(event)
    assert "manager@acme.test" not in dumped
    assert CLIENT_IP not in dumped
    assert token not in dumped
    assert "email" not in event.get("user", {})


def test_settings_initialise_sentry_with_django_and_dramatiq_when_dsn_is_set(sentry_receiver):
    script = (
        "import django, sentry_sdk\n"
        "django.setup()\n"
        "client = sentry_sdk.get_client()\n"
        "assert client.is_active()\n"
        "assert {'django', 'dramatiq'} <= set(client.integrations), client.integrations\n"
        "assert client.options['send_default_pii'] is False\n"
        "sentry_sdk.capture_message('hello from settings')\n"
        "sentry_sdk.flush(timeout=5)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clm_platform.test_settings",
           "SENTRY_DSN": sentry_receiver.dsn}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    [event] = sentry_receiver.events
    assert event["message"] == "hello from settings"
    assert event["environment"] == "test"


def test_one_json_log_line_per_request(api, acme, caplog):
    with caplog.at_level(logging.INFO, logger="clm.request"):
        api.get("/api/users/", acme.token("manager"), x_request_id="req-abc.123")
        api.get("/api/users/")
    lines = [json.loads(rec.getMessage()) for rec in caplog.records if rec.name == "clm.request"]
    assert len(lines) == 2
    ok, anonymous = lines
    assert ok["request_id"] == "req-abc.123"
    assert ok["tenant"] == acme.schema
    assert ok["user"] == str(acme.users["manager"].pk)
    assert (ok["method"], ok["route"], ok["status"]) == ("GET", "api/users/", 200)
    assert ok["duration_ms"] > 0
    assert anonymous["status"] == 401 and anonymous["user"] is None
    assert len(anonymous["request_id"]) == 32
