//! Syntax errors of brace languages with precise line attribution. tree-sitter pairs
//! braces greedily, so a deleted `}` shows up as a MISSING `}` at the end of the file,
//! blamed on the outermost construct. Pairing the bracket tokens again with the
//! indentation of their lines finds the opener that really lost its closer, and that
//! line is blamed (its deletion takes the whole construct). Shared by Java and C++.

use tree_sitter::{Node, Tree};

use crate::lang::Diagnostic;

fn leaves<'t>(tree: &'t Tree) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    let mut descend = true;
    loop {
        let node = cursor.node();
        if descend && node.child_count() == 0 && !node.is_missing() && node.start_byte() < node.end_byte() {
            out.push(node);
        }
        if descend && cursor.goto_first_child() {
            continue;
        }
        if cursor.goto_next_sibling() {
            descend = true;
            continue;
        }
        if !cursor.goto_parent() {
            break;
        }
        descend = false;
    }
    out
}

/// The line of the bracket that breaks the pairing, if any: an opener whose closer is
/// gone (a closer that starts a line at a different indentation than the line of the
/// opener it would pair with, a closer of the wrong kind, an opener open at the end),
/// or a closer with nothing open.
pub fn unbalanced_bracket(tree: &Tree, source: &str) -> Option<Diagnostic> {
    let lines: Vec<&str> = source.split('\n').collect();
    let indent = |row: usize| lines.get(row).map_or(0, |l| l.len() - l.trim_start().len());
    let leaves = leaves(tree);
    // (row, column, kind, whether the opener ends its line)
    let mut stack: Vec<(usize, usize, &str, bool)> = Vec::new();
    for (i, leaf) in leaves.iter().enumerate() {
        let kind = leaf.kind();
        let pos = leaf.start_position();
        let opener = match kind {
            "}" => "{",
            ")" => "(",
            "]" => "[",
            "{" | "(" | "[" => {
                let ends_line = leaves.get(i + 1).is_none_or(|next| next.start_position().row > pos.row);
                stack.push((pos.row, pos.column, kind, ends_line));
                continue;
            }
            _ => continue,
        };
        let starts_line = pos.column == indent(pos.row);
        match stack.pop() {
            None => return Some(Diagnostic::new(pos.row, pos.column, "E0001", format!("unmatched {kind:?}"))),
            Some((row, column, open, ends_line)) => {
                if open != opener || (ends_line && starts_line && indent(row) != indent(pos.row)) {
                    return Some(Diagnostic::new(row, column, "E0001", format!("{open:?} was never closed")));
                }
            }
        }
    }
    stack.last().map(|&(row, column, open, _)| Diagnostic::new(row, column, "E0001", format!("{open:?} was never closed")))
}

/// The first syntax error: bracket pairing first, then tree-sitter's ERROR and MISSING
/// nodes.
pub fn first_error(tree: &Tree, source: &str) -> Option<Diagnostic> {
    if !tree.root_node().has_error() {
        return None;
    }
    unbalanced_bracket(tree, source).or_else(|| crate::lang::treesitter::first_syntax_error(tree, source))
}
