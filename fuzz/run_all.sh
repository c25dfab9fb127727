#!/usr/bin/env bash
# Fuzzes every target at once for MINUTES minutes each (default 30), without a
# sanitizer (see docs/robustness.md), and keeps the end of each libFuzzer log in
# fuzz/logs/<target>.log. Crashes land in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
minutes=${MINUTES:-30}
targets=(python_lint sampler apply_diff)
mkdir -p logs
[ -d corpus/python_lint ] || python3 make_corpus.py
RUSTC_BOOTSTRAP=1 cargo fuzz build -O -s none
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  RUSTC_BOOTSTRAP=1 cargo fuzz run -O -s none "$t" "corpus/$t" -- \
    -max_total_time=$((minutes * 60)) -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
    >"logs/$t.log" 2>&1 &
done
status=0
for job in $(jobs -p); do
  wait "$job" || status=1
done
for t in "${targets[@]}"; do
  echo "== $t"
  grep -E "^(stat::|Done|==.*ERROR|SUMMARY)" "logs/$t.log" || tail -n 5 "logs/$t.log"
done
exit $status
