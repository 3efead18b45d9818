"""The server under test: gunicorn with the product's WSGI app and the benchmark's URLs."""

import contextlib
import os
import socket
import subprocess
import time
import urllib.request

from bench import env

WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(*, workers: int = WORKERS, **extra_env: str):
    """Yields the port of a running server; stops it (its own process group) afterwards."""
    port = free_port()
    log = open(env.RESULTS / "server.log", "ab")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [env.PY, "-m", "gunicorn", "clm_platform.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync",
         "--timeout", "120", "--log-level", "warning"],
        cwd=env.ROOT, env=env.server_env(**extra_env), stdout=log, stderr=log,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "gunicorn did not start; see bench/results/server.log") from exc
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
