#!/usr/bin/env bash
# Reproduces the engine's fidelity numbers (README "Fidelity"):
#   1. HumanEval and >= 2,000 real stdlib programs through `lintseq` (seed 1), then
#      `lintseq verify` and benches/fidelity.py (ast.parse of every intermediate program,
#      new pyflakes undefined names, insertion-only diffs, exact rebuilds, edit shape);
#   2. the same shape numbers for pylintseq's reference output on HumanEval;
#   3. flagged-line agreement with pylint on the probe sets (benches/agreement.py).
# Usage: benches/acceptance.sh [corpus size, default 3000] [large probe count, default 1500]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-3000}
probes=${2:-1500}
out=out/acceptance
mkdir -p "$out"
cargo build --release --bins -q
bin=target/release/lintseq

[ -f out/corpus.jsonl ] || python3 benches/corpus.py --limit "$size" --seed 1 --out out/corpus.jsonl
for input in fixtures/humaneval.jsonl out/corpus.jsonl; do
  "$bin" -p "$input" -d "$out" -s 1 --seed 1 -c 2 -q --overwrite
done
for result in "$out"/humaneval_all_1_1_vec.jsonl "$out"/corpus_all_1_1_vec.jsonl; do
  echo "== lintseq verify $result"
  "$bin" verify "$result" || true
done
echo "== fidelity (ours, then pylintseq 0.0.2 on HumanEval)"
python3 benches/fidelity.py "$out"/humaneval_all_1_1_vec.jsonl "$out"/corpus_all_1_1_vec.jsonl \
  ../shared/data/humaneval.pylintseq-0.0.2.seed1.jsonl --dump "$out"/problems.jsonl

large=out/probes/python_probes_large.jsonl
[ -f "$large" ] || python3 benches/probes.py --corpus out/corpus.jsonl --count "$probes" --seed 1 --out "$large"
for probe_file in fixtures/probes/python_probes.jsonl "$large"; do
  echo "== agreement with pylint: $probe_file"
  python3 benches/agreement.py --bin "$bin" "$probe_file" --dump "$out/disagreements_$(basename "$probe_file")"
done
