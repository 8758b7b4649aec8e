#!/usr/bin/env python3
# Copyright (c) James Kassemi, SC, US. All rights reserved.
"""Summarizes ws_source_parse_bench JSON output as Markdown tables.

Each input is one run with --benchmark_repetitions=N --benchmark_report_aggregates_only=true
--benchmark_out=<file> --benchmark_out_format=json. For every frame the table gives the median
events/s (items_per_second) of BM_Parse and of the DOM baselines, and the ratio ours / DOM
computed within the same run. Runs of the same ws_source kernel are combined: the table shows the
median over the runs of each run's median, with the range over the runs in brackets.

    python3 bench/summarize.py fb1.json fb2.json hw1.json hw2.json
"""
import json
import statistics
import sys

FEEDS = ["option_quotes", "option_trades", "equity_quotes", "equity_trades"]
FRAMES = [f"{feed}/{n}" for feed in FEEDS for n in (1, 10, 100)] + ["shared/option_quotes_100"]


def load(path):
    with open(path) as f:
        data = json.load(f)
    run = {"ctx": data.get("context", {}), "median": {}, "cv": {}, "size": {}, "errors": {}}
    for b in data["benchmarks"]:
        name = b["run_name"]
        if b.get("error_occurred"):
            run["errors"][name] = b.get("error_message", "error")
            continue
        if b.get("run_type") != "aggregate":
            continue
        if b["aggregate_name"] == "median":
            run["median"][name] = b.get("items_per_second")
            if b.get("items_per_second") and b.get("bytes_per_second"):
                run["size"][name] = b["bytes_per_second"] / b["items_per_second"]
        elif b["aggregate_name"] == "cv":
            run["cv"][name] = b.get("cpu_time")  # the rates are computed from the CPU time
    return run


def combine(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def fmt(c, scale=1e6, unit=" M/s", digits=2):
    if c is None:
        return "-"
    med, lo, hi = c
    s = f"{med / scale:.{digits}f}{unit}"
    if lo != hi:
        s += f" [{lo / scale:.{digits}f}-{hi / scale:.{digits}f}]"
    return s


def main(paths):
    by_kernel = {}
    for path in paths:
        run = load(path)
        by_kernel.setdefault(run["ctx"].get("ws_source_kernel", "?"), []).append((path, run))
    for kernel, runs in by_kernel.items():
        dispatch = runs[0][1]["ctx"].get("simdjson_dispatch_kernel", "?").split(" ")[0]
        same = any(n.startswith("BM_ReferenceDomSameKernel/") for _, r in runs for n in r["median"])
        print(f"\nws_source kernel {kernel}, simdjson dispatch {dispatch}: {len(runs)} run(s): "
              + ", ".join(f"{p} ({r['ctx'].get('date', '')})" for p, r in runs) + "\n")
        head = "| frame | bytes/event | ours (BM_Parse) events/s | cv | DOM (BM_ReferenceDom) events/s | ours / DOM |"
        sep = "|---|---:|---:|---:|---:|---:|"
        if same:
            head += f" DOM {kernel} (SameKernel) events/s | ours / DOM {kernel} |"
            sep += "---:|---:|"
        print(head)
        print(sep)
        for fr in FRAMES:
            def get(kind, prefix):
                return [r[kind].get(prefix + fr) for _, r in runs]

            def ratios(prefix):
                out = []
                for _, r in runs:
                    a, b = r["median"].get("BM_Parse/" + fr), r["median"].get(prefix + fr)
                    out.append(a / b if a and b else None)
                return out

            errors = [r["errors"].get("BM_Parse/" + fr) for _, r in runs if r["errors"].get("BM_Parse/" + fr)]
            if errors and not any(get("median", "BM_Parse/")):
                print(f"| {fr} | skipped: {errors[0]} |")
                continue
            size = combine(get("size", "BM_Parse/"))
            cv = combine(get("cv", "BM_Parse/"))
            row = (f"| {fr} | {'-' if size is None else f'{size[0]:.0f}'} | {fmt(combine(get('median', 'BM_Parse/')))} "
                   f"| {fmt(cv, 0.01, '%', 0)} | {fmt(combine(get('median', 'BM_ReferenceDom/')))} "
                   f"| {fmt(combine(ratios('BM_ReferenceDom/')), 1, 'x')} |")
            if same:
                row += (f" {fmt(combine(get('median', 'BM_ReferenceDomSameKernel/')))} "
                        f"| {fmt(combine(ratios('BM_ReferenceDomSameKernel/')), 1, 'x')} |")
            print(row)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
