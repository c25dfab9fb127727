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
    CheckInfo { code: "E0601", name: "used-before-assignment", summary: "a local declared without an initializer read before any assignment to it (javac: might not have been initialized)" },
    CheckInfo { code: "E1101", name: "no-member", summary: "with the full program known: `x.f` where the full program declares a field f and this state does not" },
    CheckInfo { code: "E0110", name: "abstract-method-not-implemented", summary: "with the full program known: a concrete class that lost an @Override method the full program gives it" },
    CheckInfo { code: "E0113", name: "misplaced-annotation", summary: "with the full program known: an annotation line now followed by code it did not annotate" },
    CheckInfo { code: "E0112", name: "top-level-statement", summary: "a declaration or statement outside any class (javac: class, interface, enum, or record expected)" },
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
    out.extend(names::contextual(&model, ctx));
    out.extend(names::misplaced_annotations(&model, ctx));
    out.extend(top_level(&tree));
    out.extend(flow::missing_returns(source, &tree));
    out.sort();
    out.dedup();
    out
}

/// E0112: javac allows only package, imports and type declarations at the top level,
/// and no declaration as the lone body of an `if`, `else` or loop.
fn top_level(tree: &Tree) -> Vec<Diagnostic> {
    let root = tree.root_node();
    let mut stack = vec![root];
    let mut lone = Vec::new();
    while let Some(node) = stack.pop() {
        if node.kind() == "local_variable_declaration" {
            if let Some(p) = node.parent() {
                if matches!(p.kind(), "if_statement" | "while_statement" | "for_statement" | "enhanced_for_statement" | "do_statement" | "labeled_statement") {
                    let pos = node.start_position();
                    lone.push(Diagnostic::new(pos.row, pos.column, "E0112", "variable declaration not allowed here"));
                }
            }
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    let mut cursor = root.walk();
    let allowed = ["package_declaration", "import_declaration", "class_declaration", "interface_declaration", "enum_declaration", "record_declaration", "annotation_type_declaration", "module_declaration", "line_comment", "block_comment"];
    root.named_children(&mut cursor)
        .filter(|c| !allowed.contains(&c.kind()))
        .map(|c| {
            let pos = c.start_position();
            Diagnostic::new(pos.row, pos.column, "E0112", "class, interface, enum, or record expected")
        })
        .chain(lone)
        .collect()
}

/// Declarations whose header may span lines: deleting any header line after the first
/// (an `extends` clause, the signature under an annotation, a lone `{`) takes the whole
/// declaration, not just that line.
const HEADED: &[&str] = &["field_declaration", "constant_declaration", "class_declaration", "interface_declaration", "enum_declaration", "record_declaration", "annotation_type_declaration", "method_declaration", "constructor_declaration", "compact_constructor_declaration"];

fn header_dependents(lines: &[&str], tree: &Tree, ends: &mut [usize]) {
    let n = lines.len();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if HEADED.contains(&node.kind()) {
            let start = node.start_position().row;
            let end = node.end_position();
            let end_exclusive = (if end.column == 0 { end.row } else { end.row + 1 }).min(n);
            let header_end = node.child_by_field_name("body").map_or(end.row, |b| b.start_position().row);
            // Rows are line numbers; `take`/`skip` over `ends` would read less plainly and
            // would stop quietly where indexing panics.
            #[allow(clippy::needless_range_loop)]
            for row in start + 1..=header_end.min(n.saturating_sub(1)) {
                if ends[row] < end_exclusive {
                    ends[row] = end_exclusive;
                }
            }
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
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
            Some(tree) => {
                let mut ends = super::treesitter::node_dependent_ends(lines, &tree, CONTAINERS);
                header_dependents(lines, &tree, &mut ends);
                ends
            }
            None => (1..=lines.len()).collect(),
        }
    }
}
