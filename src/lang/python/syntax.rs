//! Syntax errors, attributed to the line CPython blames. (First version: the first
//! ERROR or MISSING node of the tree-sitter parse.)

use tree_sitter::{Node, Tree};

use crate::lang::Diagnostic;

pub fn first_error(_source: &str, tree: &Tree) -> Option<Diagnostic> {
    let root = tree.root_node();
    if !root.has_error() {
        return None;
    }
    fn find(node: Node) -> Option<Node> {
        if node.is_error() || node.is_missing() {
            return Some(node);
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.has_error() {
                if let Some(found) = find(child) {
                    return Some(found);
                }
            }
        }
        None
    }
    let node = find(root).unwrap_or(root);
    let pos = node.start_position();
    Some(Diagnostic::new(pos.row, pos.column, "E0001", "invalid syntax"))
}
