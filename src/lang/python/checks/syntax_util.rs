//! Small tree-sitter helpers shared by the checks (names and scopes come from the model).

use crate::lang::python::tree::Node;


pub fn text<'a>(src: &'a str, node: Node) -> &'a str {
    src.get(node.byte_range()).unwrap_or("")
}

/// The decorated_definition wrapping `def_node`, if any.
pub fn decorator_parent(def_node: Node) -> Option<Node> {
    def_node.parent().filter(|p| p.kind_str() == "decorated_definition")
}

/// The text of each decorator's expression (without `@`).
pub fn decorators<'a>(src: &'a str, def_node: Node<'a>) -> impl Iterator<Item = &'a str> + 'a {
    let parent = decorator_parent(def_node);
    let mut cursor = parent.map(|p| p.walk());
    let mut started = false;
    std::iter::from_fn(move || {
        let c = cursor.as_mut()?;
        loop {
            let moved = if started { c.goto_next_sibling() } else { c.goto_first_child() };
            started = true;
            if !moved {
                return None;
            }
            let child = c.node();
            if child.kind_str() == "decorator" {
                return Some(text(src, child).trim_start_matches('@').trim());
            }
        }
    })
}

/// Calls `f` on every node of the tree in pre-order.
pub fn for_each_node<'a>(root: Node<'a>, f: impl FnMut(Node<'a>)) {
    root.descendants().for_each(f);
}
