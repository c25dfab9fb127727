#!/usr/bin/env python3
"""Cost per sample against program length for two or more lintseq binaries, timed in
alternation so that they share the machine's state (load, caches) as far as possible.

The inputs are benches/scaling.py's (25-line corpus programs, whole stdlib modules of
~100, 400 and 1,600 lines), each repeated in turn (p1 p2 .. pk p1 p2 ..) so that every
run does ~0.5 s of work; each binary runs 5 times per size and its fastest CPU time
(user + system, os.wait4) divided by the rows is printed, in ms per sample.

    python3 benches/ab_scaling.py OLD/lintseq NEW/lintseq [--corpus out/corpus.jsonl]
"""

import argparse
import json
import os
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
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size, copies in COPIES.items():
            rows = scaling.rows_for(size, args)
            path = os.path.join(tmp, f"len{size}.jsonl")
            with open(path, "w") as f:
                for _ in range(copies):
                    for row in rows:
                        f.write(json.dumps(row) + "\n")
            best = {b: float("inf") for b in args.binaries}
            for _ in range(args.repeat):
                for b in args.binaries:
                    out = tempfile.mkdtemp(dir=tmp)
                    r = run([os.path.abspath(b), "-q", "-p", path, "-d", os.path.join(out, "o"), "-c", "1", "-s", "1", "--seed", "1"], out)
                    best[b] = min(best[b], r["cpu"])
            n = copies * len(rows)
            print(f"{size:>5} lines: " + "  ".join(f"{b}: {1000 * best[b] / n:.3f} ms" for b in args.binaries), flush=True)


if __name__ == "__main__":
    main()
