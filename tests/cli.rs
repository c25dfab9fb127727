//! The real binaries, each test in its own temporary directory.

use std::path::Path;
use std::process::{Command, Output};

fn lintseq(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lintseq")).args(args).current_dir(dir).output().expect("lintseq runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn lint_reports_json_and_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.py"), "def f(:\n    return 1\n").unwrap();
    std::fs::write(dir.path().join("good.py"), "def f():\n    return 1\n").unwrap();

    let out = lintseq(&["lint", "--format", "json", "bad.py"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let line: serde_json::Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    assert_eq!(line["path"], "bad.py");
    assert_eq!(line["line"], 1);
    assert_eq!(line["code"], "E0001");
    for key in ["column", "message"] {
        assert!(line.get(key).is_some(), "missing {key}");
    }

    let out = lintseq(&["lint", "good.py"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).is_empty());

    let out = lintseq(&["lint", "missing.py"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.py"));
}

#[test]
fn verify_accepts_good_paths_and_rejects_broken_ones() {
    let dir = tempfile::tempdir().unwrap();
    let good = serde_json::json!({
        "edit_path": ["@@ -0,0 +1 @@\n+x = 1", "@@ -1,0 +2 @@\n+y = x"],
        "source_response": "```python\nx = 1\ny = x\n```",
    });
    // Not insertion-only, and it does not rebuild the program.
    let bad = serde_json::json!({
        "edit_path": ["@@ -0,0 +1 @@\n+x = 1", "@@ -1 +1 @@\n-x = 1\n+y = 2"],
        "source_response": "x = 1\ny = x",
    });
    std::fs::write(dir.path().join("good.jsonl"), format!("{good}\n")).unwrap();
    std::fs::write(dir.path().join("bad.jsonl"), format!("{good}\n{bad}\n")).unwrap();

    let out = lintseq(&["verify", "good.jsonl"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("paths rebuilt exactly:       1/1"));

    let out = lintseq(&["verify", "bad.jsonl"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("bad.jsonl:2: diff 1 is not insertion-only"), "{text}");
    assert!(text.contains("bad.jsonl:2: the edit path does not rebuild"), "{text}");
}

#[test]
fn verify_flags_an_unclean_intermediate_program() {
    let dir = tempfile::tempdir().unwrap();
    let row = serde_json::json!({
        "edit_path": ["@@ -0,0 +1 @@\n+if x:", "@@ -1,0 +2 @@\n+    pass"],
        "source_response": "if x:\n    pass",
    });
    std::fs::write(dir.path().join("o.jsonl"), format!("{row}\n")).unwrap();
    let out = lintseq(&["verify", "o.jsonl"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("intermediate program 1 is not clean: line 1 E0001"), "{}", stdout(&out));
}

#[test]
fn languages_lists_python_and_its_checks() {
    let dir = tempfile::tempdir().unwrap();
    let out = lintseq(&["languages"], dir.path());
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.starts_with("python"));
    assert!(text.contains("E0001"));
}

#[test]
fn pylintseq_alias_takes_the_same_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pylintseq")).arg("--help").current_dir(dir.path()).output().unwrap();
    assert!(out.status.success());
    let help = stdout(&out);
    for flag in ["--name_or_path", "--dest_dir", "--num_samples", "--num_workers", "--num_edit_paths_per_sample", "--seed", "--code_data_field", "--prompt_data_field"] {
        assert!(help.contains(flag), "missing {flag}");
    }
}

#[test]
fn bad_flag_values_give_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = lintseq(&["-p", "x.jsonl", "-n", "many"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("-n/--num_samples"), "{err}");
    assert_eq!(err.trim().lines().count(), 1);
}
