//! Java: tree-sitter-java parse -> syntax errors (ERROR/MISSING nodes) -> a scope model
//! of the program's own declarations -> small checks. Names the full program uses but
//! never declares (imports, `java.lang`, inherited members) come from the
//! [`ProgramContext`] and are never flagged; nothing is resolved on the machine.

pub mod flow;
pub mod names;
pub mod syntax;

use std::cell::RefCell;

use tree_sitter::{Parser, Tree};

use super::{CheckInfo, Diagnostic, Language, ProgramContext};

pub struct Java;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut parser = Parser::new();
        parser.set_language(&tree_sitter_java::LANGUAGE.into()).expect("tree-sitter-java grammar loads");
        parser
    });
}

/// Parses `source` with this thread's parser (built once per thread).
pub fn parse(source: &str) -> Option<Tree> {
    PARSER.with(|p| p.borrow_mut().parse(source, None))
}

/// Statement-list nodes that merely start where their first statement starts.
const CONTAINERS: &[&str] = &["program", "block", "class_body", "interface_body", "enum_body", "enum_body_declarations", "switch_block", "constructor_body", "modifiers"];

static CHECKS: &[CheckInfo] = &[
    CheckInfo { code: "E0001", name: "syntax-error", summary: "the program does not parse (blamed on the unexpected token's line, or on the line that opened an unclosed construct)" },
    CheckInfo { code: "E0602", name: "undefined-variable", summary: "a variable, method or type that nothing in scope declares (locals, parameters, fields, methods, classes of the program, java.lang, imports)" },
    CheckInfo { code: "E1120", name: "no-value-for-parameter", summary: "a call with fewer arguments than any method of that name the program declares takes" },
    CheckInfo { code: "E1121", name: "too-many-function-args", summary: "a call with more arguments than any method of that name the program declares takes" },
    CheckInfo { code: "E0111", name: "missing-return", summary: "a non-void method whose body can complete normally (javac: missing return statement)" },
];

/// Lints one Java program with no knowledge of a fuller version of it.
pub fn lint(source: &str) -> Vec<Diagnostic> {
    lint_with(source, None)
}

fn lint_with(source: &str, ctx: Option<&ProgramContext>) -> Vec<Diagnostic> {
    let Some(tree) = parse(source) else { return Vec::new() };
    if let Some(error) = syntax::first_error(&tree, source) {
        return vec![error];
    }
    let model = names::Model::build(source, &tree);
    let mut out = names::undefined(&model, ctx);
    out.extend(names::arity(&model, ctx));
    out.extend(flow::missing_returns(source, &tree));
    out.sort();
    out.dedup();
    out
}

impl Language for Java {
    fn name(&self) -> &'static str {
        "java"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }
    fn fence_tags(&self) -> &'static [&'static str] {
        &["java"]
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["java"]
    }
    fn comment_prefixes(&self) -> &'static [&'static str] {
        &["//", "/*", "*"]
    }
    fn checks(&self) -> &'static [CheckInfo] {
        CHECKS
    }
    fn lint(&self, source: &str) -> Vec<Diagnostic> {
        lint(source)
    }
    fn program_context(&self, original: &str) -> ProgramContext {
        match parse(original) {
            Some(tree) => names::Model::build(original, &tree).context(),
            None => ProgramContext::default(),
        }
    }
    fn lint_in_context(&self, source: &str, ctx: &ProgramContext) -> Vec<Diagnostic> {
        lint_with(source, Some(ctx))
    }
    fn grammar(&self) -> tree_sitter::Language {
        tree_sitter_java::LANGUAGE.into()
    }
    fn dependent_ends(&self, lines: &[&str]) -> Vec<usize> {
        let source = lines.join("\n");
        match parse(&source) {
            Some(tree) => super::treesitter::node_dependent_ends(lines, &tree, CONTAINERS),
            None => (1..=lines.len()).collect(),
        }
    }
}
