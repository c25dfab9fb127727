#!/usr/bin/env python3
"""Cost per sample against program length for two or more lintseq binaries, timed in
alternation so that they share the machine's state (load, caches) as far as possible.

The inputs are benches/scaling.py's (25-line corpus programs, whole stdlib modules of
~100, 400 and 1,600 lines), each repeated in turn (p1 p2 .. pk p1 p2 ..) so that every
run does ~0.5 s of work; each binary runs 5 times per size and its fastest CPU time
(user + system, os.wait4) divided by the rows is printed, in ms per sample.

    python3 benches/ab_scaling.py OLD/lintseq NEW/lintseq [--corpus out/corpus.jsonl]

With --callgrind each binary runs once per size under `valgrind --tool=callgrind` and the
instructions per sample are printed instead: slow (minutes), but the same on every run
whatever else the machine is doing. Each such line also gives the lint calls per sample
(from the run's summary) and the instructions per lint call: a sample's cost is the
product of the two, and only the second depends on how the linter is built.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scaling  # noqa: E402
from throughput import run  # noqa: E402

COPIES = {25: 20, 100: 200, 400: 40, 1600: 4}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binaries", nargs="+")
    ap.add_argument("--corpus", default="out/corpus.jsonl")
    ap.add_argument("--short", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--callgrind", action="store_true", help="count instructions instead of timing")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size, copies in COPIES.items():
            rows = scaling.rows_for(size, args)
            path = os.path.join(tmp, f"len{size}.jsonl")
            with open(path, "w") as f:
                for _ in range(copies):
                    for row in rows:
                        f.write(json.dumps(row) + "\n")
            n = copies * len(rows)
            if args.callgrind:
                counts = {b: instructions(b, path, tmp) for b in args.binaries}
                print(f"{size:>5} lines: " + "  ".join(
                    f"{b}: {i / n / 1e6:.3f} M instructions, {c / n:.1f} lint calls, {i / c / 1e3:.0f} k per call"
                    for b, (i, c) in counts.items()), flush=True)
                continue
            best = {b: float("inf") for b in args.binaries}
            for _ in range(args.repeat):
                for b in args.binaries:
                    out = tempfile.mkdtemp(dir=tmp)
                    r = run([os.path.abspath(b), "-q", "-p", path, "-d", os.path.join(out, "o"), "-c", "1", "-s", "1", "--seed", "1"], out)
                    best[b] = min(best[b], r["cpu"])
            print(f"{size:>5} lines: " + "  ".join(f"{b}: {1000 * best[b] / n:.3f} ms" for b in args.binaries), flush=True)


def instructions(binary, path, tmp):
    """Instructions a one-worker run of `binary` on `path` executes (callgrind), and the
    lint calls its summary reports."""
    out = tempfile.mkdtemp(dir=tmp)
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", os.path.abspath(binary),
           "-p", path, "-d", os.path.join(out, "o"), "-c", "1", "-s", "1", "--seed", "1"]
    err = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    refs = int(re.search(r"I\s+refs:\s+([\d,]+)", err).group(1).replace(",", ""))
    calls = int(re.search(r"linter calls: (\d+)", err).group(1))
    return refs, calls


if __name__ == "__main__":
    main()
