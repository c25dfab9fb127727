//! Python: CPython-faithful syntax check -> tree-sitter-python's syntax tree (built from
//! the same tokens, or parsed by tree-sitter) -> semantic model -> small checks.
//! Verdicts never depend on what is installed: imports are not resolved.

pub mod checks;
pub mod fields;
pub mod model;
pub mod syntax;
pub mod tokenizer;
pub mod tree;
pub mod tree_build;

use std::cell::RefCell;
use std::sync::OnceLock;

use tree_sitter::{InputEdit, Parser, Point, Tree};

use super::{CheckInfo, Diagnostic, Language};

pub struct Python;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut parser = Parser::new();
        parser.set_language(&tree_sitter_python::LANGUAGE.into()).expect("tree-sitter-python grammar loads");
        parser
    });
}

/// Parses `source` with this thread's parser (built once per thread).
pub fn parse(source: &str) -> Tree {
    PARSER.with(|p| p.borrow_mut().parse(source, None)).expect("parsing without a timeout or cancellation returns a tree")
}

thread_local! {
    /// The last program [`parse_reusing`] parsed on this thread, with its tree (only
    /// trees without errors are kept).
    static LAST: RefCell<Option<(String, Tree)>> = const { RefCell::new(None) };
}

/// The tree-sitter point (row, byte column) of byte `offset` of `text`.
fn point_at(text: &[u8], offset: usize) -> Point {
    let before = &text[..offset];
    match before.iter().rposition(|&b| b == b'\n') {
        Some(nl) => Point { row: before.iter().filter(|&&b| b == b'\n').count(), column: offset - nl - 1 },
        None => Point { row: 0, column: offset },
    }
}

/// The single edit that turns `old` into `new`: the common prefix and suffix are kept,
/// the middle is replaced. Offsets are on character boundaries of both texts.
fn edit_between(old: &str, new: &str) -> InputEdit {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let mut prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    while !(old.is_char_boundary(prefix) && new.is_char_boundary(prefix)) {
        prefix -= 1;
    }
    let room = a.len().min(b.len()) - prefix;
    let mut suffix = a.iter().rev().zip(b.iter().rev()).take(room).take_while(|(x, y)| x == y).count();
    while !(old.is_char_boundary(a.len() - suffix) && new.is_char_boundary(b.len() - suffix)) {
        suffix -= 1;
    }
    let (old_end, new_end) = (a.len() - suffix, b.len() - suffix);
    InputEdit {
        start_byte: prefix,
        old_end_byte: old_end,
        new_end_byte: new_end,
        start_position: point_at(a, prefix),
        old_end_position: point_at(a, old_end),
        new_end_position: point_at(b, new_end),
    }
}

/// Parses `source` like [`parse`], reusing the tree of the last program parsed on this
/// thread when there is one: the sampler lints many states of one program, each a few
/// lines away from the last. The result is the tree a fresh parse gives: reuse starts
/// only from an error-free tree, and a tree with an error is always re-parsed from
/// scratch (error recovery is where incremental and fresh parses may disagree).
pub fn parse_reusing(source: &str) -> Tree {
    PARSER.with(|p| {
        let mut parser = p.borrow_mut();
        LAST.with(|last| {
            let mut last = last.borrow_mut();
            let reused = last.take().and_then(|(old_text, mut old_tree)| {
                if old_text == source {
                    return Some(old_tree);
                }
                old_tree.edit(&edit_between(&old_text, source));
                parser.parse(source, Some(&old_tree)).filter(|t| !t.root_node().has_error())
            });
            let tree = reused.unwrap_or_else(|| {
                parser.parse(source, None).expect("parsing without a timeout or cancellation returns a tree")
            });
            if !tree.root_node().has_error() {
                *last = Some((source.to_string(), tree.clone()));
            }
            tree
        })
    })
}

/// Lints one Python program: at most one syntax error (as CPython stops at the first),
/// otherwise the findings of every semantic check, sorted by line.
pub fn lint(source: &str) -> Vec<Diagnostic> {
    // The syntax check reads only the source (its own CPython-faithful tokenizer and
    // parser), so a program with a syntax error needs no tree-sitter parse at all.
    let tokens = match syntax::check_keeping_tokens(source) {
        Ok(tokens) => tokens,
        Err(error) => return vec![error],
    };
    // Most valid programs get their tree from the same tokens; tree-sitter parses the
    // rest.
    let built = tree_build::build(source, &tokens);
    syntax::give_back(tokens);
    let ours = built.is_some();
    let tree = built.unwrap_or_else(|| tree::SyntaxTree::from_tree_sitter(&parse_reusing(source)));
    let mut out = {
        let model = model::Model::build(source, &tree);
        let ctx = checks::Context::new(source, &tree, &model);
        checks::run_all(&ctx)
    };
    if ours {
        // The next state's tree copies this one's unchanged statements.
        tree_build::keep(tree);
    }
    out.sort();
    out.dedup();
    out
}

impl Language for Python {
    fn name(&self) -> &'static str {
        "python"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["py", "python3"]
    }
    fn fence_tags(&self) -> &'static [&'static str] {
        &["python"]
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["py"]
    }
    fn comment_prefixes(&self) -> &'static [&'static str] {
        &["#"]
    }
    fn checks(&self) -> &'static [CheckInfo] {
        static ALL: OnceLock<Vec<CheckInfo>> = OnceLock::new();
        ALL.get_or_init(checks::all_infos).as_slice()
    }
    fn lint(&self, source: &str) -> Vec<Diagnostic> {
        lint(source)
    }
    fn grammar(&self) -> tree_sitter::Language {
        tree_sitter_python::LANGUAGE.into()
    }
}

/// Python with a test's own look at every state it lints first: for the tests that
/// compare what reuse between lint calls gives with what a fresh start gives, on the
/// states the real sampler makes.
#[cfg(test)]
pub(crate) struct Watched<W: Fn(&str) + Send + Sync + 'static>(pub W);

#[cfg(test)]
impl<W: Fn(&str) + Send + Sync + 'static> Language for Watched<W> {
    fn name(&self) -> &'static str {
        "watched-python"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }
    fn fence_tags(&self) -> &'static [&'static str] {
        Python.fence_tags()
    }
    fn extensions(&self) -> &'static [&'static str] {
        &[]
    }
    fn comment_prefixes(&self) -> &'static [&'static str] {
        Python.comment_prefixes()
    }
    fn checks(&self) -> &'static [CheckInfo] {
        Python.checks()
    }
    fn grammar(&self) -> tree_sitter::Language {
        Python.grammar()
    }
    fn lint(&self, source: &str) -> Vec<Diagnostic> {
        (self.0)(source);
        lint(source)
    }
}

/// The Python programs of the fixtures (the stdlib sample and HumanEval), fences removed.
#[cfg(test)]
pub(crate) fn fixture_programs() -> Vec<String> {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut out = Vec::new();
    for path in ["fixtures/corpus/stdlib_sample.jsonl", "fixtures/humaneval.jsonl"] {
        let text = std::fs::read_to_string(format!("{root}/{path}")).expect("fixture");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let row: serde_json::Value = serde_json::from_str(line).expect("a JSON row");
            let code = row["response"].as_str().or_else(|| row["completion"].as_str()).unwrap_or("");
            out.push(crate::lintseq::fence::strip_chain_of_thought(code, &["python"]).into_owned());
        }
    }
    out
}
