#!/usr/bin/python3
"""Runs Baton's benchmarks and prints one table: figure, baseline, ratio, target, pass/fail.

Each benchmark is an executable of the build (bench/*.cpp) that prints one JSON document on
stdout (bench/support/bench_report.hpp). With --quick every benchmark runs a reduced version and
this script only checks that each ran and reported sane numbers (a smoke test, part of
`make test`); the targets are reported but not enforced. Without --quick the results go to
bench/results/<date>-<host>.json, with a PNG plot and the table in Markdown beside it.
"""

import argparse
import datetime
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

# (executable, seconds allowed for the full run). The limit only guards against a hang; how long a
# benchmark takes depends on what else the machine does, so --quick (the smoke test of `make
# test`) allows each the same: a quick run takes 3-30 s alone, and took over 20 s (its old limit)
# on a loaded machine.
BENCHMARKS = [
    ("bench_heartbeat_ingest", 240),
    ("bench_refresh_rtt", 120),
    ("bench_watchdog_precision", 120),
    ("bench_crash_restart", 120),
    ("bench_fleet_commands", 120),
    ("bench_launch_throughput", 120),
    ("bench_status_fanout", 120),
    ("bench_scale", 180),
    ("bench_footprint", 120),
    ("bench_usage_sampling", 120),
    ("bench_log_follow", 180),
]
# Google Benchmark microbenchmarks of the hot paths: reported, no targets.
MICROBENCHMARKS = ["codec_bench", "journal_bench", "watchdog_table_bench"]


def run(argv, limit):
    """Runs one benchmark in a process group of its own: on a timeout the whole group goes, the
    daemons and helpers it started included, not only the benchmark itself."""
    started = time.monotonic()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as process:
        try:
            out, err = process.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
            return None, f"did not finish within {limit} s", err
    elapsed = time.monotonic() - started
    if process.returncode != 0:
        return None, f"exit status {process.returncode} after {elapsed:.1f} s", err
    return out, None, err


def run_benchmark(bin_dir, name, limit, quick):
    argv = [os.path.join(bin_dir, name)] + (["--quick"] if quick else [])
    started = time.monotonic()
    out, error, stderr = run(argv, limit)
    if error:
        return {"benchmark": name, "error": error, "stderr": str(stderr)[-2000:]}
    try:
        document = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError) as e:
        return {"benchmark": name, "error": f"no JSON document on stdout ({e})"}
    document["seconds"] = round(time.monotonic() - started, 1)
    return document


def run_microbenchmark(bin_dir, name, quick):
    min_time = "0.01" if quick else "0.2"
    argv = [os.path.join(bin_dir, name), "--benchmark_format=json",
            f"--benchmark_min_time={min_time}"]
    out, error, stderr = run(argv, 120)
    if error:
        return {"benchmark": name, "error": error, "stderr": str(stderr)[-2000:]}
    figures = []
    for b in json.loads(out)["benchmarks"]:
        if "items_per_second" in b:
            figures.append({"name": b["name"], "value": b["items_per_second"], "unit": "items/s",
                            "baseline": None, "ratio": None, "target": "", "pass": None,
                            "better": "higher"})
    return {"benchmark": f"micro: {name}", "figures": figures, "series": {}, "notes": {}}


def human(value, unit):
    """A number as the table shows it: 1.52 M, 830 k, 0.412."""
    if value is None:
        return ""
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1e6:
        return f"{value / 1e6:.3g} M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.3g} k"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def table_rows(documents):
    rows = []
    for d in documents:
        if "error" in d:
            rows.append([d["benchmark"], "FAILED TO RUN", d["error"], "", "", "", "FAIL"])
            continue
        for f in d["figures"]:
            unit = f["unit"]
            ratio = f"{f['ratio']:.2f}" if f.get("ratio") is not None else ""
            verdict = {True: "pass", False: "FAIL", None: ""}[f.get("pass")]
            rows.append([d["benchmark"], f["name"], f"{human(f['value'], unit)} {unit}",
                         human(f.get("baseline"), unit), ratio, f.get("target", ""), verdict])
    return rows


HEADER = ["benchmark", "figure", "value", "baseline", "ratio", "target", "result"]


def text_table(rows):
    widths = [max(len(str(r[i])) for r in rows + [HEADER]) for i in range(len(HEADER))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    return "\n".join([line(HEADER), line(["-" * w for w in widths])] + [line(r) for r in rows])


def markdown_table(rows):
    out = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(out)


def sane(document):
    """The smoke test: the benchmark ran and every number is finite and not negative."""
    if "error" in document:
        return document["error"]
    if not document.get("figures"):
        return "reported no figures"
    for f in document["figures"]:
        for key in ("value", "baseline"):
            v = f.get(key)
            if v is None and key == "baseline":
                continue
            if not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                return f"figure '{f['name']}' has {key} {v!r}"
    return None


def plot(documents, png):
    series = {d["benchmark"]: d.get("series", {}) for d in documents if "error" not in d}
    ingest = series.get("heartbeat ingest", {}).get("throughput")
    batched = series.get("heartbeat ingest", {}).get("throughput_batched") or []
    rtt = series.get("refresh round trip", {})
    if not ingest and not rtt:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        script = [f"set terminal pngcairo size 1200,480 font ',10'", f"set output '{png}'",
                  "set multiplot layout 1,2", "set grid", "set key top left"]
        if ingest:
            for name, points in (("ingest", ingest), ("batched", batched)):
                with open(os.path.join(tmp, f"{name}.dat"), "w") as f:
                    for p in points:
                        f.write(f"{p['apps']} {p['baton'] / 1e6} {p['baseline'] / 1e6}\n")
            lines = [f"'{tmp}/ingest.dat' using 1:2 with linespoints lw 2 lc 1 "
                     "title 'baton-node, refresh'",
                     "'' using 1:3 with linespoints lw 2 lc 1 dt 2 "
                     "title 'bare DEALER->ROUTER + msgpack, same frames'"]
            if batched:
                lines += [f"'{tmp}/batched.dat' using 1:2 with linespoints lw 2 lc 2 "
                          "title 'baton-node, refresh\\_many (32 per frame)'",
                          "'' using 1:3 with linespoints lw 2 lc 2 dt 2 "
                          "title 'bare, same frames'"]
            # Log scale on both axes: one registration per frame and 32 per frame lie a factor
            # of ten or more apart; the target is a line between them.
            lines.append("1.5 with lines lc 0 dt 3 title 'target, 1.5 M/s'")
            script += ["set title 'Heartbeat ingest, one node'", "set logscale xy",
                       "set xlabel 'registered apps'", "set ylabel 'million heartbeats/s'",
                       "set key center right", "set yrange [0.2:50]",
                       "plot " + ", ".join(lines),
                       "unset logscale xy", "set yrange [*:*]", "set key top left"]
        if rtt:
            plots = []
            for name, label in (("sdk", "refresh() through the SDK"),
                                ("baseline", "bare DEALER<->ROUTER")):
                if name in rtt:
                    path = os.path.join(tmp, f"rtt-{name}.dat")
                    with open(path, "w") as f:
                        for p in rtt[name]:
                            nines = 6 if p["q"] >= 1 else -math.log10(1 - p["q"])
                            f.write(f"{nines} {p['value']}\n")
                    plots.append(f"'{path}' using 1:2 with linespoints lw 2 title '{label}'")
            script += ["set title 'refresh round trip'", "set xlabel 'percentile'",
                       "set ylabel 'microseconds'", "set logscale y",
                       "set xtics ('p50' 0.301, 'p90' 1, 'p99' 2, 'p99.9' 3, 'p99.99' 4, 'max' 6)",
                       "plot " + ", ".join(plots)]
        script.append("unset multiplot")
        done = subprocess.run(["gnuplot"], input="\n".join(script), text=True,
                              capture_output=True, check=False)
        if done.returncode != 0:
            print(f"gnuplot failed: {done.stderr}", file=sys.stderr)
            return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", help="the build's bin folder (required to run benchmarks)")
    parser.add_argument("--plot", metavar="JSON",
                        help="only draw the PNG of a results JSON again, beside it")
    parser.add_argument("--quick", action="store_true",
                        help="reduced runs; check that each benchmark works (not the targets)")
    parser.add_argument("--results", default=os.path.join(os.path.dirname(__file__), "results"),
                        help="where the full run writes its JSON, PNG and Markdown")
    parser.add_argument("--only", default="", help="comma-separated benchmark executables")
    args = parser.parse_args()
    if args.plot:
        with open(args.plot) as f:
            documents = json.load(f)["benchmarks"]
        png = os.path.splitext(args.plot)[0] + ".png"
        return 0 if plot(documents, png) else 1
    if not args.bin:
        parser.error("--bin is required to run benchmarks")
    only = set(filter(None, args.only.split(",")))

    documents = []
    for name, limit in BENCHMARKS:
        if only and name not in only:
            continue
        print(f"running {name}{' --quick' if args.quick else ''} ...", file=sys.stderr, flush=True)
        documents.append(run_benchmark(args.bin, name, limit, args.quick))
        if "error" in documents[-1]:
            print(f"  {name}: {documents[-1]['error']}\n{documents[-1].get('stderr', '')}",
                  file=sys.stderr)
    for name in MICROBENCHMARKS:
        if only and name not in only:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        documents.append(run_microbenchmark(args.bin, name, args.quick))

    rows = table_rows(documents)
    print(text_table(rows))
    targets = [f.get("pass") for d in documents if "error" not in d for f in d["figures"]]
    held = sum(1 for t in targets if t is True)
    total = sum(1 for t in targets if t is not None)
    print(f"\n{held} of {total} targets hold.")

    if args.quick:
        failures = [(d["benchmark"], sane(d)) for d in documents if sane(d)]
        for name, why in failures:
            print(f"bench-quick: {name}: {why}", file=sys.stderr)
        return 1 if failures else 0

    host = socket.gethostname()
    stamp = datetime.datetime.now().strftime("%Y-%m-%d")
    os.makedirs(args.results, exist_ok=True)
    base = os.path.join(args.results, f"{stamp}-{host}")
    machine = {"host": host, "cores": os.cpu_count(), "cpu": cpu_model(),
               "kernel": os.uname().release, "date": datetime.datetime.now().isoformat()}
    with open(base + ".json", "w") as f:
        json.dump({"machine": machine, "benchmarks": documents}, f, indent=1)
    with open(base + ".md", "w") as f:
        f.write(f"Measured {stamp} on {machine['cpu']}, {machine['cores']} cores, "
                f"Linux {machine['kernel']}: {held} of {total} targets hold.\n\n")
        f.write(markdown_table(rows) + "\n")
    plotted = plot(documents, base + ".png")
    print(f"results: {base}.json, {base}.md" + (f", {base}.png" if plotted else ""))
    return 0 if all("error" not in d for d in documents) else 1


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
