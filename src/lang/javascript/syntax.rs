//! Syntax errors: what tree-sitter cannot parse (ERROR and MISSING nodes), and the early
//! errors V8 raises that tree-sitter's grammar accepts (a `const` without a value,
//! `break`/`continue` with nowhere to go, `await`/`yield` outside async/generator
//! functions, a declaration where only a single statement may stand).

use tree_sitter::{Node, Tree};

use super::scope::{has_token, is_function_like, preorder};
use crate::lang::treesitter::first_syntax_error;
use crate::lang::Diagnostic;

const LOOPS: &[&str] = &["for_statement", "for_in_statement", "while_statement", "do_statement"];

/// Statements whose body is a single statement, where a declaration may not stand.
const SINGLE_STATEMENT_PARENTS: &[&str] =
    &["if_statement", "else_clause", "for_statement", "for_in_statement", "while_statement", "do_statement", "labeled_statement", "with_statement"];

fn error_at(node: Node, message: String) -> Diagnostic {
    let pos = node.start_position();
    Diagnostic::new(pos.row, pos.column, "E0001", message)
}

/// The nearest function-like ancestor of `node`, if any.
fn enclosing_function(node: Node) -> Option<Node> {
    let mut cur = node.parent();
    while let Some(n) = cur {
        if is_function_like(n.kind()) {
            return Some(n);
        }
        cur = n.parent();
    }
    None
}

fn is_async(function: Node) -> bool {
    has_token(function, "async")
}

fn is_generator(function: Node) -> bool {
    matches!(function.kind(), "generator_function" | "generator_function_declaration") || has_token(function, "*")
}

/// The first syntax error of the program, blamed on the line whose deletion fixes it.
/// `module` says whether top-level `await` is allowed; `script_return` whether a
/// top-level `return` is (CommonJS wraps a file in a function).
pub fn first_error(tree: &Tree, source: &str, module: bool, script_return: bool) -> Option<Diagnostic> {
    if let Some(error) = first_syntax_error(tree, source) {
        return Some(unbalanced_bracket(tree, source).unwrap_or(error));
    }
    for node in preorder(tree) {
        let found = match node.kind() {
            "lexical_declaration" => {
                let is_const = has_token(node, "const");
                let in_for_head = node.parent().is_some_and(|p| p.kind() == "for_in_statement");
                let ambient = node.parent().is_some_and(|p| p.kind() == "ambient_declaration");
                let mut c = node.walk();
                let uninitialised = node
                    .named_children(&mut c)
                    .find(|d| d.kind() == "variable_declarator" && d.child_by_field_name("value").is_none());
                match uninitialised {
                    Some(d) if is_const && !in_for_head && !ambient => Some(error_at(d, "missing initializer in const declaration".into())),
                    _ => None,
                }
            }
            "break_statement" | "continue_statement" => {
                let label = node.child_by_field_name("label").and_then(|l| l.utf8_text(source.as_bytes()).ok());
                let is_break = node.kind() == "break_statement";
                let mut cur = node.parent();
                let mut ok = false;
                while let Some(n) = cur {
                    if is_function_like(n.kind()) {
                        break;
                    }
                    match label {
                        Some(l) => {
                            if n.kind() == "labeled_statement"
                                && n.child_by_field_name("label").and_then(|x| x.utf8_text(source.as_bytes()).ok()) == Some(l)
                            {
                                ok = true;
                                break;
                            }
                        }
                        None => {
                            if LOOPS.contains(&n.kind()) || is_break && n.kind() == "switch_statement" {
                                ok = true;
                                break;
                            }
                        }
                    }
                    cur = n.parent();
                }
                (!ok).then(|| error_at(node, format!("illegal {} statement", if is_break { "break" } else { "continue" })))
            }
            "await_expression" => match enclosing_function(node) {
                Some(f) if !is_async(f) => Some(error_at(node, "await is only valid in async functions".into())),
                None if !module => Some(error_at(node, "await is only valid in async functions and at the top level of modules".into())),
                _ => None,
            },
            "for_in_statement" if has_token(node, "await") => match enclosing_function(node) {
                Some(f) if !is_async(f) => Some(error_at(node, "for await is only valid in async functions".into())),
                None if !module => Some(error_at(node, "for await is only valid in async functions".into())),
                _ => None,
            },
            "try_statement" if node.child_by_field_name("handler").is_none() && node.child_by_field_name("finalizer").is_none() => {
                Some(error_at(node, "missing catch or finally after try".into()))
            }
            "private_property_identifier" => undeclared_private_name(node, source).then(|| {
                let name = node.utf8_text(source.as_bytes()).unwrap_or("");
                error_at(node, format!("private field '{name}' must be declared in an enclosing class"))
            }),
            "yield_expression" => match enclosing_function(node) {
                Some(f) if is_generator(f) => None,
                _ => Some(error_at(node, "yield is only valid in generator functions".into())),
            },
            "return_statement" if !script_return => {
                enclosing_function(node).is_none().then(|| error_at(node, "return outside of a function".into()))
            }
            _ => None,
        };
        if found.is_some() {
            return found;
        }
        // A declaration standing as the body of `if`/`for`/...: blame the statement that
        // lost its body, not the declaration (whose uses would follow it).
        if matches!(node.kind(), "lexical_declaration" | "class_declaration" | "function_declaration" | "generator_function_declaration") {
            if let Some(parent) = node.parent() {
                if SINGLE_STATEMENT_PARENTS.contains(&parent.kind()) && !(parent.kind() == "labeled_statement" && node.kind() == "function_declaration") {
                    return Some(error_at(parent, "declaration in a single-statement context".into()));
                }
            }
        }
    }
    None
}

/// An unbalanced bracket, blamed by indentation: a closing bracket that starts its
/// line closes the open bracket whose line is indented like it, and every bracket
/// opened after that one is unclosed (the line that lost its closer is blamed, not the
/// enclosing function). A closer with nothing to close is blamed on its own line.
pub fn unbalanced_bracket(tree: &Tree, source: &str) -> Option<Diagnostic> {
    let lines: Vec<&str> = source.split('\n').collect();
    let indent_of = |row: usize| lines.get(row).map(|l| l.len() - l.trim_start().len()).unwrap_or(0);
    // (kind of closer expected, row, column)
    let mut stack: Vec<(&'static str, usize, usize)> = Vec::new();
    for node in preorder(tree) {
        if node.child_count() > 0 || node.is_missing() {
            continue;
        }
        let pos = node.start_position();
        let closer = match node.kind() {
            "{" | "${" => Some("}"),
            "(" => Some(")"),
            "[" => Some("]"),
            _ => None,
        };
        if let Some(closer) = closer {
            stack.push((closer, pos.row, pos.column));
            continue;
        }
        let kind = node.kind();
        if !matches!(kind, "}" | ")" | "]") {
            continue;
        }
        let starts_line = pos.column == indent_of(pos.row);
        let top_fits = stack.last().is_some_and(|top| top.0 == kind && (!starts_line || indent_of(top.1) == pos.column));
        if top_fits {
            stack.pop();
            continue;
        }
        if starts_line {
            if let Some(at) = stack.iter().rposition(|o| o.0 == kind && indent_of(o.1) == pos.column) {
                if at + 1 < stack.len() {
                    let unclosed = stack[at + 1];
                    return Some(Diagnostic::new(unclosed.1, unclosed.2, "E0001", format!("{:?} was never closed", opener_of(unclosed.0))));
                }
            }
        }
        if stack.last().is_some_and(|top| top.0 == kind) {
            stack.pop();
            continue;
        }
        return Some(Diagnostic::new(pos.row, pos.column, "E0001", format!("unmatched {kind:?}")));
    }
    let unclosed = stack.pop()?;
    Some(Diagnostic::new(unclosed.1, unclosed.2, "E0001", format!("{:?} was never closed", opener_of(unclosed.0))))
}

fn opener_of(closer: &str) -> &'static str {
    match closer {
        "}" => "{",
        ")" => "(",
        _ => "[",
    }
}

/// True if `node` (a `#name` use) names no private member of any enclosing class.
fn undeclared_private_name(node: Node, source: &str) -> bool {
    let parent = node.parent();
    if parent.is_some_and(|p| matches!(p.kind(), "field_definition" | "method_definition" | "public_field_definition" | "method_signature")) {
        return false;
    }
    let name = node.utf8_text(source.as_bytes()).unwrap_or("");
    let mut cur = node.parent();
    while let Some(n) = cur {
        if n.kind() == "class_body" {
            let mut c = n.walk();
            let declared = n.named_children(&mut c).any(|member| {
                let key = member.child_by_field_name("property").or_else(|| member.child_by_field_name("name"));
                key.is_some_and(|k| k.kind() == "private_property_identifier" && k.utf8_text(source.as_bytes()).ok() == Some(name))
            });
            if declared {
                return false;
            }
        }
        cur = n.parent();
    }
    true
}
