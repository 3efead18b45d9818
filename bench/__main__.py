"""`make bench` / `python -m bench [--quick] [--only NAME ...] [--fresh]`: every figure of
issue 8, printed, written to bench/results/latest.json and charted in bench/results/."""

import argparse
import json
import platform
import subprocess
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field

from bench import env


@dataclass
class Config:
    quick: bool
    rounds: int = 7
    seconds: float = 6.0
    tenant_counts: list[int] = field(default_factory=lambda: [1, 100, 1000])
    big_contracts: int = 100_000
    approve_requests: int = 400
    registers: int = 10
    webhook_events: int = 500
    migration_tenants: int = 1000

    @classmethod
    def make(cls, quick: bool) -> "Config":
        if not quick:
            return cls(quick=False)
        return cls(quick=True, rounds=3, seconds=2.0, tenant_counts=[1, 20],
                   big_contracts=20_000, approve_requests=100, registers=3,
                   webhook_events=100, migration_tenants=20)


SUITES = ["overhead", "wrk", "tenants", "data", "provisioning", "migrations", "webhooks", "sla"]


def run_suite(name: str, cfg: Config):
    from bench import http_suites, ops_suites

    return {
        "overhead": http_suites.overhead,
        "wrk": http_suites.wrk_check,
        "tenants": http_suites.tenant_count,
        "data": http_suites.data_size,
        "provisioning": ops_suites.provisioning,
        "migrations": ops_suites.migrations,
        "webhooks": ops_suites.webhooks,
        "sla": ops_suites.sla_scan,
    }[name](cfg)


def machine() -> dict:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((ln.split(":", 1)[1].strip() for ln in info
                        if ln.startswith("model name")), "")
    except OSError:
        pass
    from bench import world

    with world.connect() as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    import os

    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "postgresql": pg, "platform": platform.platform()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, ~2 minutes")
    parser.add_argument("--only", nargs="+", choices=SUITES, help="run only these suites")
    parser.add_argument("--fresh", action="store_true", help="rebuild the benchmark database")
    parser.add_argument("--output", default=None, help="results file (default: latest.json, "
                        "or quick.json with --quick)")
    args = parser.parse_args(argv)
    cfg = Config.make(args.quick)
    env.setup_django()
    from bench import report, world

    env.RESULTS.mkdir(exist_ok=True)
    world.prepare(fresh=args.fresh)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=env.ROOT).stdout.strip()
    results = {"config": asdict(cfg), "machine": machine(), "commit": commit,
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "suites": {}}
    output = env.RESULTS / (args.output or ("quick.json" if args.quick else "latest.json"))
    for name in args.only or SUITES:
        print(f"bench: --- {name} ---", flush=True)
        started = time.perf_counter()
        try:
            figures = run_suite(name, cfg)
        except Exception as exc:  # one broken suite must not lose the others' figures
            traceback.print_exc()
            figures = {"error": f"{type(exc).__name__}: {exc}"}
        figures["seconds"] = round(time.perf_counter() - started, 1)
        results["suites"][name] = figures
        output.write_text(json.dumps(results, indent=2, default=str))
    report.write(results, output)
    print(report.table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
