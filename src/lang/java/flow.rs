//! Reachability in the manner of JLS 14.22, reduced to what is certain: a non-void
//! method whose body can complete normally is javac's "missing return statement".
//! Anything unsure (switch, labels, loops left by `break`) counts as not completing,
//! so it is never flagged.

use tree_sitter::{Node, Tree};

use crate::lang::Diagnostic;

const MAX_DEPTH: usize = 500;

fn named_children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).filter(|c| !c.is_extra()).collect()
}

fn is_true_literal(node: Option<Node>) -> bool {
    let Some(mut n) = node else { return false };
    while n.kind() == "parenthesized_expression" {
        match named_children(n).first() {
            Some(inner) => n = *inner,
            None => return false,
        }
    }
    n.kind() == "true"
}

fn contains_kind(node: Node, kinds: &[&str], depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return true;
    }
    kinds.contains(&node.kind()) || named_children(node).into_iter().any(|c| contains_kind(c, kinds, depth + 1))
}

fn has_default_label(body: Node) -> bool {
    let mut cursor = body.walk();
    for group in body.named_children(&mut cursor) {
        let mut c2 = group.walk();
        for label in group.named_children(&mut c2) {
            if label.kind() == "switch_label" && label.child(0).is_some_and(|t| t.kind() == "default") {
                return true;
            }
        }
    }
    false
}

/// Whether `stmt` certainly can complete normally.
fn completes(stmt: Node, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match stmt.kind() {
        "block" | "constructor_body" => match named_children(stmt).last() {
            Some(last) => completes(*last, depth + 1),
            None => true,
        },
        "return_statement" | "throw_statement" | "yield_statement" | "break_statement" | "continue_statement" => false,
        "if_statement" => match stmt.child_by_field_name("alternative") {
            None => true,
            Some(alt) => stmt.child_by_field_name("consequence").is_some_and(|c| completes(c, depth + 1)) || completes(alt, depth + 1),
        },
        "while_statement" => !is_true_literal(stmt.child_by_field_name("condition")),
        "for_statement" => stmt.child_by_field_name("condition").is_some_and(|c| !is_true_literal(Some(c))),
        "do_statement" => {
            !is_true_literal(stmt.child_by_field_name("condition"))
                && stmt.child_by_field_name("body").is_some_and(|b| completes(b, depth + 1) && !contains_kind(b, &["continue_statement"], 0))
        }
        "enhanced_for_statement" => true,
        "switch_expression" => !stmt.child_by_field_name("body").is_some_and(has_default_label),
        "try_statement" | "try_with_resources_statement" => {
            let children = named_children(stmt);
            if let Some(fin) = children.iter().find(|c| c.kind() == "finally_clause") {
                if !named_children(*fin).last().is_some_and(|b| completes(*b, depth + 1)) {
                    return false;
                }
            }
            stmt.child_by_field_name("body").is_some_and(|b| completes(b, depth + 1))
                || children.iter().filter(|c| c.kind() == "catch_clause").any(|c| c.child_by_field_name("body").is_some_and(|b| completes(b, depth + 1)))
        }
        "synchronized_statement" => stmt.child_by_field_name("body").is_some_and(|b| completes(b, depth + 1)),
        "expression_statement" => match stmt.named_child(0) {
            // A switch statement without a default label can complete normally.
            Some(e) if e.kind() == "switch_expression" => {
                let text_has_default = e.child_by_field_name("body").is_some_and(|b| contains_kind(b, &["default"], 0) || has_default_label(b));
                !text_has_default
            }
            _ => true,
        },
        "local_variable_declaration" | "assert_statement" | ";" | "empty_statement" => true,
        _ => false,
    }
}

/// E0111: non-void methods whose body can complete normally, blamed on the method.
pub fn missing_returns(_source: &str, tree: &Tree) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.kind() == "method_declaration" {
            let returns_value = node.child_by_field_name("type").is_some_and(|t| t.kind() != "void_type");
            if let Some(body) = node.child_by_field_name("body") {
                if returns_value && completes(body, 0) {
                    let pos = node.start_position();
                    out.push(Diagnostic::new(pos.row, pos.column, "E0111", "missing return statement"));
                }
            }
        }
        stack.extend(named_children(node));
    }
    out
}
