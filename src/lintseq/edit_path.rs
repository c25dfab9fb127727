//! Edit paths: turning a deletion sequence into insertion-only unified diffs (SPEC
//! section 4), and applying diffs back.
//!
//! Diffs are computed from the known inserted line indices, never by re-diffing texts,
//! so every diff is insertion-only and applying the path rebuilds the program exactly.

use std::fmt::Write as _;

use super::text::is_blank;

/// Turns deletion edits (in sampling order) into insertion edits (in growth order).
///
/// Lines no edit deleted (comments, blank lines, continuation lines of global
/// definitions) are inserted first, as their own edit, when any of them has content;
/// when they are all blank they join the first insertion instead of forming an edit of
/// blank lines (pylintseq's `.strip()` hides them the same way, but loses them).
pub fn growth_order(line_count: usize, lines: &[&str], deletions: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut deleted = vec![false; line_count];
    for edit in deletions {
        for &l in edit {
            deleted[l] = true;
        }
    }
    let leftover: Vec<usize> = (0..line_count).filter(|&i| !deleted[i]).collect();
    let mut growth: Vec<Vec<usize>> = deletions.iter().rev().cloned().collect();
    if !leftover.is_empty() {
        if leftover.iter().all(|&i| is_blank(lines[i])) && !growth.is_empty() {
            growth[0].extend(leftover);
            growth[0].sort_unstable();
        } else {
            growth.insert(0, leftover);
        }
    }
    growth.retain(|e| !e.is_empty());
    growth
}

/// The unified diffs (zero context, no file headers, difflib hunk headers) of inserting
/// each edit of `growth` in turn, starting from the empty program.
pub fn insertion_diffs(lines: &[&str], growth: &[Vec<usize>]) -> Vec<String> {
    let mut present = vec![false; lines.len()];
    let mut inserted = vec![false; lines.len()];
    let mut diffs = Vec::with_capacity(growth.len());
    for edit in growth {
        for &l in edit {
            inserted[l] = true;
        }
        let mut diff = String::new();
        let mut old_before = 0; // lines of the old state before the current position
        let mut new_pos = 0; // 0-based position in the new state
        let mut i = 0;
        while i < lines.len() {
            if inserted[i] {
                let run_start_new = new_pos;
                let mut run = Vec::new();
                while i < lines.len() && (inserted[i] || !present[i]) {
                    if inserted[i] {
                        run.push(i);
                        new_pos += 1;
                    }
                    i += 1;
                }
                if !diff.is_empty() {
                    diff.push('\n');
                }
                write_hunk_header(&mut diff, old_before, run_start_new, run.len());
                for l in run {
                    diff.push_str("\n+");
                    diff.push_str(lines[l]);
                }
                continue;
            }
            if present[i] {
                old_before += 1;
                new_pos += 1;
            }
            i += 1;
        }
        for &l in edit {
            present[l] = true;
            inserted[l] = false;
        }
        if !diff.is_empty() {
            diffs.push(diff);
        }
    }
    diffs
}

/// `@@ -a,0 +b[,m] @@` as difflib writes it for an insertion after `old_before` lines.
fn write_hunk_header(out: &mut String, old_before: usize, new_start0: usize, len: usize) {
    let new_range = if len == 1 { format!("{}", new_start0 + 1) } else { format!("{},{}", new_start0 + 1, len) };
    let _ = write!(out, "@@ -{old_before},0 +{new_range} @@");
}

/// What went wrong applying a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyError(pub String);

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ApplyError {}

/// The result of applying one diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub lines: Vec<String>,
    /// False if the diff removed or replaced any line.
    pub insertion_only: bool,
    /// 0-based positions in the new state of the lines the diff added.
    pub added: Vec<usize>,
}

fn parse_range(text: &str) -> Option<(usize, usize)> {
    match text.split_once(',') {
        Some((start, len)) => Some((start.parse().ok()?, len.parse().ok()?)),
        None => Some((text.parse().ok()?, 1)),
    }
}

fn parse_header(line: &str) -> Option<((usize, usize), (usize, usize))> {
    let body = line.strip_prefix("@@ -")?.strip_suffix(" @@")?;
    let (old, new) = body.split_once(" +")?;
    Some((parse_range(old)?, parse_range(new)?))
}

/// Applies one zero-context unified diff (hunks as pylintseq writes them) to `state`.
pub fn apply_diff(state: &[String], diff: &str) -> Result<Applied, ApplyError> {
    let mut out: Vec<String> = Vec::with_capacity(state.len() + 8);
    let mut added = Vec::new();
    let mut insertion_only = true;
    let mut cursor = 0; // next old line to copy
    let mut body = diff.split('\n').peekable();
    while let Some(header) = body.next() {
        let ((old_start, old_len), (_, new_len)) =
            parse_header(header).ok_or_else(|| ApplyError(format!("bad hunk header {header:?}")))?;
        // difflib writes an empty range as the line before the gap.
        let old_start0 = if old_len == 0 { old_start } else { old_start.saturating_sub(1) };
        if old_start0 < cursor || old_start0 + old_len > state.len() {
            return Err(ApplyError(format!("hunk {header:?} is out of range for a state of {} lines", state.len())));
        }
        out.extend_from_slice(&state[cursor..old_start0]);
        let (mut removed, mut inserted) = (0, 0);
        while removed < old_len || inserted < new_len {
            let line = body.next().ok_or_else(|| ApplyError(format!("hunk {header:?} ends early")))?;
            if let Some(text) = line.strip_prefix('+') {
                if inserted == new_len {
                    return Err(ApplyError(format!("hunk {header:?} adds more lines than its header says")));
                }
                added.push(out.len());
                out.push(text.to_string());
                inserted += 1;
            } else if let Some(text) = line.strip_prefix('-') {
                if removed == old_len {
                    return Err(ApplyError(format!("hunk {header:?} removes more lines than its header says")));
                }
                if state[old_start0 + removed] != text {
                    return Err(ApplyError(format!("hunk {header:?} removes a line the state does not have")));
                }
                removed += 1;
                insertion_only = false;
            } else {
                return Err(ApplyError(format!("unexpected line {line:?} in hunk {header:?}")));
            }
        }
        cursor = old_start0 + old_len;
    }
    out.extend_from_slice(&state[cursor..]);
    Ok(Applied { lines: out, insertion_only, added })
}

/// Applies a whole edit path to the empty program and returns the final text.
pub fn apply_edit_path<S: AsRef<str>>(path: &[S]) -> Result<String, ApplyError> {
    let mut state: Vec<String> = Vec::new();
    for diff in path {
        state = apply_diff(&state, diff.as_ref())?.lines;
    }
    Ok(state.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<&str> {
        text.split('\n').collect()
    }

    /// Found by the `apply_diff` fuzz target: a hunk whose body removes (or adds) more
    /// lines than its header counts indexed past the state instead of failing.
    #[test]
    fn hunks_longer_than_their_header_are_errors() {
        let err = apply_diff(&[], "@@ -0,0 +1,7 @@\n+x\t3@\n-\0b = x").unwrap_err();
        assert!(err.0.contains("removes more lines than its header says"), "{}", err.0);
        let state = vec!["a".to_string()];
        let err = apply_diff(&state, "@@ -1 +0,0 @@\n+b\n-a").unwrap_err();
        assert!(err.0.contains("adds more lines than its header says"), "{}", err.0);
        // Within their counts, both still apply.
        assert_eq!(apply_diff(&state, "@@ -1 +1 @@\n-a\n+b").unwrap().lines, vec!["b"]);
    }

    #[test]
    fn difflib_headers() {
        let l = lines("import os\nx = 1\ny = 2\nz = 3");
        let diffs = insertion_diffs(&l, &[vec![0, 1], vec![3], vec![2]]);
        assert_eq!(diffs, vec!["@@ -0,0 +1,2 @@\n+import os\n+x = 1", "@@ -2,0 +3 @@\n+z = 3", "@@ -2,0 +3 @@\n+y = 2"]);
    }

    #[test]
    fn several_hunks_in_one_edit() {
        let l = lines("a\nb\nc\nd\ne");
        let diffs = insertion_diffs(&l, &[vec![1, 3], vec![0, 2, 4]]);
        assert_eq!(diffs[1], "@@ -0,0 +1 @@\n+a\n@@ -1,0 +3 @@\n+c\n@@ -2,0 +5 @@\n+e");
    }

    #[test]
    fn rebuilds_exactly_with_whitespace() {
        let code = "  \n\tdef f():\r\n        return 1  \n\n# end\n";
        let l = lines(code);
        let growth = growth_order(l.len(), &l, &[vec![1, 2], vec![4]]);
        let diffs = insertion_diffs(&l, &growth);
        assert_eq!(apply_edit_path(&diffs).unwrap(), code);
    }

    #[test]
    fn blank_leftovers_join_the_first_insertion() {
        let l = lines("x = 1\n\ny = 2");
        let growth = growth_order(3, &l, &[vec![0], vec![2]]);
        assert_eq!(growth, vec![vec![1, 2], vec![0]]);
        let with_comment = lines("# c\nx = 1");
        assert_eq!(growth_order(2, &with_comment, &[vec![1]]), vec![vec![0], vec![1]]);
    }

    #[test]
    fn detects_removals() {
        let state = vec!["a".to_string(), "b".to_string()];
        let applied = apply_diff(&state, "@@ -1 +1 @@\n-a\n+A").unwrap();
        assert_eq!(applied.lines, vec!["A", "b"]);
        assert!(!applied.insertion_only);
        assert!(apply_diff(&state, "@@ -5,0 +6 @@\n+x").is_err());
    }
}
