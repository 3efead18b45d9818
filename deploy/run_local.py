"""Runs the whole service locally (used by `make run`): migrate, seed the demo, serve, stop."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DEMO_EMAIL = "admin@demo.clm.local"
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "Demo-Admin-Pass-2026!")


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def wait_ready(url: str, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def main() -> int:
    os.environ.setdefault("ENVIRONMENT", "dev")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clm_platform.settings")
    port = os.environ.get("PORT", "8000")
    manage("migrate_schemas", "--executor=multiprocessing", "-v", "0")
    manage("seed_demo", "--email", DEMO_EMAIL, "--password", DEMO_PASSWORD)

    commands = {
        "web": [PY, "-m", "gunicorn", "clm_platform.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", os.environ.get("WEB_CONCURRENCY", "2"),
                "--access-logfile", "-", "--graceful-timeout", "10"],
        "worker": [PY, "-m", "dramatiq", "tasks", "--processes", "1", "--threads", "2"],
        # One scheduler sends the periodic jobs (SLA scan); a Redis lock keeps it single.
        "scheduler": [PY, "manage.py", "crontab"],
    }
    children = {name: subprocess.Popen(cmd, cwd=ROOT) for name, cmd in commands.items()}

    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    base = f"http://127.0.0.1:{port}"
    if wait_ready(f"{base}/readyz"):
        print(f"\nCLM Platform is running at {base}")
        print(f"  API docs:   {base}/api/docs")
        print(f"  Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
        print("  Press Ctrl-C to stop.\n", flush=True)
    else:
        print("CLM Platform did not become ready; stopping.", file=sys.stderr)
        stopping = True

    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} exited with {child.returncode}; stopping.", file=sys.stderr)
                exit_code = child.returncode or 1
                stopping = True
        time.sleep(0.5)

    for child in children.values():
        if child.poll() is None:
            child.terminate()
    for child in children.values():
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
    print("CLM Platform stopped.")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
