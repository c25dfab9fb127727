//! Go: tree-sitter-go parse -> syntax check (gofmt's verdict: bracket attribution,
//! top-level statements) -> scope model -> the compile errors a deletion causes
//! (undefined names, unused variables, imports and labels, missing return).
//!
//! The package clause is never a deletion candidate (it is listed with the comment
//! prefixes): no Go file parses without one, so every intermediate program keeps it.

pub mod names;

use std::cell::RefCell;

use tree_sitter::{Parser, Tree};

use super::{treesitter, CheckInfo, Diagnostic, Language, ProgramContext};

pub struct Go;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut parser = Parser::new();
        parser.set_language(&tree_sitter_go::LANGUAGE.into()).expect("tree-sitter-go grammar loads");
        parser
    });
}

/// Parses `source` with this thread's parser (built once per thread).
pub fn parse(source: &str) -> Option<Tree> {
    PARSER.with(|p| p.borrow_mut().parse(source, None))
}

/// Node kinds that merely group statements; never a line's dependency.
const CONTAINERS: &[&str] = &["source_file", "statement_list", "expression_list", "literal_element"];

/// Multi-line nodes whose shape must be one of the full program's (see E1120); edits
/// inside function bodies and composite literal bodies do not change a shape.
const SHAPE_KINDS: &[&str] = &["binary_expression", "argument_list", "parameter_list", "expression_list", "type_arguments", "field_declaration_list"];
const SHAPE_OPAQUE: &[&str] = &["block", "literal_value"];

/// Declarations allowed at the top level of a Go file.
const TOP_LEVEL: &[&str] = &[
    "package_clause",
    "import_declaration",
    "function_declaration",
    "method_declaration",
    "type_declaration",
    "var_declaration",
    "const_declaration",
    "comment",
    ";",
];

pub static CHECKS: &[CheckInfo] = &[
    CheckInfo { code: "E0001", name: "syntax-error", summary: "gofmt -e would reject the file; blamed on the line whose deletion fixes it (an opener that lost its closing bracket, a statement outside a function)" },
    CheckInfo { code: "E0602", name: "undefined-variable", summary: "a name, type or package used but not declared in any enclosing scope (\"undefined: x\")" },
    CheckInfo { code: "W0612", name: "unused-variable", summary: "a local variable declared and never used, a compile error in Go (\"x declared and not used\")" },
    CheckInfo { code: "W0611", name: "unused-import", summary: "an imported package never used, a compile error in Go (\"\\\"fmt\\\" imported and not used\")" },
    CheckInfo { code: "W0614", name: "unused-label", summary: "a label defined and never used, a compile error in Go" },
    CheckInfo { code: "E1120", name: "broken-multiline-expression", summary: "a multi-line binary expression, argument, parameter or expression list that differs from every one of the full program: a deleted line took an operand or an argument, which no syntax check sees; blamed on the line it starts on" },
    CheckInfo { code: "E1101", name: "no-member", summary: "`x.f` or `T{f: ...}` where the full program declares a field or method f and this state no longer does" },
    CheckInfo { code: "E1111", name: "missing-return", summary: "a function with results whose body does not end in a terminating statement (\"missing return\"); blamed on the function" },
];

/// The first syntax error, or `None`.
pub fn syntax_error(tree: &Tree, source: &str) -> Option<Diagnostic> {
    let root = tree.root_node();
    if root.has_error() {
        if let Some(row) = treesitter::unbalanced_bracket_line(tree, source) {
            return Some(Diagnostic::new(row, 0, "E0001", "unbalanced brackets"));
        }
        if let Some(d) = treesitter::first_syntax_error(tree, source) {
            return Some(d);
        }
    }
    let mut cursor = root.walk();
    for child in root.children(&mut cursor) {
        if !TOP_LEVEL.contains(&child.kind()) {
            let pos = child.start_position();
            return Some(Diagnostic::new(pos.row, pos.column, "E0001", format!("expected declaration, found {}", child.kind())));
        }
    }
    None
}

/// Lints one state of a program whose context is `ctx`.
pub fn lint_in_context(source: &str, ctx: &ProgramContext) -> Vec<Diagnostic> {
    let Some(tree) = parse(source) else { return Vec::new() };
    if let Some(error) = syntax_error(&tree, source) {
        return vec![error];
    }
    let model = names::Model::build(&tree, source);
    let mut out = model.diagnostics(ctx);
    out.extend(treesitter::lost_shapes(ctx, &tree, source, SHAPE_KINDS, SHAPE_OPAQUE));
    out.sort();
    out.dedup();
    out
}

impl Language for Go {
    fn name(&self) -> &'static str {
        "go"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["golang"]
    }
    fn fence_tags(&self) -> &'static [&'static str] {
        &["go", "golang"]
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["go"]
    }
    fn comment_prefixes(&self) -> &'static [&'static str] {
        &["//", "package "]
    }
    fn checks(&self) -> &'static [CheckInfo] {
        CHECKS
    }
    fn lint(&self, source: &str) -> Vec<Diagnostic> {
        lint_in_context(source, &ProgramContext::default())
    }
    fn program_context(&self, original: &str) -> ProgramContext {
        match parse(original) {
            Some(tree) if syntax_error(&tree, original).is_none() => {
                let mut ctx = names::Model::build(&tree, original).context();
                treesitter::remember_shapes(&mut ctx, &tree, original, SHAPE_KINDS, SHAPE_OPAQUE);
                ctx
            }
            _ => ProgramContext::default(),
        }
    }
    fn lint_in_context(&self, source: &str, ctx: &ProgramContext) -> Vec<Diagnostic> {
        lint_in_context(source, ctx)
    }
    fn grammar(&self) -> tree_sitter::Language {
        tree_sitter_go::LANGUAGE.into()
    }
    fn dependent_ends(&self, lines: &[&str]) -> Vec<usize> {
        let source = lines.join("\n");
        match parse(&source) {
            Some(tree) => treesitter::node_dependent_ends(lines, &tree, CONTAINERS),
            None => (1..=lines.len()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deleted_operand_line_is_blamed_on_the_expression() {
        let full = "package p\n\nfunc f(a, b, c int) int {\n\treturn a +\n\t\tb +\n\t\tc\n}";
        let ctx = Go.program_context(full);
        assert!(Go.lint_in_context(full, &ctx).is_empty());
        let state = "package p\n\nfunc f(a, b, c int) int {\n\treturn a +\n\t\tc\n}";
        let got: Vec<(usize, &str)> = Go.lint_in_context(state, &ctx).iter().map(|d| (d.line, d.code)).collect();
        assert_eq!(got, vec![(3, "E1120")]);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for src in ["", "}", "package", "func (", "import (\n\"fmt\"", "\u{0}", "func f() { L: goto L }"] {
            let _ = Go.lint(src);
            let _ = Go.lint_in_context(src, &Go.program_context(src));
            let lines: Vec<&str> = src.split('\n').collect();
            let _ = Go.dependent_ends(&lines);
        }
    }
}
