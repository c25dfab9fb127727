//! Rust: tree-sitter-rust parse -> syntax check (bracket attribution) -> scope model
//! -> the compile errors a deletion causes: undeclared names (locals, items, macros),
//! a function that lost its tail expression, and multi-line shapes (a `match` that
//! lost an arm, a struct literal that lost a field, a call that lost an argument).

pub mod items;
pub mod names;
pub mod values;

use std::cell::RefCell;

use tree_sitter::{Parser, Tree};

use super::{treesitter, CheckInfo, Diagnostic, Language, ProgramContext};

pub struct Rust;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut parser = Parser::new();
        parser.set_language(&tree_sitter_rust::LANGUAGE.into()).expect("tree-sitter-rust grammar loads");
        parser
    });
}

/// Parses `source` with this thread's parser (built once per thread).
pub fn parse(source: &str) -> Option<Tree> {
    PARSER.with(|p| p.borrow_mut().parse(source, None))
}

/// Node kinds that merely group statements; never a line's dependency.
const CONTAINERS: &[&str] = &["source_file", "declaration_list"];

/// Multi-line nodes whose shape must be one of the full program's (see E1120); edits
/// inside function bodies and composite literal bodies do not change a shape. A
/// `match` has its own rule (`items.rs`).
const SHAPE_KINDS: &[&str] = &[
    "binary_expression",
    "arguments",
    "parameters",
    "tuple_expression",
    "type_arguments",
    "field_declaration_list",
    "ordered_field_declaration_list",
    "field_initializer_list",
    "enum_variant_list",
    "call_expression",
    "field_expression",
    "token_tree",
    "array_expression",
];
/// A `match` is judged by its arms (`items.rs`), not as part of what holds it.
const SHAPE_OPAQUE: &[&str] = &["block", "match_block"];
/// Marks an attribute of the full program with what it annotates.
const ATTR_NEXT: &str = "attrnext ";

pub static CHECKS: &[CheckInfo] = &[
    CheckInfo { code: "E0001", name: "syntax-error", summary: "rustc's parser would reject the file; blamed on the line whose deletion fixes it (an opener that lost its closing bracket)" },
    CheckInfo { code: "E0602", name: "undefined-variable", summary: "a name, type or macro used but declared nowhere in scope, not in the prelude and not external to the full program (rustc E0425/E0412/E0433); with the full program known, a use that now reaches another binding than in it (its shadowing `let` is gone: `let s = s.as_bytes();`)" },
    CheckInfo { code: "E1111", name: "missing-tail", summary: "a block whose value is used (body of a function with a return type, `let` initializer, `if`/`match` used as a value, operand) no longer ends in a value or a diverging statement, or such an `if` lost its `else`, or the `else` of a `let ... else` no longer diverges (rustc E0308/E0317); blamed on the construct that uses the value (the function, the `let`, the statement)" },
    CheckInfo { code: "E1120", name: "broken-multiline-expression", summary: "a multi-line argument list, match, struct literal, struct or binary expression that differs from every one of the full program (a lost argument, match arm, field or operand), a trait impl that lost an item (E0046), or a loop in a const initializer that lost a line (a lost increment never ends); blamed on the line it starts on" },
];

/// An attribute on its own line (`#[cfg(...)]`) is deleted with the item or statement
/// it annotates: alone, the item would be compiled under other conditions.
fn attributes_take_their_item(tree: &Tree, ends: &mut [usize]) {
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.kind() == "attribute_item" {
            let row = node.start_position().row;
            let mut next = node.next_named_sibling();
            while let Some(n) = next.filter(|n| n.kind() == "attribute_item" || n.kind().ends_with("comment")) {
                next = n.next_named_sibling();
            }
            if let (Some(item), Some(end)) = (next, ends.get_mut(row)) {
                let e = item.end_position();
                let item_end = if e.column == 0 { e.row } else { e.row + 1 };
                *end = (*end).max(item_end);
            }
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    let n = ends.len();
    for end in ends.iter_mut() {
        *end = (*end).min(n);
    }
}

/// An attribute with nothing after it in its block: rustc's "expected statement after
/// outer attribute" / "expected item after attributes".
fn dangling_attribute(tree: &Tree) -> Option<Diagnostic> {
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.kind() == "attribute_item" {
            let mut next = node.next_named_sibling();
            while let Some(n) = next.filter(|n| n.kind().ends_with("comment")) {
                next = n.next_named_sibling();
            }
            if next.is_none() {
                let pos = node.start_position();
                return Some(Diagnostic::new(pos.row, pos.column, "E0001", "expected an item after attributes"));
            }
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    None
}

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
    dangling_attribute(tree)
}

/// Lints one state of a program whose context is `ctx`.
pub fn lint_in_context(source: &str, ctx: &ProgramContext) -> Vec<Diagnostic> {
    let Some(tree) = parse(source) else { return Vec::new() };
    if let Some(error) = syntax_error(&tree, source) {
        return vec![error];
    }
    let model = names::Model::build(&tree, source);
    let mut out = model.diagnostics(ctx);
    if !ctx.external_names.contains(values::OFF) {
        let from_program = treesitter::has_shapes(ctx);
        let attr_tails: std::collections::HashSet<String> = ctx
            .external_names
            .iter()
            .filter_map(|n| n.strip_prefix(values::ATTR_TAIL).map(str::to_string))
            .collect();
        let closure_tails: std::collections::HashSet<String> = ctx
            .external_names
            .iter()
            .filter_map(|n| n.strip_prefix(values::CLOSURE_TAIL).map(str::to_string))
            .collect();
        out.extend(values::diagnostics(&tree, source, from_program.then_some(&attr_tails), from_program.then_some(&closure_tails)));
        if from_program {
            for (row, key) in values::attribute_keys(&tree, source) {
                if !ctx.external_names.contains(&format!("{ATTR_NEXT}{key}")) {
                    out.push(Diagnostic::new(row, 0, "E1111", "an attribute now annotates another item or statement"));
                }
            }
        }
    }
    out.extend(treesitter::lost_shapes(ctx, &tree, source, SHAPE_KINDS, SHAPE_OPAQUE));
    out.extend(items::diagnostics(ctx, &tree, source));
    out.sort();
    out.dedup();
    out
}

impl Language for Rust {
    fn name(&self) -> &'static str {
        "rust"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["rs"]
    }
    fn fence_tags(&self) -> &'static [&'static str] {
        &["rust", "rs"]
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["rs"]
    }
    fn comment_prefixes(&self) -> &'static [&'static str] {
        &["//"]
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
                items::remember(&mut ctx, &tree, original);
                let checked = values::Checker::run(&tree, original, None, None);
                if !checked.flagged.is_empty() {
                    ctx.external_names.insert(values::OFF.to_string());
                }
                for key in checked.attr_keys {
                    ctx.external_names.insert(format!("{}{key}", values::ATTR_TAIL));
                }
                for (_, key) in values::attribute_keys(&tree, original) {
                    ctx.external_names.insert(format!("{ATTR_NEXT}{key}"));
                }
                for key in checked.closure_keys {
                    ctx.external_names.insert(format!("{}{key}", values::CLOSURE_TAIL));
                }
                ctx
            }
            _ => ProgramContext::default(),
        }
    }
    fn lint_in_context(&self, source: &str, ctx: &ProgramContext) -> Vec<Diagnostic> {
        lint_in_context(source, ctx)
    }
    fn grammar(&self) -> tree_sitter::Language {
        tree_sitter_rust::LANGUAGE.into()
    }
    fn dependent_ends(&self, lines: &[&str]) -> Vec<usize> {
        let source = lines.join("\n");
        match parse(&source) {
            Some(tree) => {
                let mut ends = treesitter::node_dependent_ends(lines, &tree, CONTAINERS);
                attributes_take_their_item(&tree, &mut ends);
                ends
            }
            None => (1..=lines.len()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deleted_match_arm_is_blamed_on_the_match() {
        let full = "fn f(x: Option<i32>) -> i32 {\n    match x {\n        Some(v) => v,\n        None => 0,\n    }\n}";
        let ctx = Rust.program_context(full);
        assert!(Rust.lint_in_context(full, &ctx).is_empty());
        let state = "fn f(x: Option<i32>) -> i32 {\n    match x {\n        Some(v) => v,\n    }\n}";
        let got: Vec<(usize, &str)> = Rust.lint_in_context(state, &ctx).iter().map(|d| (d.line, d.code)).collect();
        assert_eq!(got, vec![(1, "E1120")]);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for src in ["", "}", "fn", "fn f(", "use std::{", "\u{0}", "macro_rules! m { () => {} }", "r#\"", "'a'"] {
            let _ = Rust.lint(src);
            let _ = Rust.lint_in_context(src, &Rust.program_context(src));
            let lines: Vec<&str> = src.split('\n').collect();
            let _ = Rust.dependent_ends(&lines);
        }
    }
}
