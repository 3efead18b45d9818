"""Load generator, run as its own process: threads, each with http.client, for a fixed time.

    python -m bench.loadgen < spec.json > result.json

spec: {"port": int, "threads": int, "seconds": float, "max_requests": int,
       "requests": [{"method", "path", "headers", "body"}...]}  (taken round-robin)
result: {"ok": int, "errors": int, "statuses": {...}, "elapsed": float, "rps": float,
         "latencies_ms": [...], "headers": {first response's X-Bench-* headers}}

gunicorn's sync workers close the connection after each response, so every request opens
a new one, as a client of the real deployment behind a proxy would not; both sides of every
comparison pay the same.
"""

import http.client
import itertools
import json
import sys
import threading
import time


def run(spec: dict) -> dict:
    port = spec["port"]
    requests = spec["requests"]
    deadline_seconds = float(spec.get("seconds", 5))
    max_requests = int(spec.get("max_requests", 10**9))
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    sample_headers: dict[str, list] = {}
    start = time.perf_counter()
    deadline = start + deadline_seconds

    def worker():
        local_lat, local_status, local_headers = [], {}, {}
        while True:
            n = next(counter)
            if n >= max_requests or time.perf_counter() >= deadline:
                break
            req = requests[n % len(requests)]
            body = req.get("body")
            data = json.dumps(body).encode() if body is not None else None
            headers = dict(req.get("headers") or {})
            if data is not None:
                headers["Content-Type"] = "application/json"
            t0 = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request(req.get("method", "GET"), req["path"], body=data, headers=headers)
                resp = conn.getresponse()
                resp.read()
                status = str(resp.status)
                for name, value in resp.getheaders():
                    if name.lower().startswith("x-bench-"):
                        local_headers.setdefault(name.lower(), []).append(int(value))
                conn.close()
            except OSError as exc:
                status = type(exc).__name__
            local_lat.append((time.perf_counter() - t0) * 1000)
            local_status[status] = local_status.get(status, 0) + 1
        with lock:
            latencies.extend(local_lat)
            for k, v in local_status.items():
                statuses[k] = statuses.get(k, 0) + v
            for k, v in local_headers.items():
                sample_headers.setdefault(k, []).extend(v)

    threads = [threading.Thread(target=worker) for _ in range(int(spec.get("threads", 2)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    ok = sum(v for k, v in statuses.items() if k.startswith("2"))
    return {
        "ok": ok,
        "errors": sum(statuses.values()) - ok,
        "statuses": statuses,
        "elapsed": elapsed,
        "rps": ok / elapsed if elapsed else 0.0,
        "latencies_ms": latencies,
        "headers": sample_headers,
    }


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
