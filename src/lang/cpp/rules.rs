//! Errors g++ raises that the grammar accepts, each blamed on the line whose deletion
//! takes the construct: a `case` label with no statement before the `}` of its switch
//! (C++17 needs one), a `struct X` left without its body so that it now declares what
//! follows it (`struct X static_assert(...)`), and a `constexpr` function that lost
//! every `return` ("no return statement in 'constexpr' function").

use tree_sitter::{Node, Tree};

use super::names::blame_line;
use crate::lang::Diagnostic;

fn named(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).filter(|c| !c.is_extra()).collect()
}

/// Whether `node` holds a `return` or `throw` outside nested lambdas and classes.
fn returns(node: Node) -> bool {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "return_statement" | "throw_expression" | "throw_statement" => return true,
            "lambda_expression" | "class_specifier" | "struct_specifier" => continue,
            _ => stack.extend(named(n)),
        }
    }
    false
}

pub fn diagnostics(tree: &Tree, source: &str) -> Vec<Diagnostic> {
    let text = |n: Node| n.utf8_text(source.as_bytes()).unwrap_or("");
    let mut out = Vec::new();
    let mut stack = vec![(tree.root_node(), 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > 400 {
            break;
        }
        match node.kind() {
            "case_statement" => {
                let is_last = node.next_named_sibling().is_none_or(|n| n.is_extra() && n.next_named_sibling().is_none());
                let value = node.child_by_field_name("value").map(|v| v.id());
                let has_statement = named(node).iter().any(|c| Some(c.id()) != value);
                if is_last && !has_statement && node.parent().is_some_and(|p| p.kind() == "compound_statement") {
                    let pos = node.start_position();
                    out.push(Diagnostic::new(pos.row, pos.column, "E0001", "label at end of compound statement"));
                }
            }
            "declaration" => {
                let ty = node.child_by_field_name("type");
                let declarator = node.child_by_field_name("declarator");
                if let (Some(ty), Some(d)) = (ty, declarator) {
                    let specifier = matches!(ty.kind(), "struct_specifier" | "class_specifier" | "union_specifier" | "enum_specifier");
                    if specifier && ty.child_by_field_name("body").is_none() && d.start_position().row > ty.end_position().row {
                        let pos = ty.start_position();
                        out.push(Diagnostic::new(pos.row, pos.column, "E0001", "a class key left without its body declares what follows it"));
                    }
                }
            }
            "function_definition" => {
                let constexpr = named(node).iter().any(|c| matches!(c.kind(), "type_qualifier" | "storage_class_specifier") && text(*c) == "constexpr");
                let void = node.child_by_field_name("type").is_some_and(|t| text(t) == "void");
                if let Some(body) = node.child_by_field_name("body").filter(|b| b.kind() == "compound_statement") {
                    if constexpr && !void && !returns(body) {
                        out.push(Diagnostic::new(blame_line(node), 0, "E1111", "constexpr function without a return statement"));
                    }
                }
            }
            _ => {}
        }
        stack.extend(named(node).into_iter().map(|c| (c, depth + 1)));
    }
    out
}
