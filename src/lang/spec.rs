//! Fixture specs: data-driven cases of expected linter behaviour, one format for every
//! language. A `.cases` file holds cases like
//!
//! ```text
//! === case: reading an unbound name
//! def f():
//!     return y
//! === expect: 2:E0602
//! === case: deleting a header takes its block
//! if x:
//!     y = 1
//! z = 2
//! === dependents 1: 2
//! ```
//!
//! The program is every line between the `=== case` line and the first `===` line after
//! it, joined by "\n". `expect` lists `line:code` pairs (1-based lines; nothing means
//! clean); `dependents N:` lists the lines deleting line N also deletes. A case may have
//! several `dependents` lines. `delete N M ...: LINE:CODE ...` lints the state left
//! after deleting lines N, M, ... in the context of the whole program
//! ([`super::Language::program_context`]), the way the sampler lints it, and expects
//! those findings (lines numbered as in the whole program); a case may have several.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub file: PathBuf,
    /// 1-based line of the `=== case` header in the file.
    pub header_line: usize,
    pub name: String,
    pub program: String,
    /// Expected findings as (1-based line, code), sorted; `None` when the case has no
    /// `expect` line (a dependents-only case).
    pub expect: Option<Findings>,
    /// (1-based deleted line, 1-based dependent lines).
    pub dependents: Vec<(usize, Vec<usize>)>,
    /// (1-based deleted lines, expected findings in the state they leave, as
    /// (1-based line of the whole program, code), sorted).
    pub states: Vec<(Vec<usize>, Findings)>,
}

/// Findings as (1-based line, code).
pub type Findings = Vec<(usize, String)>;

fn bad(file: &Path, line: usize, why: &str) -> String {
    format!("{}:{}: {}", file.display(), line, why)
}

fn parse_numbers(text: &str, file: &Path, line: usize) -> Result<Vec<usize>, String> {
    text.split_whitespace().map(|n| n.parse().map_err(|_| bad(file, line, &format!("not a line number: {n:?}")))).collect()
}

fn parse_findings(list: &str, file: &Path, line: usize) -> Result<Vec<(usize, String)>, String> {
    let mut out = Vec::new();
    for item in list.split_whitespace() {
        let (l, code) = item.split_once(':').ok_or_else(|| bad(file, line, "expected findings are line:CODE"))?;
        let l = l.parse().map_err(|_| bad(file, line, &format!("not a line number: {l:?}")))?;
        out.push((l, code.to_string()));
    }
    out.sort();
    Ok(out)
}

/// Parses the cases of one `.cases` file.
pub fn parse_cases(file: &Path, text: &str) -> Result<Vec<Case>, String> {
    let mut cases: Vec<Case> = Vec::new();
    let mut body: Option<Vec<&str>> = None;
    for (i, line) in text.split('\n').enumerate() {
        let lineno = i + 1;
        let Some(directive) = line.strip_prefix("=== ") else {
            match body.as_mut() {
                Some(lines) => lines.push(line),
                None if line.trim().is_empty() => {}
                None => return Err(bad(file, lineno, "text outside a case")),
            }
            continue;
        };
        if let Some(lines) = body.take() {
            cases.last_mut().expect("a body belongs to a case").program = lines.join("\n");
        }
        if let Some(name) = directive.strip_prefix("case:") {
            cases.push(Case {
                file: file.to_path_buf(),
                header_line: lineno,
                name: name.trim().to_string(),
                program: String::new(),
                expect: None,
                dependents: Vec::new(),
                states: Vec::new(),
            });
            body = Some(Vec::new());
            continue;
        }
        let case = cases.last_mut().ok_or_else(|| bad(file, lineno, "directive before the first case"))?;
        if let Some(list) = directive.strip_prefix("expect:") {
            case.expect = Some(parse_findings(list, file, lineno)?);
        } else if let Some(rest) = directive.strip_prefix("delete ") {
            let (deleted, list) = rest.split_once(':').ok_or_else(|| bad(file, lineno, "delete N ...: LINE:CODE ..."))?;
            case.states.push((parse_numbers(deleted, file, lineno)?, parse_findings(list, file, lineno)?));
        } else if let Some(rest) = directive.strip_prefix("dependents") {
            let (deleted, deps) = rest.split_once(':').ok_or_else(|| bad(file, lineno, "dependents N: lines"))?;
            let deleted = deleted.trim().parse().map_err(|_| bad(file, lineno, "dependents N: lines"))?;
            case.dependents.push((deleted, parse_numbers(deps, file, lineno)?));
        } else {
            return Err(bad(file, lineno, &format!("unknown directive {directive:?}")));
        }
    }
    if let Some(lines) = body.take() {
        if let Some(case) = cases.last_mut() {
            case.program = lines.join("\n");
        }
    }
    Ok(cases)
}

/// Every `.cases` file under `dir`, recursively, in sorted order.
pub fn case_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "cases") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Checks one case against a language; returns a readable failure or `None`.
pub fn check_case(lang: &dyn super::Language, case: &Case) -> Option<String> {
    let mut problems = Vec::new();
    if let Some(expect) = &case.expect {
        let mut got: Vec<(usize, String)> = lang.lint(&case.program).into_iter().map(|d| (d.line + 1, d.code.to_string())).collect();
        got.sort();
        got.dedup();
        if &got != expect {
            let diags: Vec<String> = lang.lint(&case.program).iter().map(|d| d.to_string()).collect();
            problems.push(format!("expected {expect:?}, got {got:?} ({})", diags.join("; ")));
        }
    }
    if !case.dependents.is_empty() {
        let lines: Vec<&str> = case.program.split('\n').collect();
        let ends = lang.dependent_ends(&lines);
        for (deleted, want) in &case.dependents {
            let got: Vec<usize> = (*deleted + 1..=ends.get(deleted - 1).copied().unwrap_or(0)).collect();
            if &got != want {
                problems.push(format!("dependents of line {deleted}: expected {want:?}, got {got:?}"));
            }
        }
    }
    if !case.states.is_empty() {
        let ctx = lang.program_context(&case.program);
        for (deleted, want) in &case.states {
            let kept: Vec<(usize, &str)> = case.program.split('\n').enumerate().filter(|(i, _)| !deleted.contains(&(i + 1))).collect();
            let state: Vec<&str> = kept.iter().map(|(_, l)| *l).collect();
            let diags = lang.lint_in_context(&state.join("\n"), &ctx);
            let mut got: Vec<(usize, String)> = diags.iter().map(|d| (kept.get(d.line).map_or(0, |k| k.0 + 1), d.code.to_string())).collect();
            got.sort();
            got.dedup();
            if &got != want {
                let shown: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
                problems.push(format!("after deleting {deleted:?}: expected {want:?}, got {got:?} ({})", shown.join("; ")));
            }
        }
    }
    if problems.is_empty() {
        None
    } else {
        Some(format!("{}:{} [{}] {}", case.file.display(), case.header_line, case.name, problems.join(" | ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cases() {
        let text = "=== case: a\nx = 1\n\ny\n=== expect: 3:E0602\n=== delete 1: 3:E0602\n=== case: b\nif x:\n  y\n=== dependents 1: 2\n";
        let cases = parse_cases(Path::new("t.cases"), text).unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].program, "x = 1\n\ny");
        assert_eq!(cases[0].expect, Some(vec![(3, "E0602".to_string())]));
        assert_eq!(cases[0].states, vec![(vec![1], vec![(3, "E0602".to_string())])]);
        assert_eq!(cases[1].program, "if x:\n  y");
        assert_eq!(cases[1].dependents, vec![(1, vec![2])]);
        assert!(parse_cases(Path::new("t"), "stray\n").is_err());
    }
}
