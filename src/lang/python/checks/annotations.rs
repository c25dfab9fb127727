//! Names inside string annotations (`x: "Node" = ...`, `def f(a: "list[Node]")`).
//!
//! Python never evaluates them and pylint does not read them, but pyflakes does (as
//! forward references, looked up once the whole module is known). A LintSeq state
//! whose string annotation names something deleted is a state pyflakes calls
//! broken, so it is reported as an undefined name (E0602, listed in `names`).

use crate::lang::python::tree::{named_children, Node};

use crate::lang::python::fields::Field;

use super::names::is_builtin;
use super::syntax_util::{for_each_node, text};
use super::Context;
use crate::lang::python::model::ScopeId;
use crate::lang::{CheckInfo, Diagnostic};

/// The message belongs to `names` (E0602); this module adds no new one.
pub const INFOS: &[CheckInfo] = &[];

const KEYWORDS: &[&str] = &[
    "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

/// The free names of a simple annotation expression (names, dotted names, subscripts,
/// `|`, commas, `...`) with their byte offsets; `None` for anything else (nested
/// strings, calls, keywords), which is left alone.
fn annotation_names(content: &str) -> Option<Vec<(usize, &str)>> {
    let bytes = content.as_bytes();
    let mut names = Vec::new();
    let mut depth = 0i32;
    let mut after_dot = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80) {
                i += 1;
            }
            let word = &content[start..i];
            if KEYWORDS.contains(&word) {
                return None;
            }
            if !after_dot && !matches!(word, "None" | "True" | "False") {
                names.push((start, word));
            }
            after_dot = false;
            continue;
        }
        match c {
            b'.' => after_dot = !content[i..].starts_with("..."),
            b'[' | b'(' => depth += 1,
            b']' | b')' => depth -= 1,
            b',' | b'|' | b' ' | b'\t' => {}
            b'0'..=b'9' => {}
            _ => return None,
        }
        if content[i..].starts_with("...") {
            i += 3;
            after_dot = false;
            continue;
        }
        if depth < 0 {
            return None;
        }
        i += 1;
    }
    (depth == 0 && !names.is_empty()).then_some(names)
}

/// A plain one-line string literal: its content node.
fn plain_string(node: Node) -> Option<Node> {
    if node.kind_str() != "string" {
        return None;
    }
    let mut content = None;
    for child in named_children(node) {
        match child.kind_str() {
            "string_start" | "string_end" => {}
            "string_content" if content.is_none() => content = Some(child),
            _ => return None,
        }
    }
    let start = node.child(0)?;
    if start.kind_str() != "string_start" || start.end_byte() - start.start_byte() != 1 {
        return None;
    }
    content.filter(|c| c.start_position().row == c.end_position().row)
}

/// Bound anywhere on the way out (class bodies too: pyflakes looks forward references
/// up late, and leniency costs nothing here), or by a star import.
fn defined(ctx: &Context, scope: ScopeId, name: &str) -> bool {
    let m = ctx.model;
    let id = m.name_id(name);
    let mut cur = Some(scope);
    while let Some(s) = cur {
        if m.scope(s).star_import || id.is_some_and(|n| m.is_bound_in(s, n)) {
            return true;
        }
        cur = m.scope(s).parent;
    }
    is_builtin(name) || matches!(name, "__file__" | "__builtins__" | "__annotations__" | "WindowsError")
}

pub fn run(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if !ctx.source.contains(":") {
        return;
    }
    for ty in ctx.of_kind("type") {
        if ty.parent().is_some_and(|p| p.kind_str() == "type_parameter") {
            continue;
        }
        let scope = ctx.model.enclosing_scope(ty);
        for_each_node(ty, |n| {
            let Some(content) = plain_string(n) else { return };
            if !read_as_annotation(ctx.source, ty, n) {
                return;
            }
            let Some(names) = annotation_names(text(ctx.source, content)) else { return };
            let p = content.start_position();
            for (offset, name) in names {
                if !defined(ctx, scope, name) {
                    out.push(Diagnostic::new(p.row, p.column + offset, "E0602", format!("Undefined variable '{name}'")));
                }
            }
        });
    }
}

/// Whether pyflakes reads a string inside an annotation as one: not inside
/// `Literal[...]`, and in `Annotated[...]` only in its first element. (Annotations
/// parse as `generic_type` / `type_parameter`, other expressions as `subscript`.)
fn read_as_annotation(src: &str, ty: Node, string: Node) -> bool {
    let (mut grandchild, mut child) = (string, string);
    let mut cur = string.parent();
    while let Some(p) = cur {
        if p.id() == ty.id() {
            return true;
        }
        let (value, element, first) = match p.kind_str() {
            "subscript" => (p.field(Field::Value), child, p.field(Field::Subscript)),
            "generic_type" => (p.named_child(0), grandchild, child.named_child(0)),
            _ => (None, child, None),
        };
        if let Some(value) = value.map(|v| text(src, v)) {
            if value.ends_with("Literal") || (value.ends_with("Annotated") && first.is_some_and(|f| f.id() != element.id())) {
                return false;
            }
        }
        grandchild = child;
        child = p;
        cur = p.parent();
    }
    true
}
