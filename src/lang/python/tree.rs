//! The syntax tree the semantic model and the checks read: tree-sitter-python's node
//! kinds, fields, byte ranges and positions, stored flat in pre-order.
//!
//! tree-sitter's own nodes are cheap to hold but dear to move between: a node's parent is
//! found by descending from the root, its `i`-th child by walking its siblings, and a
//! field by scanning the parent's field map. The model and the checks make hundreds of
//! such moves per lint call, so the tree is copied once into an array where the parent,
//! the next sibling and the field are plain reads. A node's subtree is the run of the
//! array from the node to its `next`; its first child, if any, follows it.
//!
//! [`Node`] and [`TreeCursor`] mirror the parts of tree-sitter's API the model and the
//! checks use, with the same names and meanings, so code reads the same on either.

use std::ops::Range;

use tree_sitter::Point;

use super::fields::{field_id, kind_name, Field};

/// No parent (the root), no field.
const NONE: u32 = u32::MAX;

/// `Raw::flags` bits.
const NAMED: u8 = 1;
pub(super) const ERROR: u8 = 2;
const MISSING: u8 = 4;

/// One node: tree-sitter's kind id and field id (0 when the node has no field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raw {
    pub kind: u16,
    pub field: u16,
    pub flags: u8,
    pub start: u32,
    pub end: u32,
    pub start_row: u32,
    pub start_column: u32,
    pub end_row: u32,
    pub end_column: u32,
    /// Index of the parent ([`NONE`] for the root).
    pub parent: u32,
    /// Index just past this node's subtree: its next sibling, if it has one.
    pub next: u32,
}

/// A syntax tree in pre-order. Index 0 is the root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyntaxTree {
    nodes: Vec<Raw>,
}

impl SyntaxTree {
    /// Copies a tree-sitter tree, in one cursor walk.
    pub fn from_tree_sitter(tree: &tree_sitter::Tree) -> SyntaxTree {
        let mut nodes: Vec<Raw> = Vec::with_capacity(256);
        let mut open: Vec<u32> = Vec::with_capacity(32);
        let mut cursor = tree.walk();
        loop {
            let node = cursor.node();
            let (start, end) = (node.start_position(), node.end_position());
            let mut flags = 0;
            if node.is_named() {
                flags |= NAMED;
            }
            if node.is_error() {
                flags |= ERROR;
            }
            if node.is_missing() {
                flags |= MISSING;
            }
            let index = nodes.len() as u32;
            nodes.push(Raw {
                kind: node.kind_id(),
                field: cursor.field_id().map_or(0, |f| f.get()),
                flags,
                start: node.start_byte() as u32,
                end: node.end_byte() as u32,
                start_row: start.row as u32,
                start_column: start.column as u32,
                end_row: end.row as u32,
                end_column: end.column as u32,
                parent: open.last().copied().unwrap_or(NONE),
                next: index + 1,
            });
            if cursor.goto_first_child() {
                open.push(index);
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return SyntaxTree { nodes };
                }
                let closed = open.pop().expect("a parent was opened for every child");
                nodes[closed as usize].next = nodes.len() as u32;
            }
        }
    }

    /// Builds a tree from nodes already in pre-order with `parent` and `next` set (see
    /// [`TreeBuilder`]).
    fn from_raw(nodes: Vec<Raw>) -> SyntaxTree {
        SyntaxTree { nodes }
    }

    pub fn root_node(&self) -> Node<'_> {
        Node { tree: self, index: 0 }
    }

    /// The root's [`Node::descendant_for_byte_range`] (or its named variant) for a
    /// non-empty range, without scanning every sibling on the way down (a class of a
    /// hundred methods): nodes are in pre-order, so sorted by start, and the deepest node
    /// spanning the range is an ancestor of the last node starting at or before
    /// `start` (siblings do not overlap, and an empty node spans no non-empty range).
    fn spanning(&self, start: usize, end: usize, named: bool) -> Node<'_> {
        let mut index = self.nodes.partition_point(|n| n.start as usize <= start).saturating_sub(1) as u32;
        loop {
            let n = &self.nodes[index as usize];
            let spans = n.start as usize <= start && n.end as usize >= end;
            if (spans && (!named || n.flags & NAMED != 0)) || n.parent == NONE {
                return Node { tree: self, index };
            }
            index = n.parent;
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node with id `id` (see [`Node::id`]).
    pub fn node(&self, id: usize) -> Node<'_> {
        Node { tree: self, index: id as u32 }
    }

    /// Every node, in pre-order.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = Node<'_>> + '_ {
        (0..self.nodes.len() as u32).map(move |index| Node { tree: self, index })
    }

    pub fn raw(&self) -> &[Raw] {
        &self.nodes
    }

    /// The nodes, for [`TreeBuilder::append_moved`].
    pub fn into_raw(self) -> Vec<Raw> {
        self.nodes
    }

    /// The first difference from `other`, as a readable line, or `None` when the trees
    /// are the same (same nodes, kinds, fields, flags, ranges and positions).
    pub fn first_difference(&self, other: &SyntaxTree) -> Option<String> {
        for (i, (a, b)) in self.nodes.iter().zip(&other.nodes).enumerate() {
            if a != b {
                return Some(format!(
                    "node {i}: {} {:?} vs {} {:?}",
                    kind_name(a.kind).unwrap_or("?"),
                    a,
                    kind_name(b.kind).unwrap_or("?"),
                    b
                ));
            }
        }
        (self.nodes.len() != other.nodes.len())
            .then(|| format!("{} nodes vs {} nodes", self.nodes.len(), other.nodes.len()))
    }
}

/// Appends nodes in pre-order: [`TreeBuilder::open`] a node, add its children, then
/// [`TreeBuilder::close`] it; [`TreeBuilder::leaf`] adds a node without children.
#[derive(Debug, Default)]
pub struct TreeBuilder {
    nodes: Vec<Raw>,
    open: Vec<u32>,
}

impl TreeBuilder {
    pub fn new() -> Self {
        Self::with_capacity(256)
    }

    /// A builder with room for `nodes` nodes.
    pub fn with_capacity(nodes: usize) -> Self {
        TreeBuilder { nodes: Vec::with_capacity(nodes), open: Vec::with_capacity(32) }
    }

    /// Starts a node at byte `start` (row and byte column `position`). Its end is set by
    /// [`TreeBuilder::close`].
    pub fn open(&mut self, kind: u16, field: u16, named: bool, start: u32, position: Point) -> u32 {
        let index = self.push(kind, field, named, start, start, position, position);
        self.open.push(index);
        index
    }

    /// A builder that goes on from `nodes`, the first nodes of a tree with only its root
    /// (index 0) open.
    pub fn resume_under_root(nodes: Vec<Raw>) -> Self {
        let mut open = Vec::with_capacity(32);
        open.push(0);
        TreeBuilder { nodes, open }
    }

    /// Ends the innermost open node at byte `end` (position `position`).
    pub fn close(&mut self, end: u32, position: Point) {
        let index = self.open.pop().expect("close matches an open");
        let after = self.nodes.len() as u32;
        let node = &mut self.nodes[index as usize];
        node.end = end;
        node.end_row = position.row as u32;
        node.end_column = position.column as u32;
        node.next = after;
    }

    /// Adds a node without children.
    #[allow(clippy::too_many_arguments)]
    pub fn leaf(&mut self, kind: u16, field: u16, named: bool, start: u32, end: u32, from: Point, to: Point) -> u32 {
        self.push(kind, field, named, start, end, from, to)
    }

    #[allow(clippy::too_many_arguments)]
    fn push(&mut self, kind: u16, field: u16, named: bool, start: u32, end: u32, from: Point, to: Point) -> u32 {
        let index = self.nodes.len() as u32;
        self.nodes.push(Raw {
            kind,
            field,
            flags: if named { NAMED } else { 0 },
            start,
            end,
            start_row: from.row as u32,
            start_column: from.column as u32,
            end_row: to.row as u32,
            end_column: to.column as u32,
            parent: self.open.last().copied().unwrap_or(NONE),
            next: index + 1,
        });
        index
    }

    /// How many nodes have been added; [`TreeBuilder::truncate`] goes back to it.
    pub fn mark(&self) -> (usize, usize) {
        (self.nodes.len(), self.open.len())
    }

    /// Forgets every node added since `mark` (for a parse that backtracks).
    pub fn truncate(&mut self, mark: (usize, usize)) {
        self.nodes.truncate(mark.0);
        self.open.truncate(mark.1);
    }

    /// Sets the field of an added node (when it is known only after the node is built).
    pub fn set_field(&mut self, index: u32, field: u16) {
        self.nodes[index as usize].field = field;
    }

    /// Sets the kind of an added node (when it is known only after the node is built).
    pub fn set_kind(&mut self, index: u32, kind: u16, named: bool) {
        let node = &mut self.nodes[index as usize];
        node.kind = kind;
        node.flags = if named { node.flags | NAMED } else { node.flags & !NAMED };
    }

    /// Wraps the nodes from `first` (a node added at the current depth) to the last added
    /// one in a new parent that ends where the last of them ends: for rules known only
    /// once their first operand is parsed (`a + b`, `a.b`, `f(x)`).
    pub fn wrap(&mut self, first: u32, kind: u16, field: u16, named: bool) -> u32 {
        let parent = self.nodes[first as usize].parent;
        let start = self.nodes[first as usize];
        let mut wrapper = start;
        wrapper.kind = kind;
        wrapper.field = field;
        wrapper.flags = if named { NAMED } else { 0 };
        wrapper.parent = parent;
        self.nodes.insert(first as usize, wrapper);
        let len = self.nodes.len() as u32;
        // Every index at or past `first` moved by one.
        for node in &mut self.nodes[first as usize + 1..] {
            if node.parent != NONE && node.parent >= first {
                node.parent += 1;
            }
            node.next += 1;
        }
        // The wrapped nodes' own parent (those at the old depth) is the wrapper now.
        let mut child = first + 1;
        while child < len {
            self.nodes[child as usize].parent = first;
            child = self.nodes[child as usize].next;
        }
        let (end, end_row, end_column) = {
            let last = self.last_at_depth(first);
            (last.end, last.end_row, last.end_column)
        };
        let w = &mut self.nodes[first as usize];
        w.end = end;
        w.end_row = end_row;
        w.end_column = end_column;
        w.next = len;
        for open in &mut self.open {
            if *open >= first {
                *open += 1;
            }
        }
        first
    }

    /// The last child of the wrapper at `first`.
    fn last_at_depth(&self, first: u32) -> Raw {
        let mut child = first + 1;
        let mut last = self.nodes[first as usize];
        while (child as usize) < self.nodes.len() {
            last = self.nodes[child as usize];
            child = last.next;
        }
        last
    }

    /// The number of nodes added so far.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn finish(self) -> SyntaxTree {
        debug_assert!(self.open.is_empty(), "every opened node is closed");
        SyntaxTree::from_raw(self.nodes)
    }

    /// [`TreeBuilder::wrap`], leaving the wrapper open: the nodes added next are its
    /// children until [`TreeBuilder::close`].
    pub fn wrap_open(&mut self, first: u32, kind: u16, field: u16, named: bool) -> u32 {
        let index = self.wrap(first, kind, field, named);
        self.open.push(index);
        index
    }

    /// Appends `nodes`, indices `first..` of another tree, moved `node_shift` indices,
    /// `byte_shift` bytes and `row_shift` rows; those whose parent is not among them
    /// become children of the innermost open node.
    ///
    /// (Never inlined: whether the builder's statement inlined it changed with edits
    /// elsewhere, and with it the instructions of the copy loop by half.)
    #[inline(never)]
    pub fn append_moved(&mut self, nodes: &[Raw], first: u32, node_shift: i64, byte_shift: i64, row_shift: i64) {
        let parent = self.open.last().copied().unwrap_or(NONE);
        let last = first + nodes.len() as u32;
        let index = |i: u32| (i as i64 + node_shift) as u32;
        let byte = |b: u32| (b as i64 + byte_shift) as u32;
        let row = |r: u32| (r as i64 + row_shift) as u32;
        self.nodes.extend(nodes.iter().map(|n| Raw {
            start: byte(n.start),
            end: byte(n.end),
            start_row: row(n.start_row),
            end_row: row(n.end_row),
            parent: if (first..last).contains(&n.parent) { index(n.parent) } else { parent },
            next: index(n.next),
            ..*n
        }));
    }

    /// How many nodes are open.
    pub fn depth(&self) -> usize {
        self.open.len()
    }

    /// An added node (its `next` is final only once it is closed).
    pub fn node(&self, index: u32) -> &Raw {
        &self.nodes[index as usize]
    }
}

/// A node of a [`SyntaxTree`]; cheap to copy.
#[derive(Clone, Copy)]
pub struct Node<'t> {
    tree: &'t SyntaxTree,
    index: u32,
}

impl PartialEq for Node<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index && std::ptr::eq(self.tree, other.tree)
    }
}

impl Eq for Node<'_> {}

impl std::hash::Hash for Node<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.index.hash(state);
    }
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{{Node {} {:?}}}", self.kind_str(), self.byte_range())
    }
}

impl<'t> Node<'t> {
    #[inline]
    fn raw(&self) -> &'t Raw {
        &self.tree.nodes[self.index as usize]
    }

    #[inline]
    fn at(&self, index: u32) -> Node<'t> {
        Node { tree: self.tree, index }
    }

    /// The tree the node belongs to.
    #[inline]
    pub fn tree(&self) -> &'t SyntaxTree {
        self.tree
    }

    /// A number unique to this node within its tree (its pre-order index).
    #[inline]
    pub fn id(&self) -> usize {
        self.index as usize
    }

    #[inline]
    pub fn kind_id(&self) -> u16 {
        self.raw().kind
    }

    /// The dense index of [`Node::kind_str`] (`fields::kind_name_index`): nodes with the
    /// same kind name have the same index.
    #[inline]
    pub fn kind_name_index(&self) -> u32 {
        if self.raw().flags & ERROR != 0 {
            return super::fields::error_name_index();
        }
        super::fields::kind_name_index(self.raw().kind)
    }

    /// The node's kind, as tree-sitter names it ("ERROR" for an error node).
    #[inline]
    pub fn kind_str(&self) -> &'static str {
        if self.raw().flags & ERROR != 0 {
            return "ERROR";
        }
        kind_name(self.raw().kind).unwrap_or("ERROR")
    }

    /// Same as [`Node::kind_str`] (tree-sitter's name for it).
    #[inline]
    pub fn kind(&self) -> &'static str {
        self.kind_str()
    }

    #[inline]
    pub fn is_named(&self) -> bool {
        self.raw().flags & NAMED != 0
    }

    #[inline]
    pub fn is_error(&self) -> bool {
        self.raw().flags & ERROR != 0
    }

    #[inline]
    pub fn is_missing(&self) -> bool {
        self.raw().flags & MISSING != 0
    }

    /// Whether the subtree holds an error or a missing node.
    pub fn has_error(&self) -> bool {
        let r = self.raw();
        self.tree.nodes[self.index as usize..r.next as usize].iter().any(|n| n.flags & (ERROR | MISSING) != 0)
    }

    #[inline]
    pub fn start_byte(&self) -> usize {
        self.raw().start as usize
    }

    #[inline]
    pub fn end_byte(&self) -> usize {
        self.raw().end as usize
    }

    #[inline]
    pub fn byte_range(&self) -> Range<usize> {
        self.start_byte()..self.end_byte()
    }

    #[inline]
    pub fn start_position(&self) -> Point {
        let r = self.raw();
        Point { row: r.start_row as usize, column: r.start_column as usize }
    }

    #[inline]
    pub fn end_position(&self) -> Point {
        let r = self.raw();
        Point { row: r.end_row as usize, column: r.end_column as usize }
    }

    pub fn utf8_text<'s>(&self, source: &'s [u8]) -> Result<&'s str, std::str::Utf8Error> {
        std::str::from_utf8(&source[self.byte_range()])
    }

    #[inline]
    pub fn parent(&self) -> Option<Node<'t>> {
        let parent = self.raw().parent;
        (parent != NONE).then(|| self.at(parent))
    }

    /// This node and every node under it, in pre-order.
    #[inline]
    pub fn descendants(&self) -> impl ExactSizeIterator<Item = Node<'t>> + 't {
        let tree = self.tree;
        (self.index..self.raw().next).map(move |index| Node { tree, index })
    }

    /// All children, named and anonymous, in order.
    #[inline]
    pub fn children_iter(&self) -> Children<'t> {
        Children { tree: self.tree, next: self.index + 1, end: self.raw().next }
    }

    /// The children, as tree-sitter's `Node::children` (the cursor is not needed).
    #[inline]
    pub fn children(&self, _cursor: &mut TreeCursor<'t>) -> Children<'t> {
        self.children_iter()
    }

    /// The named children, as tree-sitter's `Node::named_children`.
    #[inline]
    pub fn named_children(&self, _cursor: &mut TreeCursor<'t>) -> impl Iterator<Item = Node<'t>> + 't {
        self.children_iter().filter(|c| c.is_named())
    }

    pub fn child_count(&self) -> usize {
        self.children_iter().count()
    }

    pub fn child(&self, i: usize) -> Option<Node<'t>> {
        self.children_iter().nth(i)
    }

    pub fn named_child_count(&self) -> usize {
        self.children_iter().filter(|c| c.is_named()).count()
    }

    pub fn named_child(&self, i: usize) -> Option<Node<'t>> {
        self.children_iter().filter(|c| c.is_named()).nth(i)
    }

    /// The first child in `field`.
    #[inline]
    pub fn field(&self, field: Field) -> Option<Node<'t>> {
        self.child_by_field_id(field_id(field))
    }

    pub fn child_by_field_id(&self, id: u16) -> Option<Node<'t>> {
        self.children_iter().find(|c| c.raw().field == id)
    }

    pub fn child_by_field_name(&self, name: &str) -> Option<Node<'t>> {
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        let id = language.field_id_for_name(name)?.get();
        self.child_by_field_id(id)
    }

    /// Every child in field `name`, as tree-sitter's `Node::children_by_field_name`.
    pub fn children_by_field_name(&self, name: &str, _cursor: &mut TreeCursor<'t>) -> impl Iterator<Item = Node<'t>> + 't {
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        let id = language.field_id_for_name(name).map_or(u16::MAX, |f| f.get());
        self.children_iter().filter(move |c| c.raw().field == id)
    }

    /// tree-sitter's id of this node's field in its parent (0 for none).
    #[inline]
    pub fn field_id(&self) -> u16 {
        self.raw().field
    }

    pub fn next_sibling(&self) -> Option<Node<'t>> {
        let parent = self.parent()?;
        let next = self.raw().next;
        (next < parent.raw().next).then(|| self.at(next))
    }

    pub fn walk(&self) -> TreeCursor<'t> {
        TreeCursor { node: *self, stack: Vec::new() }
    }

    /// The smallest node that spans `start..end`, named or not (tree-sitter's
    /// `descendant_for_byte_range`).
    pub fn descendant_for_byte_range(&self, start: usize, end: usize) -> Option<Node<'t>> {
        self.descendant_spanning(start, end, false)
    }

    /// The smallest named node that spans `start..end`.
    pub fn named_descendant_for_byte_range(&self, start: usize, end: usize) -> Option<Node<'t>> {
        self.descendant_spanning(start, end, true)
    }

    fn descendant_spanning(&self, start: usize, end: usize, named: bool) -> Option<Node<'t>> {
        if self.index == 0 && start < end {
            return Some(self.tree.spanning(start, end, named));
        }
        // Mirrors tree-sitter's `ts_node__descendant_for_byte_range`: descend into the
        // first child that spans the range (a child ending exactly at `start` only when
        // the range is empty and nothing later starts there).
        let mut node = *self;
        let mut last_visible = *self;
        'descend: loop {
            for child in node.children_iter() {
                let (s, e) = (child.start_byte(), child.end_byte());
                if e < end {
                    continue;
                }
                if s > start {
                    break;
                }
                // A child ending where the range starts spans it only if it is empty.
                if e == start && s != e {
                    continue;
                }
                node = child;
                if !named || node.is_named() {
                    last_visible = node;
                }
                continue 'descend;
            }
            return Some(last_visible);
        }
    }
}

/// The named children of `node`.
#[inline]
pub fn named_children(node: Node<'_>) -> impl Iterator<Item = Node<'_>> + '_ {
    node.children_iter().filter(|c| c.is_named())
}

/// The children of a node.
pub struct Children<'t> {
    tree: &'t SyntaxTree,
    next: u32,
    end: u32,
}

impl<'t> Iterator for Children<'t> {
    type Item = Node<'t>;

    #[inline]
    fn next(&mut self) -> Option<Node<'t>> {
        if self.next >= self.end {
            return None;
        }
        let node = Node { tree: self.tree, index: self.next };
        self.next = self.tree.nodes[self.next as usize].next;
        Some(node)
    }
}

/// A cursor over a [`SyntaxTree`], as tree-sitter's `TreeCursor`.
pub struct TreeCursor<'t> {
    node: Node<'t>,
    stack: Vec<Node<'t>>,
}

impl<'t> TreeCursor<'t> {
    pub fn node(&self) -> Node<'t> {
        self.node
    }

    pub fn goto_first_child(&mut self) -> bool {
        match self.node.children_iter().next() {
            Some(child) => {
                self.stack.push(self.node);
                self.node = child;
                true
            }
            None => false,
        }
    }

    pub fn goto_next_sibling(&mut self) -> bool {
        let Some(parent) = self.stack.last() else { return false };
        let next = self.node.raw().next;
        if next < parent.raw().next {
            self.node = self.node.at(next);
            true
        } else {
            false
        }
    }

    pub fn goto_parent(&mut self) -> bool {
        match self.stack.pop() {
            Some(parent) => {
                self.node = parent;
                true
            }
            None => false,
        }
    }

    /// The name of the current node's field in its parent.
    pub fn field_name(&self) -> Option<&'static str> {
        if self.stack.is_empty() {
            return None;
        }
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        language.field_name_for_id(self.node.raw().field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compare(source: &str) {
        let ts = super::super::parse(source);
        let tree = SyntaxTree::from_tree_sitter(&ts);
        let mut pairs = vec![(ts.root_node(), tree.root_node())];
        let mut seen = 0;
        while let Some((a, b)) = pairs.pop() {
            seen += 1;
            assert_eq!(a.kind(), b.kind_str(), "{source:?}");
            assert_eq!(a.byte_range(), b.byte_range());
            assert_eq!(a.start_position(), b.start_position());
            assert_eq!(a.end_position(), b.end_position());
            assert_eq!(a.is_named(), b.is_named());
            assert_eq!(a.child_count(), b.child_count());
            assert_eq!(a.named_child_count(), b.named_child_count());
            assert_eq!(a.parent().map(|p| p.byte_range()), b.parent().map(|p| p.byte_range()));
            assert_eq!(a.has_error(), b.has_error());
            for field in ["name", "body", "left", "right", "value", "function", "arguments"] {
                assert_eq!(a.child_by_field_name(field).map(|c| c.byte_range()), b.child_by_field_name(field).map(|c| c.byte_range()));
            }
            let mut cursor = a.walk();
            for (i, child) in a.children(&mut cursor).enumerate() {
                pairs.push((child, b.child(i).unwrap()));
            }
            let mut ta = a.walk();
            let mut tb = b.walk();
            let mut moved = ta.goto_first_child();
            assert_eq!(moved, tb.goto_first_child());
            while moved {
                assert_eq!(ta.field_name(), tb.field_name());
                assert_eq!(ta.node().byte_range(), tb.node().byte_range());
                moved = ta.goto_next_sibling();
                assert_eq!(moved, tb.goto_next_sibling());
            }
        }
        assert_eq!(seen, tree.len());
        // Range look-ups agree with tree-sitter's for every token boundary.
        let bytes = source.len();
        for start in 0..=bytes {
            for end in [start, (start + 1).min(bytes), (start + 5).min(bytes)] {
                if !(source.is_char_boundary(start) && source.is_char_boundary(end)) {
                    continue;
                }
                let a = ts.root_node().descendant_for_byte_range(start, end).map(|n| n.byte_range());
                let b = tree.root_node().descendant_for_byte_range(start, end).map(|n| n.byte_range());
                assert_eq!(a, b, "descendant_for_byte_range({start}, {end}) of {source:?}");
                let a = ts.root_node().named_descendant_for_byte_range(start, end).map(|n| (n.kind(), n.byte_range()));
                let b = tree.root_node().named_descendant_for_byte_range(start, end).map(|n| (n.kind_str(), n.byte_range()));
                assert_eq!(a, b, "named_descendant_for_byte_range({start}, {end}) of {source:?}");
            }
        }
    }

    #[test]
    fn the_copy_reads_like_the_tree_sitter_tree() {
        compare("import os\n\n@dec\ndef f(a, *b, c=1, **d) -> int:\n    \"\"\"doc\"\"\"\n    x = [i for i in a if i]  # c\n    return f'{x!r}' + os.sep\n");
        compare("class A(B, metaclass=M):\n    def g(self):\n        try:\n            pass\n        except (E, F) as e:\n            raise X from e\n");
        compare("x = (1 +\n");
        compare("");
        compare("a.b.c(d)[e:f] = g if h else lambda: ...\n");
    }

    #[test]
    fn wrapping_moves_nodes_under_a_new_parent() {
        let p = |column| Point { row: 0, column };
        let mut b = TreeBuilder::new();
        b.open(1, 0, true, 0, p(0));
        let first = b.leaf(2, 0, true, 0, 1, p(0), p(1));
        b.leaf(3, 0, false, 2, 3, p(2), p(3));
        b.leaf(2, 0, true, 4, 5, p(4), p(5));
        b.wrap(first, 4, 0, true);
        b.close(5, p(5));
        let tree = b.finish();
        let root = tree.root_node();
        assert_eq!(root.child_count(), 1);
        let wrapper = root.child(0).unwrap();
        assert_eq!((wrapper.kind_id(), wrapper.byte_range()), (4, 0..5));
        assert_eq!(wrapper.child_count(), 3);
        assert!(wrapper.children_iter().all(|c| c.parent() == Some(wrapper)));
        assert_eq!(root.byte_range(), 0..5);
    }
}
