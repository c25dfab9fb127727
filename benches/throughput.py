#!/usr/bin/env python3
"""Side-by-side throughput of pylintseq 0.0.2 and lintseq on the same rows, seed and settings.

Both run on one worker (-c 1) over the same JSONL subset; CPU time and peak RSS come from
os.wait4 on each child process. Prints samples/s per core for each tool and their ratio.

    python3 benches/throughput.py --input fixtures/humaneval.jsonl --rows 40
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", default="fixtures/humaneval.jsonl")
    ap.add_argument("--rows", type=int, default=40, help="rows of the input to use (pylintseq is slow)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lintseq", default="target/release/lintseq")
    ap.add_argument("--pylintseq", default=shutil.which("pylintseq") or "pylintseq")
    ap.add_argument("--code-field", default="response")
    ap.add_argument("--skip-pylintseq", action="store_true", help="time lintseq only")
    args = ap.parse_args()

    lintseq = os.path.abspath(args.lintseq)
    with tempfile.TemporaryDirectory() as tmp:
        subset = os.path.join(tmp, "subset.jsonl")
        with open(args.input) as src, open(subset, "w") as dst:
            for i, line in enumerate(src):
                if i >= args.rows:
                    break
                dst.write(line)
        rows = count_rows(subset)
        common = ["-p", subset, "-c", "1", "-s", "1", "--seed", str(args.seed), "--code_data_field", args.code_field]
        results = {}
        if not args.skip_pylintseq:
            results["pylintseq"] = run([args.pylintseq, *common, "-d", os.path.join(tmp, "py")], tmp)
            results["pylintseq"]["out"] = os.path.join(tmp, "py", f"subset_all_1_{args.seed}_vec.jsonl")
        results["lintseq"] = run([lintseq, *common, "-d", os.path.join(tmp, "rs"), "-q"], tmp)
        results["lintseq"]["out"] = os.path.join(tmp, "rs", f"subset_all_1_{args.seed}_vec.jsonl")

        print(f"rows: {rows} (from {args.input}), seed {args.seed}, one worker each")
        print(f"{'tool':<10} {'samples':>8} {'cpu s':>9} {'wall s':>9} {'samples/s/core':>15} {'peak RSS MB':>12}")
        rate = {}
        for tool, r in results.items():
            samples = count_rows(r["out"])
            rate[tool] = samples / max(r["cpu"], 1e-9)
            print(f"{tool:<10} {samples:>8} {r['cpu']:>9.3f} {r['wall']:>9.3f} {rate[tool]:>15.1f} {r['rss_mb']:>12.1f}")
        if "pylintseq" in rate:
            print(f"speed-up (samples/s/core): {rate['lintseq'] / rate['pylintseq']:.0f}x")


if __name__ == "__main__":
    main()
