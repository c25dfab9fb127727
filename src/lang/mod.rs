//! Languages: each one is a self-contained module behind the [`Language`] trait,
//! listed once in [`registry`]. The sampler only ever talks to this trait.

pub mod cpp;
pub mod javascript;
pub mod java;
pub mod go;
pub mod python;
pub mod rust;
pub mod spec;
pub mod treesitter;
pub mod typescript;

use std::fmt;

/// One linter finding. `line` is 0-based internally and names the line that LintSeq
/// has to delete to make the finding go away (for syntax errors: the line CPython blames).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Diagnostic {
    pub line: usize,
    pub column: usize,
    /// The pylint message id the check corresponds to (E0001, E0602, ...).
    pub code: &'static str,
    pub message: String,
}

impl Diagnostic {
    pub fn new(line: usize, column: usize, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic { line, column, code, message: message.into() }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {} {}", self.line + 1, self.column, self.code, self.message)
    }
}

/// A check a language runs, as listed by `lintseq languages`.
#[derive(Debug, Clone, Copy)]
pub struct CheckInfo {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
}

/// What a language learns once from the full program and uses when linting its
/// intermediate states. For brace languages: the names the full program uses but never
/// declares (they come from headers, imports or the standard library, which are never
/// resolved), so a state that still uses one is not flagged for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgramContext {
    pub external_names: std::collections::HashSet<String>,
}

/// Everything the language-agnostic engine needs to know about a language.
pub trait Language: Send + Sync + 'static {
    /// Canonical name, as accepted by `--lang`.
    fn name(&self) -> &'static str;
    /// Other names accepted by `--lang`.
    fn aliases(&self) -> &'static [&'static str];
    /// Markdown fence tags whose contents are code of this language; the first one is
    /// the tag pylintseq looks for.
    fn fence_tags(&self) -> &'static [&'static str];
    /// File extensions (without the dot) of source files in this language.
    fn extensions(&self) -> &'static [&'static str];
    /// Prefixes that make a line a whole-line comment (never a deletion candidate).
    fn comment_prefixes(&self) -> &'static [&'static str];
    /// The checks [`Language::lint`] runs.
    fn checks(&self) -> &'static [CheckInfo];
    /// Lints one whole program. Must be deterministic and must not depend on the
    /// machine (no import resolution, no file system, no environment).
    fn lint(&self, source: &str) -> Vec<Diagnostic>;
    /// Learns what linting the states of `original` needs (see [`ProgramContext`]).
    fn program_context(&self, _original: &str) -> ProgramContext {
        ProgramContext::default()
    }
    /// Lints a state of a program whose context is `ctx`. Defaults to [`Language::lint`].
    fn lint_in_context(&self, source: &str, _ctx: &ProgramContext) -> Vec<Diagnostic> {
        self.lint(source)
    }
    /// The tree-sitter grammar, for `lintseq lint --dump-tree`.
    fn grammar(&self) -> tree_sitter::Language;
    /// The syntax tree as an S-expression, to see what the checks see.
    fn dump_tree(&self, source: &str) -> String {
        let mut parser = tree_sitter::Parser::new();
        if parser.set_language(&self.grammar()).is_err() {
            return String::new();
        }
        parser.parse(source, None).map(|t| t.root_node().to_sexp()).unwrap_or_default()
    }
    /// For each line of the original program, the exclusive end of the block of lines
    /// that depend on it (the line itself excluded): deleting line `i` also deletes
    /// lines `i+1..end[i]`. The default is LintSeq's indentation rule.
    fn dependent_ends(&self, lines: &[&str]) -> Vec<usize> {
        indentation_dependent_ends(&line_indents(lines))
    }
}

/// LintSeq's indentation of each line: the count of leading whitespace characters; a line
/// whose stripped length is at most 1 inherits the indentation of the line before.
pub fn line_indents(lines: &[&str]) -> Vec<usize> {
    let mut current = 0;
    lines
        .iter()
        .map(|line| {
            let stripped = line.trim_start_matches(crate::lintseq::text::is_py_space);
            if stripped.chars().count() > 1 {
                current = line.chars().count() - stripped.chars().count();
            }
            current
        })
        .collect()
}

/// Children by indentation: the lines after `t` up to (excluding) the first line whose
/// indentation is not deeper than `t`'s; none if the next line is not deeper.
pub fn indentation_dependent_ends(indents: &[usize]) -> Vec<usize> {
    let n = indents.len();
    let mut ends = vec![0; n];
    // A monotonic stack gives each line's first later line with indent <= its own.
    let mut stack: Vec<usize> = Vec::new();
    for j in 0..n {
        while let Some(&top) = stack.last() {
            if indents[j] <= indents[top] {
                ends[top] = j;
                stack.pop();
            } else {
                break;
            }
        }
        stack.push(j);
    }
    for top in stack {
        ends[top] = n;
    }
    for (t, end) in ends.iter_mut().enumerate() {
        if t + 1 >= n || indents[t + 1] <= indents[t] {
            *end = t + 1;
        }
    }
    ends
}

/// Every registered language. Adding a language adds one line here (and its `pub mod`).
pub fn registry() -> &'static [&'static dyn Language] {
    static ALL: &[&dyn Language] = &[
        &python::Python,
        &javascript::JavaScript,
        &typescript::TypeScript,
        &java::Java,
        &go::Go,
        &rust::Rust,
        &cpp::Cpp,
    ];
    ALL
}

/// Finds a language by name, alias or fence tag (case-insensitive).
pub fn by_name(name: &str) -> Option<&'static dyn Language> {
    let wanted = name.to_ascii_lowercase();
    registry().iter().copied().find(|lang| {
        lang.name() == wanted
            || lang.aliases().iter().any(|a| *a == wanted)
            || lang.fence_tags().iter().any(|t| *t == wanted)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_follow_indentation() {
        let lines = ["def f():", "    x = 1", "", "    return x", "y = 2", "if y:", "  zz"];
        let ends = indentation_dependent_ends(&line_indents(&lines));
        assert_eq!(ends, vec![4, 2, 3, 4, 5, 7, 7]);
    }

    #[test]
    fn short_lines_inherit_indentation() {
        let lines = ["x = (", "    1,", ")", "    )"];
        // ")" has stripped length 1, so it inherits the 4 of the line before.
        assert_eq!(line_indents(&lines), vec![0, 4, 4, 4]);
    }

    #[test]
    fn lookup_by_alias_and_fence_tag() {
        assert_eq!(by_name("PY").map(|l| l.name()), Some("python"));
        assert!(by_name("cobol").is_none());
    }
}
