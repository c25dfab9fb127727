//! The backward sampler of LintSeq (SPEC section 2): repeatedly delete a drawn line plus
//! everything that then depends on it, until nothing deletable is left.

use std::collections::HashSet;

use rand::Rng;

use super::config::{SamplerConfig, Strategy};
use super::rng::PathRng;
use super::text::{is_blank, is_py_space};
use crate::lang::{line_indents, Language, ProgramContext};

/// Why a program yields no edit path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reject {
    /// No line may be deleted (empty, blank or comment-only program).
    NothingDeletable,
    /// The program needed more lint calls than `max_lint_calls`, or more lines linted
    /// than `max_lint_lines`.
    Budget,
}

impl Reject {
    pub fn reason(self) -> &'static str {
        match self {
            Reject::NothingDeletable => "nothing_deletable",
            Reject::Budget => "budget",
        }
    }
}

/// A sampled backward trajectory: the deletion edits in the order they were sampled,
/// each a sorted list of 0-based line indices of the original program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletions {
    pub edits: Vec<Vec<usize>>,
    /// Lint calls spent (the unit of the work budget).
    pub lint_calls: usize,
}

/// A program split into lines the way LintSeq addresses them (`code.split("\n")`).
pub struct Program<'a> {
    pub lines: Vec<&'a str>,
    code: &'a str,
    /// Byte offset of each line in `code`.
    starts: Vec<usize>,
    indents: Vec<usize>,
    dependent_ends: Vec<usize>,
}

impl<'a> Program<'a> {
    pub fn new(lang: &dyn Language, code: &'a str) -> Self {
        let lines: Vec<&str> = code.split('\n').collect();
        let mut starts = Vec::with_capacity(lines.len());
        let mut at = 0;
        for line in &lines {
            starts.push(at);
            at += line.len() + 1;
        }
        let indents = line_indents(&lines);
        let dependent_ends = lang.dependent_ends(&lines);
        Program { lines, code, starts, indents, dependent_ends }
    }

    /// The text of the program with the lines marked in `deleted` removed, and for each
    /// line of that text its index in the original program.
    pub fn render(&self, deleted: &[bool]) -> (String, Vec<usize>) {
        let mut text = String::with_capacity(self.code.len());
        let mut origin = Vec::with_capacity(self.lines.len());
        // Each run of kept lines is one slice of the program, newlines included. The runs
        // are found with `memchr` over the marks, not a line at a time: a long program's
        // states are long runs between a few deleted lines.
        let marks = bool_bytes(deleted);
        let n = self.lines.len();
        let mut i = 0;
        while i < n {
            let Some(first) = next_mark(marks, i, n, 0) else { break };
            i = next_mark(marks, first, n, 1).unwrap_or(n);
            if !origin.is_empty() {
                text.push('\n');
            }
            let end = self.starts[i - 1] + self.lines[i - 1].len();
            text.push_str(&self.code[self.starts[first]..end]);
            origin.extend(first..i);
        }
        (text, origin)
    }
}

/// The first index in `from..to` whose mark is `value`: the first few looked at one by
/// one (short runs, short programs), the rest with `memchr`.
#[inline]
fn next_mark(marks: &[u8], from: usize, to: usize, value: u8) -> Option<usize> {
    let near = to.min(from + 64);
    match marks[from..near].iter().position(|&m| m == value) {
        Some(k) => Some(from + k),
        None => memchr::memchr(value, &marks[near..to]).map(|k| near + k),
    }
}

/// The bytes of a `bool` slice: 0 for `false`, 1 for `true`.
fn bool_bytes(flags: &[bool]) -> &[u8] {
    // SAFETY: `bool` has the size and alignment of `u8` and is always 0 or 1, so every
    // `bool` is a valid `u8`; the slice keeps the borrow's lifetime.
    unsafe { std::slice::from_raw_parts(flags.as_ptr().cast::<u8>(), flags.len()) }
}

/// Lines that may be drawn, per SPEC section 2 (comments, imports, global definitions).
pub fn candidate_lines(lang: &dyn Language, lines: &[&str], cfg: &SamplerConfig) -> Vec<usize> {
    let is_comment = |line: &str| {
        let body = line.trim_start_matches(is_py_space);
        lang.comment_prefixes().iter().any(|p| body.starts_with(p))
    };
    let basic: Vec<usize> = (0..lines.len())
        .filter(|&i| !(cfg.ignore_imports && lines[i].contains("import")))
        .filter(|&i| !(cfg.ignore_comments && (is_blank(lines[i]) || is_comment(lines[i]))))
        .collect();
    if !cfg.ignore_global_defs {
        return basic;
    }
    // The continuation lines of `UPPER_NAME = (` / `UPPER_NAME = [` definitions are not
    // candidates; the opening line is.
    let mut out = Vec::with_capacity(basic.len());
    let mut open: Option<char> = None;
    for i in basic {
        let line = lines[i];
        let last = line.trim_end_matches(is_py_space).chars().last();
        match open {
            Some(closer) => {
                if last == Some(closer) {
                    open = None;
                }
            }
            None => {
                out.push(i);
                if let Some(eq) = line.find('=') {
                    let lhs: String = line[..eq].chars().filter(|&c| c != ' ').collect();
                    if py_isupper(&lhs) {
                        open = match last {
                            Some('(') => Some(')'),
                            Some('[') => Some(']'),
                            _ => None,
                        };
                    }
                }
            }
        }
    }
    out
}

/// Python's `str.isupper()`: at least one cased character and no lower-case one.
fn py_isupper(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_lowercase() {
            return false;
        }
        if c.is_uppercase() {
            cased = true;
        }
    }
    cased
}

/// Sampling weight of every line (0 for non-candidates).
fn line_weights(indents: &[usize], candidates: &[usize], factor: Option<f64>) -> Vec<f64> {
    let tab_width = indents.iter().copied().find(|&i| i > 0).unwrap_or(1) as f64;
    let mut weights = vec![0.0; indents.len()];
    for &i in candidates {
        weights[i] = match factor {
            Some(f) if indents[i] > 0 => indents[i] as f64 / tab_width * f,
            _ => 1.0,
        };
    }
    weights
}

/// Draws up to `k` distinct items of `pool` with probability proportional to weight.
/// Falls back to uniform draws when every remaining weight is zero.
fn draw_without_replacement(pool: &[usize], weights: &[f64], k: usize, rng: &mut PathRng) -> Vec<usize> {
    let mut left: Vec<usize> = pool.to_vec();
    let mut out = Vec::with_capacity(k.min(left.len()));
    while out.len() < k && !left.is_empty() {
        let total: f64 = left.iter().map(|&i| weights[i]).sum();
        let pick = if total > 0.0 {
            let mut target = rng.random::<f64>() * total;
            let mut chosen = left.len() - 1;
            for (pos, &i) in left.iter().enumerate() {
                if weights[i] <= 0.0 {
                    continue;
                }
                if target < weights[i] {
                    chosen = pos;
                    break;
                }
                target -= weights[i];
            }
            // Guard against rounding leaving `target` past the end on a zero weight.
            while weights[left[chosen]] <= 0.0 {
                chosen -= 1;
            }
            chosen
        } else {
            rng.random_range(0..left.len())
        };
        out.push(left.remove(pick));
    }
    out
}

struct Trajectory {
    edits: Vec<Vec<usize>>,
    remaining: Vec<usize>,
    deleted: Vec<bool>,
}

/// The stateful part of one sampling run: the program, the linter, the budget.
struct Sampler<'a, 'p> {
    lang: &'a dyn Language,
    program: &'a Program<'p>,
    cfg: &'a SamplerConfig,
    context: ProgramContext,
    init_errors: HashSet<(&'static str, usize, String)>,
    lint_calls: usize,
    lines_linted: usize,
}

impl Sampler<'_, '_> {
    /// Original line indices the linter blames in the program with `deleted` removed,
    /// leaving out findings already present in the untouched program when asked to.
    fn blamed_lines(&mut self, deleted: &[bool]) -> Result<Vec<usize>, Reject> {
        self.lint_calls += 1;
        if self.lint_calls > self.cfg.max_lint_calls {
            return Err(Reject::Budget);
        }
        let (text, origin) = self.program.render(deleted);
        self.lines_linted += origin.len();
        if self.lines_linted > self.cfg.max_lint_lines {
            return Err(Reject::Budget);
        }
        let mut blamed = Vec::new();
        if origin.is_empty() {
            return Ok(blamed);
        }
        for diag in self.lang.lint_in_context(&text, &self.context) {
            let line = origin[diag.line.min(origin.len() - 1)];
            if self.init_errors.contains(&(diag.code, line, diag.message)) {
                continue;
            }
            blamed.push(line);
        }
        Ok(blamed)
    }

    /// Deletes `start` from the program (with `already` deleted), then everything
    /// the linter blames, until the linter is quiet. Returns the edit (sorted) and its
    /// induced size (findings summed over the loop).
    fn induced_deletion(&mut self, start: usize, already: &[bool]) -> Result<(Vec<usize>, usize), Reject> {
        let mut deleted = already.to_vec();
        let mut edit = Vec::new();
        let mut affected = vec![start];
        let mut induced = 0;
        loop {
            let mut grown = Vec::new();
            for &line in &affected {
                if deleted[line] {
                    continue;
                }
                deleted[line] = true;
                grown.push(line);
            }
            // Children by dependency; the range also covers grandchildren.
            for &line in &affected {
                // `child` is a line number pushed to `grown` too; an `enumerate`/`take`/`skip`
                // chain over `deleted` would read less plainly and would stop quietly where
                // indexing panics.
                #[allow(clippy::needless_range_loop)]
                for child in line + 1..self.program.dependent_ends[line] {
                    if !deleted[child] {
                        deleted[child] = true;
                        grown.push(child);
                    }
                }
            }
            edit.extend_from_slice(&grown);
            let blamed = self.blamed_lines(&deleted)?;
            induced += blamed.len();
            affected = blamed.into_iter().filter(|&l| !deleted[l]).collect();
            if affected.is_empty() {
                break;
            }
        }
        edit.sort_unstable();
        Ok((edit, induced))
    }

    fn run(&mut self, candidates: &[usize], rng: &mut PathRng) -> Result<Vec<Vec<usize>>, Reject> {
        let n = self.program.lines.len();
        let weights = line_weights(&self.program.indents, candidates, self.cfg.indent_bias_sampling_factor);
        if self.cfg.ignore_init_errors {
            let none = vec![false; n];
            let (text, _) = self.program.render(&none);
            self.init_errors = self.lang.lint_in_context(&text, &self.context).into_iter().map(|d| (d.code, d.line, d.message)).collect();
        }
        let cfg = self.cfg;
        let mut finished: Vec<Trajectory> = Vec::new();
        let mut live: Vec<Trajectory> =
            vec![Trajectory { edits: Vec::new(), remaining: candidates.to_vec(), deleted: vec![false; n] }];
        let mut depth = 0;
        while finished.len() < cfg.max_population_size && depth < cfg.max_depth && !live.is_empty() {
            let mut next = Vec::new();
            for parent in &live {
                let draws = draw_without_replacement(&parent.remaining, &weights, cfg.children_per_round.max(1), rng);
                let mut children = Vec::with_capacity(draws.len());
                for line in draws {
                    let child = match cfg.strategy {
                        Strategy::Linter => self.induced_deletion(line, &parent.deleted)?,
                        Strategy::Random => (random_chunk(line, &parent.remaining, rng), 0),
                    };
                    children.push(child);
                }
                // Largest induced size first; among equals, the later draw first (as
                // pylintseq's reversed stable sort does).
                children.reverse();
                children.sort_by_key(|c| std::cmp::Reverse(c.1));
                for (edit, _) in children.into_iter().take(cfg.top_k.max(1)) {
                    let mut deleted = parent.deleted.clone();
                    for &l in &edit {
                        deleted[l] = true;
                    }
                    let remaining: Vec<usize> = parent.remaining.iter().copied().filter(|&l| !deleted[l]).collect();
                    let mut edits = parent.edits.clone();
                    edits.push(edit);
                    next.push(Trajectory { edits, remaining, deleted });
                }
            }
            live.clear();
            for t in next {
                if t.remaining.is_empty() {
                    finished.push(t);
                } else {
                    live.push(t);
                }
            }
            if live.len() >= cfg.max_population_size && depth < cfg.max_depth {
                shuffle(&mut live, rng);
                live.truncate((cfg.max_population_size / cfg.top_k.max(1)).max(1));
            }
            depth += 1;
        }
        if finished.len() < cfg.max_population_size {
            live.sort_by_key(|t| t.remaining.len());
            let room = cfg.max_population_size - finished.len() + 1;
            finished.extend(live.into_iter().take(room));
        }
        finished.sort_by_key(|t| t.remaining.len());
        Ok(finished.into_iter().next().map(|t| t.edits).unwrap_or_default())
    }
}

/// The ablation's edit: the drawn line and up to three more remaining candidate lines
/// that follow it, a chunk of 1 to 4 lines chosen uniformly.
fn random_chunk(start: usize, remaining: &[usize], rng: &mut PathRng) -> Vec<usize> {
    let len = rng.random_range(1..=4usize);
    let from = remaining.iter().position(|&l| l == start).unwrap_or(0);
    remaining[from..].iter().copied().take(len).collect()
}

fn shuffle<T>(items: &mut [T], rng: &mut PathRng) {
    for i in (1..items.len()).rev() {
        let j = rng.random_range(0..=i);
        items.swap(i, j);
    }
}

/// Samples one backward trajectory of `code` (already stripped of chain of thought).
pub fn sample_deletions(
    lang: &dyn Language,
    code: &str,
    cfg: &SamplerConfig,
    rng: &mut PathRng,
) -> Result<Deletions, Reject> {
    let program = Program::new(lang, code);
    let candidates = candidate_lines(lang, &program.lines, cfg);
    if candidates.is_empty() {
        return Err(Reject::NothingDeletable);
    }
    let context = lang.program_context(code);
    let mut sampler = Sampler { lang, program: &program, cfg, context, init_errors: HashSet::new(), lint_calls: 0, lines_linted: 0 };
    let edits = sampler.run(&candidates, rng)?;
    if edits.is_empty() {
        return Err(Reject::NothingDeletable);
    }
    Ok(Deletions { edits, lint_calls: sampler.lint_calls })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::{CheckInfo, Diagnostic};
    use crate::lintseq::rng::path_rng;

    /// A toy language: `def X` binds X, `use X` needs an earlier `def X`.
    struct Toy;

    impl Language for Toy {
        fn name(&self) -> &'static str {
            "toy"
        }
        fn aliases(&self) -> &'static [&'static str] {
            &[]
        }
        fn fence_tags(&self) -> &'static [&'static str] {
            &["toy"]
        }
        fn extensions(&self) -> &'static [&'static str] {
            &[]
        }
        fn comment_prefixes(&self) -> &'static [&'static str] {
            &["#"]
        }
        fn checks(&self) -> &'static [CheckInfo] {
            &[]
        }
        fn grammar(&self) -> tree_sitter::Language {
            tree_sitter_python::LANGUAGE.into()
        }
        fn lint(&self, source: &str) -> Vec<Diagnostic> {
            let mut defined = HashSet::new();
            let mut out = Vec::new();
            for (i, line) in source.split('\n').enumerate() {
                let line = line.trim();
                if let Some(name) = line.strip_prefix("def ") {
                    defined.insert(name.to_string());
                } else if let Some(name) = line.strip_prefix("use ") {
                    if !defined.contains(name) {
                        out.push(Diagnostic::new(i, 0, "E0602", format!("undefined {name}")));
                    }
                }
            }
            out
        }
    }

    const PROGRAM: &str = "# header\ndef a\ndef b\nuse a\n\nblock\n    use b\n    use a\nuse b";

    fn sample(cfg: &SamplerConfig, seed: u64) -> Deletions {
        sample_deletions(&Toy, PROGRAM, cfg, &mut path_rng(seed, 0, 0)).unwrap()
    }

    #[test]
    fn every_candidate_is_deleted_exactly_once() {
        for seed in 0..50 {
            let d = sample(&SamplerConfig::default(), seed);
            let mut all: Vec<usize> = d.edits.iter().flatten().copied().collect();
            all.sort_unstable();
            let before = all.len();
            all.dedup();
            assert_eq!(before, all.len(), "a line was deleted twice");
            // Lines 0 (comment) and 4 (blank) are not candidates and not children.
            assert_eq!(all, vec![1, 2, 3, 5, 6, 7, 8]);
        }
    }

    /// The run-by-run render gives what joining the kept lines one by one gives, for
    /// every mask of a 12-line program (runs at either end, empty lines, all or none kept).
    #[test]
    fn render_joins_exactly_the_kept_lines() {
        let code = "a\n\n  b\nc\n\n\nd e\n    f\ng\n\nh\ni";
        let program = Program::new(&Toy, code);
        let n = program.lines.len();
        assert_eq!(n, 12);
        for mask in 0u32..1 << n {
            let deleted: Vec<bool> = (0..n).map(|i| mask >> i & 1 == 1).collect();
            let kept: Vec<usize> = (0..n).filter(|&i| !deleted[i]).collect();
            let want = kept.iter().map(|&i| program.lines[i]).collect::<Vec<_>>().join("\n");
            assert_eq!(program.render(&deleted), (want, kept), "mask {mask:012b}");
        }
        // Runs longer than the part looked at line by line, at densities from none to all.
        let code: String = (0..300).map(|i| format!("line {i}")).collect::<Vec<_>>().join("\n");
        let program = Program::new(&Toy, &code);
        let mut state = 1u64;
        for density in [0u64, 1, 3, 10, 50, 90, 100] {
            for _ in 0..20 {
                let deleted: Vec<bool> = (0..300)
                    .map(|_| {
                        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        (state >> 33) % 100 < density
                    })
                    .collect();
                let kept: Vec<usize> = (0..300).filter(|&i| !deleted[i]).collect();
                let want = kept.iter().map(|&i| program.lines[i]).collect::<Vec<_>>().join("\n");
                assert_eq!(program.render(&deleted), (want, kept), "density {density}%");
            }
        }
    }

    #[test]
    fn every_intermediate_state_is_clean() {
        let program = Program::new(&Toy, PROGRAM);
        for seed in 0..50 {
            let d = sample(&SamplerConfig::default(), seed);
            let mut deleted = vec![false; program.lines.len()];
            for edit in &d.edits {
                for &l in edit {
                    deleted[l] = true;
                }
                let (text, _) = program.render(&deleted);
                assert!(Toy.lint(&text).is_empty(), "seed {seed}: state not clean:\n{text}");
            }
        }
    }

    #[test]
    fn deleting_a_definition_takes_its_uses_and_a_header_its_block() {
        let program = Program::new(&Toy, PROGRAM);
        let cfg = SamplerConfig::default();
        let mut sampler =
            Sampler { lang: &Toy, program: &program, cfg: &cfg, context: ProgramContext::default(), init_errors: HashSet::new(), lint_calls: 0, lines_linted: 0 };
        let none = vec![false; program.lines.len()];
        let (edit, induced) = sampler.induced_deletion(1, &none).unwrap();
        assert_eq!(edit, vec![1, 3, 7]);
        assert_eq!(induced, 2);
        let (edit, _) = sampler.induced_deletion(5, &none).unwrap();
        assert_eq!(edit, vec![5, 6, 7]);
    }

    #[test]
    fn same_seed_same_path_other_seed_other_path() {
        let cfg = SamplerConfig::default();
        assert_eq!(sample(&cfg, 7), sample(&cfg, 7));
        let distinct: HashSet<Vec<Vec<usize>>> = (0..20).map(|s| sample(&cfg, s).edits).collect();
        assert!(distinct.len() > 3);
    }

    #[test]
    fn nothing_deletable_and_budget_are_reported() {
        let cfg = SamplerConfig::default();
        let err = sample_deletions(&Toy, "# only a comment\n\n", &cfg, &mut path_rng(1, 0, 0)).unwrap_err();
        assert_eq!(err, Reject::NothingDeletable);
        let tight = SamplerConfig { max_lint_calls: 1, ..SamplerConfig::default() };
        let err = sample_deletions(&Toy, PROGRAM, &tight, &mut path_rng(1, 0, 0)).unwrap_err();
        assert_eq!(err, Reject::Budget);
        let few_lines = SamplerConfig { max_lint_lines: 8, ..SamplerConfig::default() };
        let err = sample_deletions(&Toy, PROGRAM, &few_lines, &mut path_rng(1, 0, 0)).unwrap_err();
        assert_eq!(err, Reject::Budget);
    }

    #[test]
    fn beam_settings_still_cover_the_program() {
        let cfg = SamplerConfig { children_per_round: 3, top_k: 2, max_population_size: 4, ..SamplerConfig::default() };
        let d = sample(&cfg, 3);
        let covered: usize = d.edits.iter().map(Vec::len).sum();
        assert_eq!(covered, 7);
    }

    #[test]
    fn random_strategy_uses_no_linter() {
        let cfg = SamplerConfig { strategy: Strategy::Random, ..SamplerConfig::default() };
        let d = sample(&cfg, 5);
        assert_eq!(d.lint_calls, 0);
        assert!(d.edits.iter().all(|e| (1..=4).contains(&e.len())));
    }

    #[test]
    fn candidates_follow_the_spec() {
        let lines = ["import os", "# c", "", "X = [", "  1,", "]", "y = 2", "Lower = (", "  3)"];
        let cfg = SamplerConfig::default();
        assert_eq!(candidate_lines(&Toy, &lines, &cfg), vec![0, 3, 6, 7, 8]);
        let cfg = SamplerConfig { ignore_imports: true, ignore_global_defs: false, ..SamplerConfig::default() };
        assert_eq!(candidate_lines(&Toy, &lines, &cfg), vec![3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn ignore_init_errors_keeps_inherent_findings() {
        // `use z` is broken in the full program. Without the flag, the first edit always
        // takes it; with the flag, it is deleted only when drawn.
        let code = "def a\nuse a\nuse z";
        let flagged = SamplerConfig { ignore_init_errors: true, ..SamplerConfig::default() };
        let mut kept_some = false;
        for seed in 0..20 {
            let plain = sample_deletions(&Toy, code, &SamplerConfig::default(), &mut path_rng(seed, 0, 0)).unwrap();
            assert!(plain.edits[0].contains(&2));
            let d = sample_deletions(&Toy, code, &flagged, &mut path_rng(seed, 0, 0)).unwrap();
            kept_some |= !d.edits[0].contains(&2);
        }
        assert!(kept_some);
    }
}
