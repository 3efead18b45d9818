"""The figures as a table (stdout and bench/results/*.md) and a chart (PNG)."""

from pathlib import Path


def _g(d: dict, *keys, default="-"):
    for key in keys:
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return d


def _met(ok: bool) -> str:
    return "yes" if ok else "no"


def rows(results: dict) -> list[tuple[str, str, str, str]]:
    """(figure, value, goal, met) rows."""
    s = results["suites"]
    out = []
    o = s.get("overhead", {})
    if "list_vs_bare" in o:
        m = o["list_vs_bare"]["medians"]
        ratio = o["list_vs_bare"]["ratio_median"]
        out.append(("1. list rps: API / bare view (median of per-round ratios)",
                    f"{m['api_list']['rps']} / {m['bare']['rps']} = {ratio}", ">= 0.6",
                    _met(ratio >= 0.6)))
        for name, fig in o["endpoints"].items():
            out.append((f"1. {name}: rps, p50, p99 ms",
                        f"{fig['rps']}, {fig['p50_ms']}, {fig['p99_ms']}", "", ""))
    w = s.get("wrk", {})
    if "ratio_median_wrk" in w:
        m = w["medians"]
        out.append(("1. list / bare ratio, same rounds: wrk / our load generator",
                    f"{w['ratio_median_wrk']} / {w['ratio_median_ours']}", ">= 0.6",
                    _met(min(w["ratio_median_wrk"], w["ratio_median_ours"]) >= 0.6)))
        out.append(("1. rps with wrk / ours: bare, API list, GET /healthz",
                    f"{m['bare_wrk']['rps']} / {m['bare_ours']['rps']}, "
                    f"{m['api_wrk']['rps']} / {m['api_ours']['rps']}, "
                    f"{m['healthz_wrk']['rps']} / {m['healthz_ours']['rps']}", "", ""))
    t = s.get("tenants", {})
    counts = [k for k in t if k.isdigit()]
    for k in counts:
        r = t[k]
        sp = r.get("set_search_path_per_request", {})
        out.append((f"2. list p50 ms with {k} tenants: one / spread warm / spread cold",
                    f"{_g(r, 'one_tenant', 'p50_ms')} / {_g(r, 'spread_warm', 'p50_ms')} / "
                    f"{_g(r, 'spread_cold', 'p50_ms')}", "", ""))
        out.append((f"2. SET search_path per request, {k} tenants: max one/warm/cold",
                    f"{_g(sp, 'one_tenant', 'max')} / {_g(sp, 'spread_warm', 'max')} / "
                    f"{_g(sp, 'spread_cold', 'max')}", "<= 1",
                    _met(all(_g(sp, n, 'max', default=9) <= 1 for n in sp))))
    if counts:
        ratios = (t.get("p50_ratio_one_tenant"), t.get("p50_ratio_spread_warm"))
        out.append((f"2. p50 ratio {counts[-1]} vs {counts[0]} tenants (one tenant; spread warm)",
                    f"{ratios[0]}; {ratios[1]}", "<= 1.15",
                    _met(all(r is not None and r <= 1.15 for r in ratios))))
    d = s.get("data", {})
    for name in ("list", "search_fields", "search_document", "statistics", "list_deep_offset"):
        if name in d:
            out.append((f"3. {name} p50 ms: 1k vs {d['big_contracts']:,} contracts",
                        f"{d[name]['1k']['p50_ms']} vs {d[name]['big']['p50_ms']} "
                        f"(x{d[name]['p50_ratio']})", "<= 3x",
                        _met(d[name]["p50_ratio"] <= 3)))
    p = s.get("provisioning", {})
    if "migrations" in p:
        best = min(p[mode]["p50_ms"] for mode in ("template", "migrations", "clone") if mode in p)
        out.append(("4. register p50 ms: template copy (product) / migrations / clone",
                    " / ".join(str(p[mode]["p50_ms"]) for mode in ("template", "migrations",
                                                                   "clone") if mode in p),
                    "< 1000", _met(best < 1000)))
        out.append(("4. schema from replayed SQL template (bench set-up), ms each",
                    str(p.get("sql_replay_ms_each")), "", ""))
    mg = s.get("migrations", {})
    if "noop_standard_s" in mg:
        out.append((f"5. migrate_schemas no-op over {mg['tenants']} schemas: std / mp (s)",
                     f"{mg['noop_standard_s']} / {mg['noop_multiprocessing_s']}", "< 300",
                     _met(min(mg["noop_standard_s"], mg["noop_multiprocessing_s"]) < 300)))
        out.append((f"5. one new migration over {mg['tenants']} schemas: std / mp (s)",
                    f"{mg['one_new_standard_s']} / {mg['one_new_multiprocessing_s']}", "", ""))
    w = s.get("webhooks", {})
    if "events_per_second" in w:
        out.append(("6. webhooks: events/s (1 worker process), latency p50 / p99 ms",
                    f"{w['events_per_second']}, {w['latency_p50_ms']} / {w['latency_p99_ms']}",
                    "p50 < 1000", _met(w["latency_p50_ms"] < 1000)))
    sl = s.get("sla", {})
    if "scan_s" in sl:
        out.append((f"7. SLA full scan over {sl['tenants']} tenants (s)", str(sl["scan_s"]),
                    "< 60", _met(sl["scan_s"] < 60)))
    for name, figures in s.items():
        if "error" in figures or "skipped" in figures:
            out.append((name, figures.get("error") or figures.get("skipped"), "", "not run"))
    return out


def table(results: dict) -> str:
    lines = ["| Figure | Measured | Goal | Met |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(results)]
    return "\n".join(lines)


def write(results: dict, output: Path) -> None:
    output.with_suffix(".md").write_text(table(results) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    s = results["suites"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    o = s.get("overhead", {})
    if "list_vs_bare" in o:
        m = o["list_vs_bare"]["medians"]
        names = ["bare", "api_list", *o["endpoints"]]
        values = [m["bare"]["rps"], m["api_list"]["rps"],
                  *[f["rps"] for f in o["endpoints"].values()]]
        axes[0].bar(names, values, color=["grey", "tab:blue"] + ["tab:cyan"] * (len(names) - 2))
        axes[0].set_title("Throughput (req/s, 2 sync workers)")
        axes[0].tick_params(axis="x", rotation=45)
    t = s.get("tenants", {})
    counts = [k for k in t if k.isdigit()]
    if counts:
        for key in ("one_tenant", "spread_warm", "spread_cold"):
            axes[1].plot([int(k) for k in counts], [t[k][key]["p50_ms"] for k in counts],
                         marker="o", label=key)
        axes[1].set_xscale("log")
        axes[1].set_title("List p50 (ms) by tenants provisioned")
        axes[1].legend()
    d = s.get("data", {})
    names = [n for n in ("list", "search_fields", "search_document", "statistics") if n in d]
    if names:
        x = range(len(names))
        axes[2].bar([i - 0.2 for i in x], [d[n]["1k"]["p50_ms"] for n in names], 0.4,
                    label="1k")
        axes[2].bar([i + 0.2 for i in x], [d[n]["big"]["p50_ms"] for n in names], 0.4,
                    label=f"{d['big_contracts']:,}")
        axes[2].set_xticks(list(x), names, rotation=30)
        axes[2].set_title("p50 (ms) by contracts in the tenant")
        axes[2].legend()
    fig.tight_layout()
    fig.savefig(output.with_suffix(".png"), dpi=90)
    plt.close(fig)
