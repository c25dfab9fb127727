//! Pins the exact bytes of `lintseq` output on fixtures, so that performance work
//! (incremental parsing, allocation changes in the model and checks) cannot change a
//! single diff or finding unnoticed:
//!
//! - `lintseq run --emit-edit-lines` on `fixtures/corpus/stdlib_sample.jsonl` and
//!   `fixtures/humaneval.jsonl` (seed 1, with 1 and with 2 workers);
//! - `lintseq lint --format json` on every program of `fixtures/probes/python_probes.jsonl`.
//!
//! The golden files live in `fixtures/golden/`. When a linter or sampler change is
//! *meant* to change output, regenerate them and review the diff:
//!
//! ```sh
//! LINTSEQ_BLESS=1 cargo test --test golden
//! git diff --stat fixtures/golden/
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_lintseq");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Compares `got` with the golden file `name`, or rewrites it under `LINTSEQ_BLESS=1`.
fn check(name: &str, got: &[u8], what: &str) {
    let path: PathBuf = root().join("fixtures/golden").join(name);
    if std::env::var_os("LINTSEQ_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if got != want.as_slice() {
        let got = String::from_utf8_lossy(got);
        let want = String::from_utf8_lossy(&want);
        let first = got.lines().zip(want.lines()).position(|(a, b)| a != b);
        panic!(
            "{what} differs from fixtures/golden/{name} (first differing line: {first:?}; {} vs {} lines); \
             if the change is intended, regenerate with LINTSEQ_BLESS=1 cargo test --test golden",
            got.lines().count(),
            want.lines().count()
        );
    }
}

fn run_and_compare(input: &str, output_name: &str) {
    let dir = tempfile::tempdir().unwrap();
    for workers in ["1", "2"] {
        let out = Command::new(BIN)
            // A relative input path: it is written into the `source_file` column.
            .args(["-p", input, "-d", dir.path().to_str().unwrap()])
            .args(["-q", "-c", workers, "--seed", "1", "--emit-edit-lines", "--overwrite"])
            .current_dir(root())
            .output()
            .expect("lintseq runs");
        assert!(out.status.success(), "lintseq failed: {}", String::from_utf8_lossy(&out.stderr));
        let got = std::fs::read(dir.path().join(output_name)).unwrap();
        check(output_name, &got, &format!("lintseq run -c {workers} on {input}"));
    }
}

#[test]
fn stdlib_sample_output_is_byte_identical() {
    run_and_compare("fixtures/corpus/stdlib_sample.jsonl", "stdlib_sample_all_1_1_vec.jsonl");
}

#[test]
fn humaneval_output_is_byte_identical() {
    run_and_compare("fixtures/humaneval.jsonl", "humaneval_all_1_1_vec.jsonl");
}

#[test]
fn probe_lint_findings_are_identical() {
    let probes = std::fs::read_to_string(root().join("fixtures/probes/python_probes.jsonl")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for (i, line) in probes.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let program = row["program"].as_str().expect("every probe has a program");
        let name = format!("p{i:04}.py");
        std::fs::write(dir.path().join(&name), program).unwrap();
        names.push(name);
    }
    let out = Command::new(BIN).arg("lint").args(["--format", "json"]).args(&names).current_dir(dir.path()).output().unwrap();
    assert!(out.status.code().is_some_and(|c| c <= 1), "lint failed: {}", String::from_utf8_lossy(&out.stderr));
    check("python_probes_lint.json", &out.stdout, "lintseq lint on the probes");
}
