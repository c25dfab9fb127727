//! Crash safety: the real binary is killed with SIGKILL at a few points, then resumed
//! with `--resume`; the final output (and its rejects file) must be byte-identical to
//! an uninterrupted run, for JSON Lines, Parquet and sharded input. Write errors give
//! one message and leave nothing under a final name.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_lintseq");

/// `rows` small programs (each sampled quickly), plus one row without code so that the
/// rejects file is exercised too.
fn write_fixture(path: &Path, rows: usize, offset: usize) {
    let mut text = String::new();
    for i in offset..offset + rows {
        let code = format!("def f{i}(a):\n    b = a + {i}\n    return b\n\nprint(f{i}({}))\n", i % 7);
        text.push_str(&serde_json::json!({"instruction": format!("task {i}"), "response": code}).to_string());
        text.push('\n');
        if i == offset + rows / 2 {
            text.push_str("{\"instruction\": \"no code\", \"response\": null}\n");
        }
    }
    std::fs::write(path, text).unwrap();
}

fn command(input: &Path, dest: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("-p").arg(input).arg("-d").arg(dest).args(["-c", "2", "-q"]).args(extra);
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    cmd
}

fn run_to_end(mut cmd: Command) {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "run failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Starts the run and SIGKILLs it as soon as `ready` holds; false if it ended first.
fn kill_when(mut cmd: Command, ready: impl Fn() -> bool) -> bool {
    let mut child = cmd.spawn().unwrap();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "the run failed before it could be killed");
            return false;
        }
        if ready() {
            child.kill().unwrap(); // SIGKILL on Unix
            child.wait().unwrap();
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn progress(output: &Path) -> Option<serde_json::Value> {
    let name = output.file_name().unwrap().to_string_lossy();
    let text = std::fs::read(output.with_file_name(format!(".{name}.progress"))).ok()?;
    serde_json::from_slice(&text).ok()
}

fn partial_len(output: &Path) -> u64 {
    let name = output.file_name().unwrap().to_string_lossy();
    std::fs::metadata(output.with_file_name(format!(".{name}.partial"))).map_or(0, |m| m.len())
}

/// Every file under `dir` (relative path, bytes), hidden ones included.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn assert_same_tree(reference: &Path, resumed: &Path) {
    let (a, b) = (tree(reference), tree(resumed));
    let names = |t: &[(PathBuf, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b), "the resumed run left other files");
    for ((path, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{} differs from the uninterrupted run", path.display());
    }
}

#[test]
fn jsonl_killed_twice_then_resumed_is_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("rows.jsonl");
    write_fixture(&input, 3000, 0);
    let (reference, resumed) = (tmp.path().join("reference"), tmp.path().join("resumed"));
    let flags = ["--batch-size", "100"];
    run_to_end(command(&input, &reference, &flags));
    let output = resumed.join("rows_all_1_1_vec.jsonl");

    // Killed once something is committed, then again a few batches further on.
    let killed = kill_when(command(&input, &resumed, &flags), || progress(&output).is_some());
    assert!(killed, "the run ended before its first commit point");
    assert!(!output.exists(), "a killed run left a file under the final name");
    let first = progress(&output).unwrap()["next_batch"].as_u64().unwrap();
    let resume: Vec<&str> = flags.iter().copied().chain(["--resume"]).collect();
    kill_when(command(&input, &resumed, &resume), || {
        progress(&output).is_some_and(|p| p["next_batch"].as_u64().unwrap() >= first + 3)
    });
    assert!(!output.exists() || progress(&output).is_none());
    run_to_end(command(&input, &resumed, &resume));
    assert_same_tree(&reference, &resumed);

    // Resuming a complete output keeps it.
    run_to_end(command(&input, &resumed, &resume));
    assert_same_tree(&reference, &resumed);
}

#[test]
fn parquet_killed_after_a_row_group_and_during_recovery_is_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("rows.jsonl");
    // 2 paths a row and 1,000-row groups: 12,000 output rows in 12 groups, so the run
    // is killed with most of its groups still to come.
    write_fixture(&input, 6000, 0);
    let (reference, resumed) = (tmp.path().join("reference"), tmp.path().join("resumed"));
    let flags = ["--format", "parquet", "-s", "2", "--batch-size", "500", "--row-group-size", "1000"];
    run_to_end(command(&input, &reference, &flags));
    let output = resumed.join("rows_all_2_1_vec.parquet");

    let killed = kill_when(command(&input, &resumed, &flags), || progress(&output).is_some());
    assert!(killed, "the run ended before its first row group was committed");
    let committed = progress(&output).unwrap()["output_bytes"].as_u64().unwrap();
    assert!(partial_len(&output) >= committed);
    let resume: Vec<&str> = flags.iter().copied().chain(["--resume"]).collect();
    // Killed again while the committed part is being rebuilt or just after.
    kill_when(command(&input, &resumed, &resume), || partial_len(&output) > 0);
    run_to_end(command(&input, &resumed, &resume));
    assert_same_tree(&reference, &resumed);
}

#[test]
fn sharded_input_resumes_after_the_completed_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let shards = tmp.path().join("shards");
    std::fs::create_dir(&shards).unwrap();
    for k in 0..3 {
        write_fixture(&shards.join(format!("train-{k:05}-of-00003.jsonl")), 600, k * 1000);
    }
    let (reference, resumed) = (tmp.path().join("reference"), tmp.path().join("resumed"));
    let flags = ["--batch-size", "100"];
    run_to_end(command(&shards, &reference, &flags));
    let first = resumed.join("train-00000-of-00003.jsonl");
    let second = resumed.join("train-00001-of-00003.jsonl");
    kill_when(command(&shards, &resumed, &flags), || first.exists() && progress(&second).is_some());
    let resume: Vec<&str> = flags.iter().copied().chain(["--resume"]).collect();
    let out = command(&shards, &resumed, &resume).stderr(Stdio::piped()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_same_tree(&reference, &resumed);
}

#[test]
fn resume_refuses_other_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("rows.jsonl");
    write_fixture(&input, 3000, 0);
    let dest = tmp.path().join("out");
    let output = dest.join("rows_all_1_1_vec.jsonl");
    kill_when(command(&input, &dest, &["--batch-size", "100"]), || progress(&output).is_some());
    let out = command(&input, &dest, &["--batch-size", "100", "--resume", "--max-lint-calls", "7"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot resume"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

fn assert_one_line_error(out: &std::process::Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "expected a failure");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "not one line: {stderr}");
    assert!(stderr.starts_with("lintseq: error: ") && stderr.contains(needle), "{stderr}");
}

#[test]
fn an_unwritable_destination_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("rows.jsonl");
    write_fixture(&input, 5, 0);
    // A destination that is a file fails for every user, root included.
    let dest = tmp.path().join("taken");
    std::fs::write(&dest, "not a directory").unwrap();
    let out = command(&input, &dest, &[]).output().unwrap();
    assert_one_line_error(&out, "taken");
    assert_eq!(std::fs::read(&dest).unwrap(), b"not a directory");

    // A read-only directory (root may write there anyway: then there is nothing to test).
    let locked = tmp.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    let mut perms = std::fs::metadata(&locked).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(&locked, perms).unwrap();
    if std::fs::write(locked.join("probe"), "x").is_err() {
        let out = command(&input, &locked, &[]).output().unwrap();
        assert_one_line_error(&out, "ermission denied");
        assert_eq!(std::fs::read_dir(&locked).unwrap().count(), 0, "a file was left behind");
    }
}
