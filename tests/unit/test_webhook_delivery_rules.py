"""Webhook rules without a database: target classification, backoff, signatures."""

import base64
import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from standardwebhooks import Webhook

from core.webhooks import guard, services


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1/", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.0.1/", "private"),
    ("http://100.64.0.1/", "private"),
    ("http://[fd12::1]/", "private"),
    ("http://169.254.169.254/", "metadata"),
    ("http://[fd00:ec2::254]/", "metadata"),
    ("http://169.254.10.10/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://0.0.0.0/", "reserved"),
    ("http://224.0.0.1/", "reserved"),
])
def test_non_public_targets_are_refused(settings, url, reason):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(guard.UnsafeTarget, match=reason):
        guard.resolve_safe(url)


def test_settings_open_loopback_or_private_but_never_metadata(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_ALLOW_PRIVATE = False
    assert guard.resolve_safe("http://127.0.0.1:8080/x")[3] == "127.0.0.1"
    with pytest.raises(guard.UnsafeTarget):
        guard.resolve_safe("http://10.0.0.1/")
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert guard.resolve_safe("https://10.0.0.1/")[:3] == ("https", "10.0.0.1", 443)
    with pytest.raises(guard.UnsafeTarget, match="metadata"):
        guard.resolve_safe("http://169.254.169.254/")


def test_public_addresses_pass(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    assert guard.resolve_safe("https://93.184.215.14/hook")[3] == "93.184.215.14"


def test_backoff_grows_exponentially_with_bounded_jitter():
    low, high = random.Random(1), random.Random(2)
    for n in range(1, services.MAX_ATTEMPTS):
        base = services.RETRY_DELAYS[n - 1]
        for rng in (low, high):
            delay = services.retry_delay(n, rng=rng).total_seconds()
            assert base * 0.8 <= delay <= base * 1.2
    assert all(b >= a for a, b in zip(services.RETRY_DELAYS, services.RETRY_DELAYS[1:],
                                      strict=False))
    assert services.RETRY_DELAYS[1] == 3 * services.RETRY_DELAYS[0]
    # About a day from the first attempt to the last.
    assert timedelta(hours=18) < timedelta(seconds=sum(services.RETRY_DELAYS)) < timedelta(
        hours=26)


def test_signature_headers_follow_standard_webhooks():
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    endpoint = SimpleNamespace(secret=secret, previous_secret="", previous_secret_expires_at=None)
    at = datetime.now(UTC)
    body = '{"type":"contract.created","timestamp":"2026-01-12T10:30:00Z","data":{}}'
    headers = services.signature_headers(endpoint, "msg_1", body, at)
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == str(int(at.timestamp()))
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers)["type"] == "contract.created"
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(body.replace("created", "deleted"), headers)
