"""One HTTP POST of a webhook: pinned to the checked address, no redirects, bounded time."""

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

from core.webhooks.guard import UnsafeTarget, resolve_safe

EXCERPT_CHARS = 1000
USER_AGENT = "CLM-Platform-Webhooks/1.0"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: float
    response_excerpt: str = ""
    error: str = ""

    @property
    def success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: str, headers: dict[str, str]) -> Outcome:
    started = time.perf_counter()

    def elapsed() -> float:
        return round((time.perf_counter() - started) * 1000, 2)

    try:
        scheme, host, port, ip = resolve_safe(url)
    except UnsafeTarget as exc:
        return Outcome(None, elapsed(), error=f"Refused: {exc}")
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    limit = settings.WEBHOOK_TIMEOUT_SECONDS
    options = {
        "timeout": urllib3.Timeout(total=limit, connect=min(5.0, limit), read=limit),
        "retries": False,
        "maxsize": 1,
    }
    if scheme == "https":
        # Connect to the checked IP but verify the certificate against the host name.
        pool = urllib3.HTTPSConnectionPool(
            ip, port, server_hostname=host, assert_hostname=host, **options
        )
    else:
        pool = urllib3.HTTPConnectionPool(ip, port, **options)
    request_headers = {
        **headers,
        "Host": parts.netloc,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    try:
        response = pool.urlopen(
            "POST", target, body=body.encode(), headers=request_headers, redirect=False,
            retries=False, preload_content=False, assert_same_host=False,
        )
        try:
            excerpt = response.read(EXCERPT_CHARS * 4, decode_content=True)
        finally:
            response.release_conn()
        return Outcome(
            response.status, elapsed(), excerpt.decode("utf-8", "replace")[:EXCERPT_CHARS]
        )
    except urllib3.exceptions.HTTPError as exc:
        return Outcome(None, elapsed(), error=f"{type(exc).__name__}: {exc}"[:500])
    finally:
        pool.close()
