//! TypeScript-only checks that need the declared types, not just the names.

use tree_sitter::{Node, Tree};

use super::scope::{is_function_like, preorder};
use crate::lang::Diagnostic;

/// Return types that allow a function to end without a value.
fn allows_no_value(annotation: &str) -> bool {
    let t = annotation.trim_start_matches(':').trim();
    ["void", "any", "unknown", "undefined", "never"].iter().any(|w| t.split(|c: char| !c.is_alphanumeric() && c != '_').any(|part| part == *w))
        || t.starts_with("asserts ")
        || t.contains(" is ")
}

/// True if `node` (a statement) never completes normally.
fn terminates(node: Node) -> bool {
    match node.kind() {
        "return_statement" | "throw_statement" => true,
        "statement_block" => {
            let mut c = node.walk();
            let last = node.named_children(&mut c).filter(|n| n.kind() != "comment").last();
            last.is_some_and(terminates)
        }
        "if_statement" => {
            let then = node.child_by_field_name("consequence");
            let other = node.child_by_field_name("alternative").and_then(|e| e.named_child(0));
            then.is_some_and(terminates) && other.is_some_and(terminates)
        }
        "try_statement" => node.child_by_field_name("body").is_some_and(terminates),
        // Loops and switches may end a function in ways a line-level check cannot follow.
        "while_statement" | "for_statement" | "do_statement" | "switch_statement" => true,
        _ => false,
    }
}

/// Whether `body` has a `return <value>` of its own (not of a nested function).
fn returns_value(body: Node) -> bool {
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if n.kind() == "return_statement" && n.named_child_count() > 0 {
            return true;
        }
        let mut c = n.walk();
        for child in n.named_children(&mut c) {
            if !is_function_like(child.kind()) && child.kind() != "class" && child.kind() != "class_declaration" {
                stack.push(child);
            }
        }
    }
    false
}

/// tsc's TS2355: a function whose declared return type needs a value but that never
/// returns one and can reach its end. Blamed on the function's first line.
pub fn missing_returns(tree: &Tree, source: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for node in preorder(tree) {
        if !is_function_like(node.kind()) || node.kind() == "class_static_block" {
            continue;
        }
        let Some(body) = node.child_by_field_name("body") else {
            continue;
        };
        // A `get` accessor must return a value whatever its type (tsc TS2378).
        let getter = node.kind() == "method_definition" && super::scope::has_token(node, "get");
        let annotation = node.child_by_field_name("return_type");
        if annotation.is_none() && !getter {
            continue;
        }
        if body.kind() != "statement_block" || super::scope::has_token(node, "*") || node.kind().contains("generator") {
            continue;
        }
        let text = annotation.and_then(|a| a.utf8_text(source.as_bytes()).ok()).unwrap_or("");
        if !getter && allows_no_value(text) || returns_value(body) || terminates(body) {
            continue;
        }
        let pos = node.start_position();
        out.push(Diagnostic::new(pos.row, pos.column, "E0111", "a function whose declared type is not void or any must return a value"));
    }
    out
}
