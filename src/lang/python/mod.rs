//! Python: tree-sitter-python parse -> CPython-faithful syntax check -> semantic model ->
//! small checks. Verdicts never depend on what is installed: imports are not resolved.

pub mod checks;
pub mod model;
pub mod syntax;
pub mod tokenizer;

use std::cell::RefCell;
use std::sync::OnceLock;

use tree_sitter::{Parser, Tree};

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

/// Lints one Python program: at most one syntax error (as CPython stops at the first),
/// otherwise the findings of every semantic check, sorted by line.
pub fn lint(source: &str) -> Vec<Diagnostic> {
    let tree = parse(source);
    if let Some(error) = syntax::first_error(source, &tree) {
        return vec![error];
    }
    let model = model::Model::build(source, &tree);
    let ctx = checks::Context { source, tree: &tree, model: &model };
    let mut out = checks::run_all(&ctx);
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
