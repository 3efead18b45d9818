"""Running the load generator in its own process and summarising what it saw."""

import json
import re
import statistics
import subprocess

from bench import env


def load(port: int, requests: list[dict], *, seconds: float, threads: int = 4,
         max_requests: int | None = None) -> dict:
    spec = {"port": port, "requests": requests, "seconds": seconds, "threads": threads}
    if max_requests:
        spec["max_requests"] = max_requests
    out = subprocess.run(
        [env.PY, "-m", "bench.loadgen"], input=json.dumps(spec), capture_output=True,
        text=True, check=True, cwd=env.ROOT, env=env.server_env(),
    ).stdout
    return json.loads(out)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(result: dict) -> dict:
    lat = result["latencies_ms"]
    return {
        "rps": round(result["rps"], 1),
        "p50_ms": round(pct(lat, 50), 2),
        "p99_ms": round(pct(lat, 99), 2),
        "requests": len(lat),
        "errors": result["errors"],
        "statuses": result["statuses"],
    }


def median(values) -> float:
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")


def get(path: str, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return {"method": "GET", "path": path, "headers": headers}


def post(path: str, token: str | None, body) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return {"method": "POST", "path": path, "headers": headers, "body": body}


def loadgen(port: int, requests: list[dict], *, seconds: float, threads: int) -> dict:
    return summary(load(port, requests, seconds=seconds, threads=threads))


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(port: int, requests: list[dict], *, seconds: float, threads: int) -> dict:
    """The same load from wrk (C; `threads` connections), for one GET request; wrk reports
    percentiles, not each latency."""
    (request,) = requests
    command = ["wrk", f"-t{min(threads, 2)}", f"-c{threads}", f"-d{max(1, round(seconds))}s",
               "--latency"]
    for name, value in request["headers"].items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command + [f"http://127.0.0.1:{port}{request['path']}"],
                         capture_output=True, text=True, check=True).stdout

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)$", out, re.M).groups()
        return round(float(value) * _WRK_UNITS[unit], 2)

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), 1),
        "p50_ms": latency("50%"),
        "p99_ms": latency("99%"),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "errors": int(bad.group(1)) if bad else 0,
        "socket_errors": sockets.group(1) if sockets else "",
    }


def interleaved(port: int | dict[str, int], cases: dict[str, list[dict]], *, rounds: int,
                seconds: float, threads: int = 4, runners: dict | None = None) -> dict:
    """Each case for `seconds`, case order alternating every round; medians per case and the
    per-round figures, so ratios can be taken round by round. `port` is the server of every
    case, or each case's own (servers side by side, only one of them loaded at a time).
    `runners` names a case's load generator when it is not ours (`wrk`)."""
    ports = port if isinstance(port, dict) else dict.fromkeys(cases, port)
    runners = runners or {}
    names = list(cases)
    per_round: list[dict] = []
    for r in range(rounds):
        order = names if r % 2 == 0 else list(reversed(names))
        row = {}
        for name in order:
            run = runners.get(name, loadgen)
            row[name] = run(ports[name], cases[name], seconds=seconds, threads=threads)
        per_round.append(row)
    medians = {
        name: {
            key: round(median([row[name][key] for row in per_round]), 2)
            for key in ("rps", "p50_ms", "p99_ms")
        } | {"errors": sum(row[name]["errors"] for row in per_round)}
        for name in names
    }
    return {"medians": medians, "rounds": per_round}
