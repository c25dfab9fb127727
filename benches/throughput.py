#!/usr/bin/env python3
"""Side-by-side throughput of pylintseq 0.0.2 and lintseq on the same rows, seed and settings.

Both tools run on one worker (-c 1) over the same JSONL subset (the first --rows rows of
--input); CPU time (user + system) and peak RSS come from os.wait4 on each child
process. Prints samples/s per core for each tool, their ratio and peak RSS. lintseq is
timed --repeat times and the fastest run is kept (the machine may be shared).

pylintseq is slow (~0.3-0.9 s of CPU per sample), and the `pylintseq` command aborts the
whole run on rows where pylintseq itself raises IndexError, so it is measured by
benches/pylintseq_driver.py (pylintseq's own generation loop, in-process, with the same
seeding and settings, catching the exception per row; CPU time per row from
time.process_time). Its result is cached in out/throughput/ keyed by the subset's
SHA-256 and the seed; --fresh-pylintseq re-measures. lintseq then runs (as a process,
CPU from os.wait4) on exactly the rows pylintseq wrote a sample for. If pylintseq is not on PATH, --venv DIR creates a virtual
environment and installs pylintseq 0.0.2 into it.

    python3 benches/throughput.py --input out/corpus.jsonl --rows 500
    python3 benches/throughput.py --input fixtures/humaneval.jsonl --rows 164
    python3 benches/throughput.py --input out/corpus.jsonl --rows 500 --threads 2  # lintseq -c 1 vs -c 2
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(REPO, "out", "throughput")


def run(cmd, cwd):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{cmd[0]} failed:\n{err[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}


def count_rows(path):
    with open(path) as f:
        return sum(1 for line in f if line.strip())


def ensure_pylintseq(args):
    found = shutil.which(args.pylintseq) if not os.path.isabs(args.pylintseq) else args.pylintseq
    if found and os.path.exists(found):
        return found
    if not args.venv:
        sys.exit("pylintseq not found: pass --pylintseq PATH or --venv DIR to install pylintseq 0.0.2")
    venv_bin = os.path.join(args.venv, "bin")
    if not os.path.exists(os.path.join(venv_bin, "pylintseq")):
        subprocess.check_call([sys.executable, "-m", "venv", args.venv])
        subprocess.check_call([os.path.join(venv_bin, "pip"), "install", "-q", "pylintseq==0.0.2"])
    return os.path.join(venv_bin, "pylintseq")


def pylintseq_version(exe):
    py = os.path.join(os.path.dirname(exe), "python3")
    py = py if os.path.exists(py) else sys.executable
    try:
        out = subprocess.run([py, "-c", "import importlib.metadata as m; print(m.version('pylintseq'))"],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except subprocess.CalledProcessError:
        return "unknown"


def measure_pylintseq(args, subset, digest):
    """pylintseq's per-row CPU seconds, from benches/pylintseq_driver.py (cached)."""
    exe = ensure_pylintseq(args)
    prefix = args.pylintseq_result or os.path.join(CACHE, f"pylintseq_{digest[:16]}_seed{args.seed}")
    measured_now = False
    if not os.path.exists(prefix + ".json") or args.fresh_pylintseq:
        if not os.path.exists(prefix + ".jsonl") or args.fresh_pylintseq:
            measured_now = True
            os.makedirs(os.path.dirname(prefix), exist_ok=True)
            py = os.path.join(os.path.dirname(exe), "python3")
            py = py if os.path.exists(py) else sys.executable
            driver = os.path.join(REPO, "benches", "pylintseq_driver.py")
            r = run([py, driver, subset, str(args.rows), prefix, "--seed", str(args.seed), "--code-field", args.code_field], REPO)
            with open(prefix + ".rss.json", "w") as f:
                json.dump(r, f)
    rows = {}
    with open(prefix + ".jsonl") as f:
        for line in f:
            row = json.loads(line)
            rows[row["index"]] = row
    ok = sorted(i for i, r in rows.items() if "edit_path" in r)
    crashed = sorted(i for i, r in rows.items() if "crashed" in r)
    rss = None
    if os.path.exists(prefix + ".rss.json"):
        with open(prefix + ".rss.json") as f:
            rss = json.load(f)["rss_mb"]
    return {"samples": len(ok), "cpu": sum(rows[i]["cpu"] for i in ok), "wall": float("nan"), "rss_mb": rss or float("nan"),
            "ok_rows": ok, "crashed_rows": crashed, "rows_run": len(rows), "result": prefix, "cached": not measured_now,
            "version": pylintseq_version(exe)}


def measure_lintseq(args, subset, tmp, threads):
    common = ["-p", subset, "-c", str(threads), "-s", "1", "--seed", str(args.seed), "--code_data_field", args.code_field]
    best = None
    for i in range(args.repeat):
        out_dir = os.path.join(tmp, f"rs{threads}_{i}")
        r = run([os.path.abspath(args.lintseq), *common, "-d", out_dir, "-q"], tmp)
        r["samples"] = count_rows(os.path.join(out_dir, f"subset_all_1_{args.seed}_vec.jsonl"))
        if best is None or r["cpu"] < best["cpu"]:
            best = r
        best.setdefault("walls", []).append(r["wall"])
    best["min_wall"] = min(best["walls"])
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", default="fixtures/humaneval.jsonl")
    ap.add_argument("--rows", type=int, default=40, help="rows of the input to use (pylintseq is slow)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lintseq", default="target/release/lintseq")
    ap.add_argument("--pylintseq", default="pylintseq")
    ap.add_argument("--venv", help="install pylintseq 0.0.2 into this virtual environment if it is missing")
    ap.add_argument("--code-field", default="response")
    ap.add_argument("--repeat", type=int, default=3, help="lintseq runs; the fastest is kept")
    ap.add_argument("--threads", type=int, default=1, help="also time lintseq with this many workers (scaling)")
    ap.add_argument("--skip-pylintseq", action="store_true", help="time lintseq only")
    ap.add_argument("--fresh-pylintseq", action="store_true", help="ignore the cached pylintseq measurement")
    ap.add_argument("--pylintseq-result", help="prefix of an existing pylintseq_driver.py output to use")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        subset = os.path.join(tmp, "subset.jsonl")
        with open(args.input) as src, open(subset, "w") as dst:
            for i, line in enumerate(src):
                if i >= args.rows:
                    break
                dst.write(line)
        with open(subset, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        rows = count_rows(subset)
        results = {}
        if not args.skip_pylintseq:
            results["pylintseq"] = measure_pylintseq(args, subset, digest)
            # Both tools on exactly the programs pylintseq wrote a sample for (it crashes
            # on a few rows, see pylintseq_driver.py; a partial driver run counts too).
            keep = set(results["pylintseq"]["ok_rows"])
            with open(subset) as f:
                lines = [line for i, line in enumerate(f) if i in keep]
            with open(subset, "w") as f:
                f.writelines(lines)
            rows = len(lines)
        results["lintseq"] = measure_lintseq(args, subset, tmp, 1)
        if args.threads > 1:
            results[f"lintseq -c {args.threads}"] = measure_lintseq(args, subset, tmp, args.threads)

    print(f"rows: {rows} (of the first {args.rows} of {args.input}), seed {args.seed}, -s 1, default sampler settings")
    if "pylintseq" in results:
        p = results["pylintseq"]
        print(f"pylintseq {p['version']} (in-process driver): ran {p['rows_run']} rows, crashed on {len(p['crashed_rows'])}, "
              f"{p['samples']} samples; both tools are compared on those {p['samples']} programs")
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'tool':<14} {'samples':>8} {'cpu s':>9} {'wall s':>9} {'samples/s/core':>15} {'peak RSS MB':>12}")
    rate = {}
    for tool, r in results.items():
        rate[tool] = r["samples"] / max(r["cpu"], 1e-9)
        note = " (cached)" if r.get("cached") else ""
        wall = r.get("min_wall", r["wall"])
        print(f"{tool:<14} {r['samples']:>8} {r['cpu']:>9.3f} {wall:>9.3f} {rate[tool]:>15.1f} {r['rss_mb']:>12.1f}{note}")
    if "pylintseq" in rate:
        print(f"speed-up (samples/s/core): {rate['lintseq'] / rate['pylintseq']:.0f}x")
    if args.threads > 1:
        one, many = results["lintseq"], results[f"lintseq -c {args.threads}"]
        print(f"scaling 1 -> {args.threads} threads (wall, min of {args.repeat}): {one['min_wall'] / many['min_wall']:.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "input": args.input, "seed": args.seed, "results": results, "rate": rate}, f, indent=1)


if __name__ == "__main__":
    main()
