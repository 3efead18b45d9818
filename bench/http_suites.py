"""Benchmarks through the HTTP stack: framework overhead, tenant count, data size."""

import contextlib
import shutil
import uuid

from bench import env, measure, world
from bench.measure import get, interleaved, median, post, wrk
from bench.server import gunicorn

LIST = "/api/contracts/?limit=20"


def _tenant_with_contracts(prefix: str, count: int):
    tenant = world.ensure_tenants(1, prefix=prefix, contracts_each=0)[0]
    user = world.manager_of(tenant)
    world.ensure_contracts(tenant, user.pk, count)
    return tenant, user


def _list_and_bare():
    """Item 1's pair: a tenant with 1,000 contracts, its manager's token, and the API list and
    the bare view over the same rows."""
    tenant, user = _tenant_with_contracts("bench-d1k", 1_000)
    token = world.access_token(user)
    return tenant, token, get(LIST, token), get(f"/bench/bare/{tenant.schema_name}/")


def _warm(port: int, request: dict) -> None:
    measure.load(port, [request], seconds=1)  # both workers


def overhead(cfg) -> dict:
    """Item 1: the whole stack vs a bare view over the same rows, and the other hot endpoints."""
    tenant, token, api, bare = _list_and_bare()
    # Writes go to a tenant of their own: the read tenants keep exactly their row counts.
    writes = world.ensure_tenants(1, prefix="bench-w", contracts_each=0)[0]
    write_token = world.access_token(world.manager_of(writes))
    pending = world.pending_contract_ids(writes, cfg.approve_requests)
    ids = world.contract_ids(tenant, 50)
    with gunicorn() as port:
        _warm(port, api)
        ratio = interleaved(port, {"bare": [bare], "api_list": [api]},
                            rounds=cfg.rounds, seconds=cfg.seconds)
        _rps_ratio(ratio, "api_list", "bare")
        endpoints = interleaved(port, {
            "detail": [get(f"/api/contracts/{i}/", token) for i in ids],
            "statistics": [get("/api/contracts/statistics/", token)],
            "search": [get(f"/api/contracts/?limit=20&search={world.SEARCH_TERM}", token)],
            "create": [post("/api/contracts/", write_token, {
                "title": "Bench agreement", "contract_type": "service", "value": 1200,
                "counterparty": "Bench Counterparty"})],
        }, rounds=max(1, cfg.rounds // 2), seconds=cfg.seconds)
        approve = measure.summary(measure.load(
            port, [post(f"/api/contracts/{i}/approve/", write_token, {"comments": "ok"})
                   for i in pending],
            seconds=cfg.seconds * 3, threads=4, max_requests=len(pending)))
        endpoints["medians"]["approve"] = approve
    return {"list_vs_bare": ratio, "endpoints": endpoints["medians"],
            "tenant": tenant.slug, "contracts": 1_000}


def wrk_check(cfg) -> dict:
    """Item 1 again with wrk, a load generator in C, beside ours in the same rounds: the
    list/bare ratio by each, and each one's rate on the cheapest route (GET /healthz), which
    shows how much of the machine our Python load generator takes itself."""
    if shutil.which("wrk") is None:
        return {"skipped": "wrk is not on PATH (Debian/Ubuntu: apt-get install wrk)"}
    _, _, api, bare = _list_and_bare()
    probe = get("/healthz")
    with gunicorn() as port:
        _warm(port, api)
        result = interleaved(port, {
            "bare_wrk": [bare], "api_wrk": [api], "bare_ours": [bare], "api_ours": [api],
            "healthz_wrk": [probe], "healthz_ours": [probe],
        }, rounds=cfg.rounds, seconds=cfg.seconds,
            runners={"bare_wrk": wrk, "api_wrk": wrk, "healthz_wrk": wrk})
    for engine in ("wrk", "ours"):
        _rps_ratio(result, f"api_{engine}", f"bare_{engine}", suffix=f"_{engine}")
    return result


def _rps_ratio(result: dict, case: str, baseline: str, suffix: str = "") -> None:
    """Adds the per-round throughput ratios of `case` to `baseline`, and their median."""
    ratios = [row[case]["rps"] / row[baseline]["rps"] for row in result["rounds"]
              if row[baseline]["rps"]]
    result[f"ratio_per_round{suffix}"] = [round(r, 3) for r in ratios]
    result[f"ratio_median{suffix}"] = round(median(ratios), 3)


def tenant_count(cfg) -> dict:
    """Item 2: list p50 with 1, 100, 1,000 tenants: one tenant, spread (cold and warm).

    One server per tenant count, all running side by side and loaded one at a time in
    interleaved rounds, so each round compares the counts under the same machine conditions
    (this VM's speed drifted by more than the 15% the goal allows between separate runs)."""
    try:
        counts = {count: _tenant_world(count) for count in cfg.tenant_counts}
    finally:
        world.use_database("")
    out: dict = {str(count): {"tenants": count} for count in counts}
    with contextlib.ExitStack() as servers:
        ports = {count: servers.enter_context(gunicorn(DATABASE_URL=url))
                 for count, (url, _) in counts.items()}
        # Cold: a new server, every tenant's first request (tenant cache and connection
        # search_path both empty for it).
        for count, (_, spread) in counts.items():
            out[str(count)]["spread_cold"] = measure.summary(_passes(ports[count], spread))
            # Warm: each worker's connection has planned against every schema (a backend's
            # first query in a schema reads its catalog, ~3 ms), which takes a few passes.
            _passes(ports[count], spread, 4)
        cases, case_ports = {}, {}
        for count, (_, spread) in counts.items():
            for name, requests in (("one_tenant", spread[:1]), ("spread_warm", spread)):
                cases[f"{count}/{name}"], case_ports[f"{count}/{name}"] = requests, ports[count]
        # Three times the rounds, a third as long: bursts of this VM's noise last seconds, and
        # the median of many short side-by-side rounds is what survives them.
        res = interleaved(case_ports, cases, rounds=3 * cfg.rounds, seconds=cfg.seconds / 3)
    for case, figures in res["medians"].items():
        count, name = case.split("/")
        out[count][name] = figures
    for count, (url, spread) in counts.items():
        out[str(count)].update(_counted(url, spread))
        print(f"bench: tenants={count} {out[str(count)]}", flush=True)
    base, top = cfg.tenant_counts[0], cfg.tenant_counts[-1]
    for key, case in (("p50_ratio_one_tenant", f"{top}/one_tenant"),
                      ("p50_ratio_spread_warm", f"{top}/spread_warm")):
        ratios = [row[case]["p50_ms"] / row[f"{base}/one_tenant"]["p50_ms"]
                  for row in res["rounds"]]
        out[key] = round(median(ratios), 3)
        out[key + "_per_round"] = [round(r, 3) for r in ratios]
    return out


def _tenant_world(count: int) -> tuple[str, list[dict]]:
    """The database with `count` tenants, and one list request per tenant."""
    world.use_database(f"t{count}")
    tenants = world.ensure_tenants(count)
    return env.bench_database_url(), [get(LIST, world.access_token(world.manager_of(t)))
                                      for t in tenants]


def _counted(url: str, spread: list[dict]) -> dict:
    """Statements per request (SET search_path and all), from a query-counting server.
    Warm is counted after four more passes: a tenant is cold in each worker until that worker
    has served it, and which worker serves a request is up to the kernel."""
    with gunicorn(DATABASE_URL=url, BENCH_COUNT_QUERIES="1") as port:
        results = {"spread_cold": _passes(port, spread)}
        _passes(port, spread, 4)
        results["spread_warm"] = _passes(port, spread)
        results["one_tenant"] = measure.load(port, spread[:1], seconds=1, threads=2)
    return {
        "set_search_path_per_request": {
            name: _count(res, "x-bench-set-search-path") for name, res in results.items()},
        "queries_per_request": {
            name: _count(res, "x-bench-queries") for name, res in results.items()},
    }


def _passes(port: int, spread: list[dict], passes: int = 1) -> dict:
    """Every tenant's request `passes` times, as fast as the server answers."""
    return measure.load(port, spread, seconds=600, threads=4, max_requests=passes * len(spread))


def _count(result: dict, header: str) -> dict:
    values = result["headers"].get(header, [])
    if not values:
        return {}
    return {"max": max(values), "mean": round(sum(values) / len(values), 3)}


def data_size(cfg) -> dict:
    """Item 3: list, search (fields and document text) and statistics at 1k vs 100k."""
    small, small_user = _tenant_with_contracts("bench-d1k", 1_000)
    big, big_user = _tenant_with_contracts("bench-dbig", cfg.big_contracts)
    tokens = {"1k": world.access_token(small_user), "big": world.access_token(big_user)}
    paths = {
        "list": LIST,
        "search_fields": f"/api/contracts/?limit=20&search={world.SEARCH_TERM}",
        "search_document": f"/api/contracts/?limit=20&search={world.DOC_TERM}",
        "statistics": "/api/contracts/statistics/",
        "list_deep_offset": "/api/contracts/?limit=20&offset=500",
    }
    out = {"big_contracts": cfg.big_contracts}
    with gunicorn() as port:
        for name, path in paths.items():
            res = interleaved(port, {size: [get(path, tok)] for size, tok in tokens.items()},
                              rounds=cfg.rounds, seconds=cfg.seconds / 2)
            ratios = [row["big"]["p50_ms"] / row["1k"]["p50_ms"] for row in res["rounds"]]
            out[name] = {"1k": res["medians"]["1k"], "big": res["medians"]["big"],
                         "p50_ratio": round(median(ratios), 3)}
            print(f"bench: data {name} {out[name]}", flush=True)
    return out


def new_id() -> str:
    return str(uuid.uuid4())
