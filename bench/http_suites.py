"""Benchmarks through the HTTP stack: framework overhead, tenant count, data size."""

import uuid

from bench import measure, world
from bench.measure import get, interleaved, median, post
from bench.server import gunicorn

LIST = "/api/contracts/?limit=20"


def _tenant_with_contracts(prefix: str, count: int):
    tenant = world.ensure_tenants(1, prefix=prefix, contracts_each=0)[0]
    user = world.manager_of(tenant)
    world.ensure_contracts(tenant, user.pk, count)
    return tenant, user


def overhead(cfg) -> dict:
    """Item 1: the whole stack vs a bare view over the same rows, and the other hot endpoints."""
    tenant, user = _tenant_with_contracts("bench-d1k", 1_000)
    token = world.access_token(user)
    # Writes go to a tenant of their own: the read tenants keep exactly their row counts.
    writes = world.ensure_tenants(1, prefix="bench-w", contracts_each=0)[0]
    write_token = world.access_token(world.manager_of(writes))
    pending = world.pending_contract_ids(writes, cfg.approve_requests)
    ids = world.contract_ids(tenant, 50)
    with gunicorn() as port:
        measure.load(port, [get(LIST, token)], seconds=1)  # warm both workers
        ratio = interleaved(port, {
            "bare": [get(f"/bench/bare/{tenant.schema_name}/")],
            "api_list": [get(LIST, token)],
        }, rounds=cfg.rounds, seconds=cfg.seconds)
        ratios = [row["api_list"]["rps"] / row["bare"]["rps"] for row in ratio["rounds"]
                  if row["bare"]["rps"]]
        ratio["ratio_per_round"] = [round(r, 3) for r in ratios]
        ratio["ratio_median"] = round(median(ratios), 3)
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


def tenant_count(cfg) -> dict:
    """Item 2: list p50 with 1, 100, 1,000 tenants: one tenant, spread (cold and warm)."""
    try:
        out = _tenant_count(cfg)
    finally:
        world.use_database("")
    base = out[str(cfg.tenant_counts[0])]
    top = out[str(cfg.tenant_counts[-1])]
    out["p50_ratio_one_tenant"] = round(top["one_tenant"]["p50_ms"]
                                        / base["one_tenant"]["p50_ms"], 3)
    out["p50_ratio_spread_warm"] = round(top["spread_warm"]["p50_ms"]
                                         / base["one_tenant"]["p50_ms"], 3)
    return out


def _tenant_count(cfg) -> dict:
    out = {}
    for count in cfg.tenant_counts:
        world.use_database(f"t{count}")
        tenants = world.ensure_tenants(count)
        tokens = [world.access_token(world.manager_of(t)) for t in tenants]
        spread = [get(LIST, tok) for tok in tokens]
        row: dict = {"tenants": count}
        with gunicorn() as port:
            # Cold: a new server, every tenant's first request (tenant cache and connection
            # search_path both empty for it).
            cold = measure.load(port, spread, seconds=600, threads=4, max_requests=len(spread))
            row["spread_cold"] = measure.summary(cold)
            res = interleaved(port, {"one_tenant": [get(LIST, tokens[0])], "spread": spread},
                              rounds=cfg.rounds, seconds=cfg.seconds)
            row["one_tenant"] = res["medians"]["one_tenant"]
            row["spread_warm"] = res["medians"]["spread"]
        with gunicorn(BENCH_COUNT_QUERIES="1") as port:
            cold = measure.load(port, spread, seconds=600, threads=4, max_requests=len(spread))
            warm = measure.load(port, spread, seconds=600, threads=4, max_requests=len(spread))
            one = measure.load(port, [get(LIST, tokens[0])], seconds=1, threads=2)
            row["set_search_path_per_request"] = {
                name: _count(res, "x-bench-set-search-path")
                for name, res in (("spread_cold", cold), ("spread_warm", warm),
                                  ("one_tenant", one))
            }
            row["queries_per_request"] = {
                name: _count(res, "x-bench-queries")
                for name, res in (("spread_cold", cold), ("spread_warm", warm),
                                  ("one_tenant", one))
            }
        out[str(count)] = row
        print(f"bench: tenants={count} {row}", flush=True)
    return out


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
