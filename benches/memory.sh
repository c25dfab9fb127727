#!/usr/bin/env bash
# Peak memory and throughput of the pipeline on a large Parquet input.
#
#   benches/memory.sh [SIZE_GB] [WORKERS]      (defaults: 2 GiB, all cores)
#
# Generates SIZE_GB of real-ish code rows (benches/gen_parquet.py; kept in
# $LINTSEQ_BENCH_DIR, default /tmp/lintseq-bench, and reused), builds the release
# binary, then runs it under /usr/bin/time -v three ways:
#   1. every row, --sampler random: the whole file through reader, kernel and writer
#      with no linter, so the run is bound by the data path (the memory test);
#   2. -n 20000 with the linter: a uniform sample drawn across the whole file;
#   3. every row with the linter on the first shard-sized slice (-n 5000 from a
#      0.05 GiB file) for the linter's rows/s.
# Reports peak RSS (target: <= 300 MB) and rows/s for each. Takes a while; the CPU
# is used fully, so do not run it alongside other benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_GB="${1:-2}"
WORKERS="${2:-$(nproc)}"
DIR="${LINTSEQ_BENCH_DIR:-/tmp/lintseq-bench}"
BIG="$DIR/code-${SIZE_GB}g.parquet"
SMALL="$DIR/code-0.05g.parquet"
BIN="${LINTSEQ_BIN:-target/release/lintseq}"

mkdir -p "$DIR"
[ -f "$BIG" ] || python3 benches/gen_parquet.py --out "$BIG" --size-gb "$SIZE_GB"
[ -f "$SMALL" ] || python3 benches/gen_parquet.py --out "$SMALL" --size-gb 0.05
if [ -z "${LINTSEQ_BIN:-}" ]; then
  cargo build --release --bin lintseq
fi

measure() {
  local name="$1"; shift
  local out="$DIR/out-$name"
  rm -rf "$out"
  local log="$DIR/time-$name.log"
  /usr/bin/time -v "$BIN" "$@" -d "$out" -c "$WORKERS" -q 2> "$log" >/dev/null || { cat "$log"; exit 1; }
  local rss_kb wall
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
  local rows
  rows=$(python3 - "$out" <<'PY'
import sys, pathlib, pyarrow.parquet as pq
print(sum(pq.ParquetFile(p).metadata.num_rows for p in pathlib.Path(sys.argv[1]).rglob("*.parquet")))
PY
)
  python3 - "$name" "$rss_kb" "$wall" "$rows" "$*" <<'PY'
import sys
name, rss_kb, wall, rows, args = sys.argv[1:]
parts = [float(p) for p in wall.split(":")]
seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
print(f"{name:>14}: peak RSS {int(rss_kb) / 1024:7.1f} MiB, {seconds:8.1f} s wall, "
      f"{rows} rows written, {int(rows) / seconds:9.1f} rows/s  ({args})")
PY
}

echo "input: $BIG ($(du -h "$BIG" | cut -f1)), workers: $WORKERS"
measure random-all -p "$BIG" --sampler random
measure linter-n20000 -p "$BIG" -n 20000
measure linter-small -p "$SMALL" -n 5000
