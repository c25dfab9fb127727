//! The bad-input battery, through the real binary in temporary directories: malformed
//! and hostile rows never crash a run, and no row is lost without a count and a reason
//! (output rows + lines of `<output>.rejects.jsonl` = input rows x paths). Where the
//! input as a whole is unusable, the error is one clear line and nothing is left under
//! a final name.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_lintseq");
const SHARD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/parquet/humaneval");

fn lintseq(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn row(code: Value) -> String {
    json!({"instruction": "do it", "response": code}).to_string()
}

/// Runs on `input`; returns (exit status, stderr, output lines, reject objects).
fn run_jsonl(input: &Path, extra: &[&str]) -> (Output, Vec<Value>, Vec<Value>) {
    let dest = input.parent().unwrap().join("out");
    let mut args = vec!["-p", input.to_str().unwrap(), "-d", dest.to_str().unwrap(), "-c", "2", "--overwrite"];
    args.extend_from_slice(extra);
    let out = lintseq(&args);
    let stem = input.file_name().unwrap().to_str().unwrap().split('.').next().unwrap().to_string();
    let output = dest.join(format!("{stem}_all_1_1_vec.jsonl"));
    let read = |path: PathBuf| -> Vec<Value> {
        std::fs::read_to_string(path)
            .map(|t| t.lines().map(|l| serde_json::from_str(l).unwrap()).collect())
            .unwrap_or_default()
    };
    let rows = read(output.clone());
    let rejects = read(dest.join(format!("{stem}_all_1_1_vec.jsonl.rejects.jsonl")));
    (out, rows, rejects)
}

fn reasons(rejects: &[Value]) -> Vec<(u64, String)> {
    rejects.iter().map(|r| (r["index"].as_u64().unwrap(), r["reason"].as_str().unwrap().to_string())).collect()
}

fn assert_one_line_error(out: &Output, needles: &[&str]) {
    assert_eq!(out.status.code(), Some(2), "expected an error, got {:?}: {}", out.status, stderr(out));
    let text = stderr(out);
    assert_eq!(text.trim().lines().count(), 1, "not one line: {text}");
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} not in: {text}");
    }
}

fn assert_no_output(dest: &Path) {
    let left: Vec<_> = std::fs::read_dir(dest).map(|d| d.map(|e| e.unwrap().file_name()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn hostile_rows_are_written_or_rejected_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("hostile.jsonl");
    let deep_if: String =
        (0..1000).map(|i| format!("{}if x{i}:\n", "    ".repeat(i))).collect::<String>() + &"    ".repeat(1000) + "pass\n";
    let rows = [
        row(json!("x = 1\ny = x\n")),                                            // 0: fine
        "{\"instruction\": \"broken\", \"response\": \"x = 1\"".to_string(),     // 1: malformed JSON
        row(Value::Null),                                                        // 2: null code
        row(json!(42)),                                                          // 3: a number
        row(json!(["x = 1"])),                                                   // 4: a list
        row(json!("")),                                                          // 5: empty
        row(json!("   \n\n# only a comment\n")),                                 // 6: nothing deletable
        row(json!(deep_if)),                                                     // 7: 1,000-deep blocks
        row(json!(format!("x = {}1{}\ny = x\n", "(".repeat(1000), ")".repeat(1000)))), // 8: deep brackets
        row(json!(format!("s = '{}'\nt = s\n", "a".repeat(1 << 20)))),           // 9: a 1 MiB line
        row(json!("x = 1\u{0}\ny = x\n")),                                       // 10: NUL byte
        row(json!("def f(a):\r\n\tb = a\r\n\treturn b\r\n\r\nprint(f(1))\r\n")), // 11: CRLF and tabs
        row(json!("Sure!\n```python\nThis is just English, not code at all.\nIt has two lines.\n```")), // 12
        "[1, 2, 3]".to_string(),                                                 // 13: not an object
        "\u{1}\u{2}garbage\u{7f}".to_string(),                                   // 14: binary garbage
    ];
    let mut bytes = rows.join("\n").into_bytes();
    bytes.extend_from_slice(b"\n{\"instruction\": \"x\", \"response\": \"a = \xff\xfe\"}\n"); // 15: invalid UTF-8
    std::fs::write(&input, &bytes).unwrap();
    let (out, written, rejects) = run_jsonl(&input, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(written.len() + rejects.len(), 16, "a row was lost without a reason");
    let got = reasons(&rejects);
    for expected in [
        (1, "bad_json"),
        (2, "no_code"),
        (3, "no_code"),
        (4, "no_code"),
        (5, "nothing_deletable"),
        (6, "nothing_deletable"),
        (13, "bad_json"),
        (14, "bad_json"),
        (15, "bad_json"),
    ] {
        assert!(got.contains(&(expected.0, expected.1.to_string())), "row {} not rejected as {}: {got:?}", expected.0, expected.1);
    }
    for reject in &rejects {
        assert_eq!(reject["source_file"], json!(input.to_str().unwrap()));
        assert_eq!(reject["path"], json!(0));
    }
    let malformed = rejects.iter().find(|r| r["index"] == json!(1)).unwrap();
    assert!(malformed["detail"].as_str().unwrap().starts_with("line 2: "), "{malformed}");
    let text = stderr(&out);
    assert!(text.contains("hostile.jsonl:2: skipped, not a JSON object"), "{text}");
    assert!(text.contains("bad_json 4") && text.contains("no_code 3"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    // Rows 0, 9, 10 and 11 are ordinary programs; every written path rebuilds exactly.
    let indices: Vec<u64> = written.iter().map(|r| r["index"].as_u64().unwrap()).collect();
    for must in [0, 9, 10, 11] {
        assert!(indices.contains(&must), "row {must} missing: {indices:?} / {got:?}");
    }
    let output = tmp.path().join("out/hostile_all_1_1_vec.jsonl");
    let verified = lintseq(&["verify", output.to_str().unwrap()]);
    let report = String::from_utf8_lossy(&verified.stdout);
    assert!(!report.contains("does not rebuild") && !report.contains("not insertion-only"), "{report}");
    let crlf = written.iter().find(|r| r["index"] == json!(11)).unwrap();
    assert!(crlf["edit_path"].as_array().unwrap().iter().any(|d| d.as_str().unwrap().contains("\tb = a\r")));
}

#[test]
fn strict_aborts_on_the_first_malformed_line() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("rows.jsonl");
    std::fs::write(&input, format!("{}\n{{not json\n{}\n", row(json!("x = 1")), row(json!("y = 2")))).unwrap();
    let (out, _, _) = run_jsonl(&input, &["--strict"]);
    assert_one_line_error(&out, &["rows.jsonl:2: not a JSON object"]);
    assert_no_output(&tmp.path().join("out"));
}

#[test]
fn a_missing_code_or_prompt_column_lists_the_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("rows.jsonl");
    std::fs::write(&input, "{\"question\": \"q\", \"answer\": \"x = 1\"}\n").unwrap();
    let (out, _, _) = run_jsonl(&input, &[]);
    assert_one_line_error(&out, &["no column \"response\"", "question, answer"]);
    let (out, _, _) = run_jsonl(&input, &["--code_data_field", "answer"]);
    assert_one_line_error(&out, &["no column \"instruction\"", "question, answer"]);
    assert_no_output(&tmp.path().join("out"));
    let dest = tmp.path().join("pq");
    let out = lintseq(&["-p", SHARD, "-d", dest.to_str().unwrap(), "--code_data_field", "nope"]);
    assert_one_line_error(&out, &["no column \"nope\"", "response"]);
}

#[test]
fn an_empty_file_gives_an_empty_output() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("empty.jsonl");
    std::fs::write(&input, "").unwrap();
    let (out, written, rejects) = run_jsonl(&input, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(written.is_empty() && rejects.is_empty());
    assert!(stderr(&out).contains("read 0 rows"), "{}", stderr(&out));
}

#[test]
fn truncated_corrupt_or_garbage_parquet_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let shard = Path::new(SHARD).join("data/train-00000-of-00002.parquet");
    let good = std::fs::read(&shard).unwrap();
    let mut corrupt = good.clone();
    let middle = corrupt.len() / 2;
    for byte in &mut corrupt[middle - 64..middle + 64] {
        *byte ^= 0x5a;
    }
    let mut garbage = Vec::new();
    let mut state = 12345u64;
    for _ in 0..5000 {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        garbage.push((state >> 33) as u8);
    }
    let cases: [(&str, &[u8]); 4] =
        [("truncated", &good[..good.len() / 2]), ("footer_cut", &good[..good.len() - 3]), ("corrupt", &corrupt), ("garbage", &garbage)];
    for (name, bytes) in cases {
        let input = tmp.path().join(format!("{name}.parquet"));
        std::fs::write(&input, bytes).unwrap();
        let dest = tmp.path().join(format!("out_{name}"));
        let out = lintseq(&["-p", input.to_str().unwrap(), "-d", dest.to_str().unwrap(), "-q"]);
        // A corruption the decoder does not notice still yields a complete output;
        // anything else is one line naming the file, and no output under its final name.
        if out.status.success() {
            continue;
        }
        assert_one_line_error(&out, &[&format!("{name}.parquet")]);
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
        let finals: Vec<_> = std::fs::read_dir(&dest)
            .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| !n.starts_with('.')).collect())
            .unwrap_or_default();
        assert!(finals.is_empty(), "{name}: left {finals:?}");
    }
    // Garbage under a JSON Lines name is a file of malformed rows, each counted.
    let input = tmp.path().join("garbage.jsonl");
    std::fs::write(&input, &garbage).unwrap();
    let (out, written, rejects) = run_jsonl(&input, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(written.is_empty());
    assert!(!rejects.is_empty() && rejects.iter().all(|r| r["reason"] == json!("bad_json")));
}

#[test]
fn a_100000_line_program_is_rejected_by_the_work_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("huge.jsonl");
    let huge: String = (0..100_000).map(|i| format!("x{i} = {i}\n")).collect();
    std::fs::write(&input, format!("{}\n{}\n", row(json!(huge)), row(json!("a = 1\nb = a\n")))).unwrap();
    // One lint of the whole program fits in this budget, the second does not: the row is
    // rejected after a bounded amount of work, the same on every machine.
    let (out, written, rejects) = run_jsonl(&input, &["--max-lint-lines", "150000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(written.len(), 1);
    assert_eq!(reasons(&rejects), vec![(0, "budget".to_string())]);
    assert!(rejects[0]["detail"].as_str().unwrap().contains("150000 lines linted"));
}
