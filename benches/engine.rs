//! Criterion benchmarks of the engine's three layers, on HumanEval (164 short programs,
//! `fixtures/humaneval.jsonl`) and one longer stdlib program (`fixtures/corpus/`):
//!
//! - `lint/*`: one call of the Python linter on a whole program;
//! - `sample/*`: one edit path sampled and written as diffs (`sample_edit_path`), i.e.
//!   every lint call of one program plus the diff writing;
//! - `kernel/humaneval`: the batch kernel (`kernel::run`) on all 164 rows, one thread.
//!
//! ```sh
//! cargo bench --bench engine            # all
//! cargo bench --bench engine -- lint/   # one group
//! ```
//!
//! End-to-end throughput against pylintseq is `benches/throughput.py`; the numbers and
//! the method are in `docs/benchmarks.md`.

use std::hint::black_box;
use std::path::Path;

use arrow::array::{Array, StringArray};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lintseq::kernel::{self, KernelConfig};
use lintseq::lang::{self, Language};
use lintseq::lintseq::fence::strip_chain_of_thought;
use lintseq::pipeline::LangChoice;
use lintseq::{sample_edit_path, SamplerConfig};

fn responses(file: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let row: serde_json::Value = serde_json::from_str(l).unwrap();
            row["response"].as_str().unwrap().to_string()
        })
        .collect()
}

fn python() -> &'static dyn Language {
    lang::by_name("python").expect("python is registered")
}

/// The programs as the sampler sees them (fences stripped).
fn programs(file: &str) -> Vec<String> {
    let py = python();
    responses(file).iter().map(|r| strip_chain_of_thought(r, py.fence_tags()).into_owned()).collect()
}

/// The longest program of the stdlib sample (a few hundred lines).
fn long_program() -> String {
    programs("fixtures/corpus/stdlib_sample.jsonl").into_iter().max_by_key(|p| p.lines().count()).unwrap()
}

fn bench_lint(c: &mut Criterion) {
    let py = python();
    let humaneval = programs("fixtures/humaneval.jsonl");
    let long = long_program();
    let mut group = c.benchmark_group("lint");
    group.throughput(Throughput::Elements(humaneval.len() as u64));
    group.bench_function("humaneval_all_164", |b| {
        b.iter(|| {
            for p in &humaneval {
                black_box(py.lint(black_box(p)));
            }
        })
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function(format!("stdlib_{}_lines", long.lines().count()), |b| b.iter(|| black_box(py.lint(black_box(&long)))));
    group.finish();
}

fn bench_sample(c: &mut Criterion) {
    let py = python();
    let cfg = SamplerConfig::default();
    let humaneval = programs("fixtures/humaneval.jsonl");
    let long = long_program();
    let mut group = c.benchmark_group("sample");
    group.sample_size(20);
    group.throughput(Throughput::Elements(humaneval.len() as u64));
    group.bench_function("humaneval_all_164", |b| {
        b.iter(|| {
            for (row, p) in humaneval.iter().enumerate() {
                let _ = black_box(sample_edit_path(py, black_box(p), &cfg, 1, row as u64, 0));
            }
        })
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function(format!("stdlib_{}_lines", long.lines().count()), |b| {
        b.iter(|| black_box(sample_edit_path(py, black_box(&long), &cfg, 1, 0, 0)))
    });
    group.finish();
}

fn bench_kernel(c: &mut Criterion) {
    let code = StringArray::from(responses("fixtures/humaneval.jsonl"));
    let rows: Vec<u64> = (0..code.len() as u64).collect();
    let cfg = KernelConfig {
        lang: LangChoice::Fixed(python()),
        sampler: SamplerConfig::default(),
        seed: 1,
        paths_per_sample: 1,
        emit_edit_lines: false,
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut group = c.benchmark_group("kernel");
    group.sample_size(20);
    group.throughput(Throughput::Elements(code.len() as u64));
    group.bench_function("humaneval_164_rows_1_thread", |b| b.iter(|| black_box(kernel::run(&pool, &cfg, &code, &rows))));
    group.finish();
}

criterion_group!(benches, bench_lint, bench_sample, bench_kernel);
criterion_main!(benches);
