//! Building blocks for tree-sitter languages whose blocks are delimited by syntax, not
//! indentation (the brace languages): dependents by syntax node, and syntax-error
//! attribution from ERROR and MISSING nodes.

use tree_sitter::{Node, Parser, Tree};

use super::Diagnostic;

/// Parses `source` with `grammar`. Callers that lint many programs keep a parser per
/// thread instead (see the Python module).
pub fn parse_with(parser: &mut Parser, source: &str) -> Option<Tree> {
    parser.parse(source, None)
}

/// The column of the first non-blank byte of each line.
fn first_columns(lines: &[&str]) -> Vec<usize> {
    lines.iter().map(|l| l.len() - l.trim_start().len()).collect()
}

/// Dependents by syntax: deleting line `i` also deletes every line spanned by the
/// largest node that starts where line `i`'s code starts (a function with its body and
/// closing brace, a statement continued over several lines). Lines that start no node
/// (a lone `}`) have no dependents. Nodes of the `containers` kinds (a statement list
/// that merely starts where its first statement starts) are never taken.
pub fn node_dependent_ends(lines: &[&str], tree: &Tree, containers: &[&str]) -> Vec<usize> {
    let n = lines.len();
    let starts = first_columns(lines);
    let mut ends: Vec<usize> = (1..=n).collect();
    let mut cursor = tree.walk();
    let mut visit_children = true;
    loop {
        if visit_children {
            let node = cursor.node();
            let start = node.start_position();
            if start.row < n && start.column == starts[start.row] && node.kind() != "ERROR" && !containers.contains(&node.kind()) {
                let end = node.end_position();
                // A node that ends at column 0 ends with the line break before it.
                let end_exclusive = if end.column == 0 { end.row } else { end.row + 1 };
                let end_exclusive = end_exclusive.min(n);
                if end_exclusive > ends[start.row] {
                    ends[start.row] = end_exclusive;
                }
            }
        }
        if visit_children && cursor.goto_first_child() {
            continue;
        }
        if cursor.goto_next_sibling() {
            visit_children = true;
            continue;
        }
        if !cursor.goto_parent() {
            break;
        }
        visit_children = false;
    }
    // The root (and any node spanning the whole file from line 0) is not a dependency.
    let root = tree.root_node();
    if root.start_position().row == 0 && n > 0 {
        let mut first_stmt_end = 1;
        let mut walker = root.walk();
        for child in root.children(&mut walker) {
            if child.start_position().row == 0 {
                let end = child.end_position();
                first_stmt_end = first_stmt_end.max(if end.column == 0 { end.row } else { end.row + 1 });
            }
        }
        ends[0] = first_stmt_end.min(n).max(1);
    }
    ends
}

/// The first syntax error in document order, blamed on the line whose deletion fixes it:
/// the line of an unexpected token, or for a missing closing token the line that
/// opened the construct it should close.
pub fn first_syntax_error(tree: &Tree, source: &str) -> Option<Diagnostic> {
    let root = tree.root_node();
    if !root.has_error() {
        return None;
    }
    let node = first_error_node(root)?;
    if node.is_missing() {
        let opener = node.parent().unwrap_or(node);
        let pos = opener.start_position();
        return Some(Diagnostic::new(pos.row, pos.column, "E0001", format!("missing {:?}", node.kind())));
    }
    let pos = node.start_position();
    let text = node.utf8_text(source.as_bytes()).unwrap_or("");
    let snippet: String = text.chars().take(30).collect();
    Some(Diagnostic::new(pos.row, pos.column, "E0001", format!("syntax error at {snippet:?}")))
}

fn first_error_node(node: Node) -> Option<Node> {
    if node.is_error() || node.is_missing() {
        return Some(node);
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if child.has_error() || child.is_missing() {
            if let Some(found) = first_error_node(child) {
                return Some(found);
            }
        }
    }
    None
}

/// The line to blame for unbalanced brackets, found from the bracket tokens of the tree
/// (so strings and comments are already skipped) and the indentation of the lines, or
/// `None` when the brackets balance. A closer of the wrong kind, or a `}`/`)`/`]` that
/// starts its line matched to an opener that ends a line of a different indentation,
/// means the opener lost its closer: the opener's line is blamed (deleting it takes the
/// whole construct). A closer with nothing open is blamed itself; an opener still open
/// at the end is blamed too. This keeps a deleted closing brace from being blamed on
/// whatever code follows it.
pub fn unbalanced_bracket_line(tree: &Tree, source: &str) -> Option<usize> {
    let lines: Vec<&str> = source.split('\n').collect();
    let indent = |row: usize| lines.get(row).map_or(0, |l| l.len() - l.trim_start().len());
    // Every leaf, in order: (kind, row, column, is_first_on_row).
    let mut leaves: Vec<(&'static str, usize, usize)> = Vec::new();
    let mut cursor = tree.walk();
    let mut descend = true;
    loop {
        let node = cursor.node();
        if descend && node.child_count() == 0 && !node.is_missing() && node.start_byte() < node.end_byte() {
            let pos = node.start_position();
            leaves.push((node.kind(), pos.row, pos.column));
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
    let mut stack: Vec<(usize, &'static str, bool)> = Vec::new(); // (row, kind, ends its line)
    for (i, &(kind, row, column)) in leaves.iter().enumerate() {
        let closer_of = match kind {
            "}" => "{",
            ")" => "(",
            "]" => "[",
            "{" | "(" | "[" => {
                let ends_line = leaves.get(i + 1).is_none_or(|next| next.1 > row);
                stack.push((row, kind, ends_line));
                continue;
            }
            _ => continue,
        };
        let starts_line = column == indent(row);
        match stack.pop() {
            None => return Some(row),
            Some((open_row, open_kind, ends_line)) => {
                if open_kind != closer_of {
                    return Some(open_row);
                }
                if ends_line && starts_line && indent(open_row) != indent(row) {
                    return Some(open_row);
                }
            }
        }
    }
    stack.last().map(|&(row, _, _)| row)
}

/// Multi-line nodes of the `kinds` whose shape a deleted line can change without any
/// syntax error (an operand of a binary expression, an argument of a call): each as
/// (start row, key), the key being the node's kind and its tokens joined by spaces,
/// with comments left out and the subtrees of the `opaque` kinds (blocks, literal
/// bodies) written as `{}` so that edits inside them do not count. Only the outermost
/// node is listed: the nodes inside a listed one (up to an opaque one) are part of its
/// key (`a + b + c`, not `a + b`; `x.iter().map(f)`, not `x.iter()`), so a state that
/// lost the outer part (a chain that lost its last call) cannot pass for the inner one.
pub fn multiline_shapes(tree: &Tree, source: &str, kinds: &[&str], opaque: &[&str]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    // (node, whether a listed node holds it)
    let mut stack = vec![(tree.root_node(), false)];
    while let Some((node, held)) = stack.pop() {
        let multiline = node.start_position().row != node.end_position().row;
        let listed = multiline && !held && kinds.contains(&node.kind());
        if listed {
            let mut key = String::from(node.kind());
            shape_tokens(node, source, opaque, &mut key);
            out.push((node.start_position().row, key));
        }
        let held = (held || listed) && !opaque.contains(&node.kind());
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor).filter(|c| c.start_position().row != c.end_position().row).map(|c| (c, held)));
    }
    out.sort();
    out
}

/// `node`'s kind and tokens joined by spaces, comments left out and the subtrees of the
/// `opaque` kinds written as `{}` (the key [`multiline_shapes`] gives a node).
pub fn node_shape(node: Node, source: &str, opaque: &[&str]) -> String {
    let mut key = String::from(node.kind());
    shape_tokens(node, source, opaque, &mut key);
    key
}

fn shape_tokens(node: Node, source: &str, opaque: &[&str], key: &mut String) {
    if node.kind().contains("comment") {
        return;
    }
    if opaque.contains(&node.kind()) {
        key.push_str(" {}");
        return;
    }
    if node.child_count() == 0 {
        key.push(' ');
        key.push_str(node.utf8_text(source.as_bytes()).unwrap_or(""));
        return;
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        shape_tokens(child, source, opaque, key);
    }
}

/// The prefix under which [`remember_shapes`] stores shapes in a [`ProgramContext`].
const SHAPE_PREFIX: &str = "shape ";

/// Records in `ctx` the shapes of the full program's multi-line constructs (see
/// [`multiline_shapes`]), plus one marker entry so a context built from a program is told
/// from the default one.
pub fn remember_shapes(ctx: &mut super::ProgramContext, tree: &Tree, original: &str, kinds: &[&str], opaque: &[&str]) {
    ctx.external_names.insert(SHAPE_PREFIX.to_string());
    for (_, key) in multiline_shapes(tree, original, kinds, opaque) {
        ctx.external_names.insert(format!("{SHAPE_PREFIX}{key}"));
    }
}

/// Whether `ctx` was built from a program (by [`remember_shapes`]).
pub fn has_shapes(ctx: &super::ProgramContext) -> bool {
    ctx.external_names.contains(SHAPE_PREFIX)
}

/// E1120 findings for the multi-line constructs of `source` whose shape the full program
/// (remembered in `ctx`) never had: a line of an operand, argument or field list was lost,
/// which no syntax check sees. Nothing when `ctx` holds no shapes.
pub fn lost_shapes(ctx: &super::ProgramContext, tree: &Tree, source: &str, kinds: &[&str], opaque: &[&str]) -> Vec<Diagnostic> {
    if !has_shapes(ctx) {
        return Vec::new();
    }
    multiline_shapes(tree, source, kinds, opaque)
        .into_iter()
        .filter(|(_, key)| !ctx.external_names.contains(&format!("{SHAPE_PREFIX}{key}")))
        .map(|(row, _)| Diagnostic::new(row, 0, "E1120", "a multi-line expression lost a line"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_tree_gives_block_dependents() {
        let source = "def f(x):\n    y = (1,\n      2)\n    return y\nz = 3";
        let mut parser = Parser::new();
        parser.set_language(&tree_sitter_python::LANGUAGE.into()).unwrap();
        let tree = parse_with(&mut parser, source).unwrap();
        let lines: Vec<&str> = source.split('\n').collect();
        assert_eq!(node_dependent_ends(&lines, &tree, &["block"]), vec![4, 3, 3, 4, 5]);
    }
}
