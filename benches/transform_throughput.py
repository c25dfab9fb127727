"""Rows per second of `lintseq.transform` on a pyarrow table against the command line
on the same data, same seed and thread count.

    python benches/transform_throughput.py [--data FILE.jsonl] [--threads 2] [--repeat 3]

Needs the wheel installed (`pip install .` or `bash tests/python_pkg/run.sh`, then
this environment's python). The command line is the wheel's `lintseq` console script
(the same Rust code as the binary, built the same way) unless `--cli` names another.
Runs alternate (command line, transform, command line, ...) so that load from other
jobs on the machine hits both alike; the medians are compared.

The command line's rows/s is the one its summary prints (reading JSON Lines, sampling,
writing the output, without process start); transform's is rows over the wall time of
the call (the table is loaded beforehand, as a caller holding data in memory has it).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

import lintseq

REPO = Path(__file__).resolve().parents[1]


def default_data() -> Path:
    corpus = REPO / "out/corpus.jsonl"  # benches/corpus.py: 3,000 stdlib programs
    return corpus if corpus.exists() else REPO / "fixtures/corpus/stdlib_sample.jsonl"


def default_cli() -> str:
    found = shutil.which("lintseq", path=str(Path(sys.executable).parent)) or shutil.which("lintseq")
    if not found:
        sys.exit("no lintseq command found; install the wheel or pass --cli")
    return found


def cli_rows_per_second(cli: str, data: Path, threads: int, seed: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [cli, "-p", str(data), "-d", out, "-c", str(threads), "--seed", str(seed)],
            capture_output=True, text=True, check=True,
        )
    summary = re.search(r"\(([\d.]+) rows/s\)", done.stderr)
    if not summary:
        sys.exit(f"no rows/s in the command line's summary:\n{done.stderr}")
    return float(summary.group(1))


def transform_rows_per_second(table: pa.Table, threads: int, seed: int) -> float:
    started = time.perf_counter()
    out = lintseq.transform(table, seed=seed, num_threads=threads)
    elapsed = time.perf_counter() - started
    assert out.num_rows > 0
    return table.num_rows / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_data())
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cli", default=None)
    args = parser.parse_args()
    cli = args.cli or default_cli()
    with open(args.data, encoding="utf-8") as f:
        table = pa.Table.from_pylist([json.loads(line) for line in f if line.strip()])
    print(f"{args.data}: {table.num_rows} rows, {args.threads} threads, lintseq {lintseq.__version__}")
    cli_runs, transform_runs = [], []
    for run in range(args.repeat):
        cli_runs.append(cli_rows_per_second(cli, args.data, args.threads, args.seed))
        transform_runs.append(transform_rows_per_second(table, args.threads, args.seed))
        print(f"  run {run + 1}: command line {cli_runs[-1]:.1f} rows/s, transform {transform_runs[-1]:.1f} rows/s")
    cli_median, transform_median = statistics.median(cli_runs), statistics.median(transform_runs)
    print(f"median: command line {cli_median:.1f} rows/s, transform {transform_median:.1f} rows/s, "
          f"transform / command line = {transform_median / cli_median:.0%}")


if __name__ == "__main__":
    main()
