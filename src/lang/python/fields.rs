//! tree-sitter-python's field ids and node kind names, looked up once.
//!
//! `Node::child_by_field_name` compares the name with every field name of the grammar
//! on each call, and `Node::kind` measures and validates the C string of the kind on
//! each call; together they were ~8% of all instructions. `node.field(Field::Body)` and
//! `node.kind_str()` are array reads.

use std::sync::LazyLock;

use tree_sitter::Node;

/// The fields of tree-sitter-python's nodes that the model and the checks read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Alias,
    Alternative,
    Argument,
    Arguments,
    Attribute,
    Body,
    Condition,
    Consequence,
    Function,
    Left,
    ModuleName,
    Name,
    Object,
    Operator,
    Parameters,
    ReturnType,
    Right,
    Subject,
    Subscript,
    Superclasses,
    Type,
    Value,
}

const NAMES: [(Field, &str); 22] = [
    (Field::Alias, "alias"),
    (Field::Alternative, "alternative"),
    (Field::Argument, "argument"),
    (Field::Arguments, "arguments"),
    (Field::Attribute, "attribute"),
    (Field::Body, "body"),
    (Field::Condition, "condition"),
    (Field::Consequence, "consequence"),
    (Field::Function, "function"),
    (Field::Left, "left"),
    (Field::ModuleName, "module_name"),
    (Field::Name, "name"),
    (Field::Object, "object"),
    (Field::Operator, "operator"),
    (Field::Parameters, "parameters"),
    (Field::ReturnType, "return_type"),
    (Field::Right, "right"),
    (Field::Subject, "subject"),
    (Field::Subscript, "subscript"),
    (Field::Superclasses, "superclasses"),
    (Field::Type, "type"),
    (Field::Value, "value"),
];

static IDS: LazyLock<[u16; NAMES.len()]> = LazyLock::new(|| {
    let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    let mut ids = [0; NAMES.len()];
    for (field, name) in NAMES {
        ids[field as usize] = language
            .field_id_for_name(name)
            .unwrap_or_else(|| panic!("tree-sitter-python has no field {name:?}"))
            .get();
    }
    ids
});

/// Every kind name of the grammar, by kind id.
static KINDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    (0..language.node_kind_count() as u16).map(|id| language.node_kind_for_id(id).unwrap_or("")).collect()
});

/// Kind names as dense indices: the index of each kind id's name (kinds that share a name,
/// such as a rule and the keyword it starts with, share it), and every name's index.
/// "ERROR" has one, and so does any id past the table (its `kind_str` is "ERROR").
static NAME_INDICES: LazyLock<(Vec<u32>, foldhash::HashMap<&'static str, u32>)> = LazyLock::new(|| {
    let mut names: foldhash::HashMap<&'static str, u32> = foldhash::HashMap::default();
    let mut of_kind = Vec::with_capacity(KINDS.len());
    for &name in KINDS.iter() {
        let next = names.len() as u32;
        of_kind.push(*names.entry(name).or_insert(next));
    }
    let next = names.len() as u32;
    names.entry("ERROR").or_insert(next);
    (of_kind, names)
});

/// The dense index of kind id `kind`'s name (see [`name_index`]).
#[inline]
pub fn kind_name_index(kind: u16) -> u32 {
    NAME_INDICES.0.get(kind as usize).copied().unwrap_or_else(error_name_index)
}

/// [`kind_name_index`] of every kind id of the grammar's table, by id.
pub fn kind_name_indices() -> &'static [u32] {
    &NAME_INDICES.0
}

/// The dense index of the kind name `name`, if the grammar has it.
pub fn name_index(name: &str) -> Option<u32> {
    NAME_INDICES.1.get(name).copied()
}

/// The dense index of "ERROR".
pub fn error_name_index() -> u32 {
    NAME_INDICES.1["ERROR"]
}

/// How many distinct kind names there are (dense indices are below this).
pub fn kind_name_count() -> usize {
    NAME_INDICES.1.len()
}

/// tree-sitter's id of `field`.
#[inline]
pub fn field_id(field: Field) -> u16 {
    IDS[field as usize]
}

/// The name of kind id `kind` (`None` past the grammar's table).
#[inline]
pub fn kind_name(kind: u16) -> Option<&'static str> {
    KINDS.get(kind as usize).copied()
}

/// The kind id of the named or anonymous kind `name`.
pub fn kind_id(name: &str, named: bool) -> u16 {
    let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    language.id_for_node_kind(name, named)
}

/// Fast field and kind access on tree-sitter-python nodes.
pub trait FieldExt<'t> {
    /// The child in `field`, as `child_by_field_name` with the field's name.
    fn field(&self, field: Field) -> Option<Node<'t>>;
    /// The node's kind, as `Node::kind`.
    fn kind_str(&self) -> &'static str;
}

impl<'t> FieldExt<'t> for Node<'t> {
    #[inline]
    fn field(&self, field: Field) -> Option<Node<'t>> {
        self.child_by_field_id(IDS[field as usize])
    }

    #[inline]
    fn kind_str(&self) -> &'static str {
        // Ids past the table are the built-in error symbols ("ERROR").
        KINDS.get(self.kind_id() as usize).copied().unwrap_or_else(|| self.kind())
    }
}

/// Up to this many children, [`named_children`] reads them by index: `Node::named_child`
/// walks from the first child each time, which costs less than a cursor for a few
/// children and more for many.
const FEW_CHILDREN: usize = 8;

/// The named children of `node`, as `Node::named_children` gives them.
pub fn named_children<'t>(node: Node<'t>) -> NamedChildren<'t> {
    let count = node.named_child_count();
    if count <= FEW_CHILDREN {
        NamedChildren::Few { node, next: 0, count }
    } else {
        let mut cursor = node.walk();
        NamedChildren::Many(node.named_children(&mut cursor).collect::<Vec<_>>().into_iter())
    }
}

pub enum NamedChildren<'t> {
    Few { node: Node<'t>, next: usize, count: usize },
    Many(std::vec::IntoIter<Node<'t>>),
}

impl<'t> Iterator for NamedChildren<'t> {
    type Item = Node<'t>;

    fn next(&mut self) -> Option<Node<'t>> {
        match self {
            NamedChildren::Few { node, next, count } => {
                while *next < *count {
                    *next += 1;
                    if let Some(child) = node.named_child(*next - 1) {
                        return Some(child);
                    }
                }
                None
            }
            NamedChildren::Many(rest) => rest.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_found_in_the_order_of_the_enum() {
        for (i, (field, _)) in NAMES.iter().enumerate() {
            assert_eq!(*field as usize, i);
        }
        let tree = super::super::parse("def f(a) -> int:\n    return a\nx = (1 +\n");
        let def = tree.root_node().child(0).unwrap();
        assert_eq!(def.field(Field::Name).map(|n| n.kind()), def.child_by_field_name("name").map(|n| n.kind()));
        assert_eq!(def.field(Field::Body).map(|n| n.id()), def.child_by_field_name("body").map(|n| n.id()));
        assert_eq!(def.field(Field::ReturnType).map(|n| n.id()), def.child_by_field_name("return_type").map(|n| n.id()));
        assert!(def.field(Field::Superclasses).is_none());
        let mut cursor = tree.walk();
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            assert_eq!(node.kind_str(), node.kind());
            let expected: Vec<usize> = node.named_children(&mut cursor).map(|c| c.id()).collect();
            assert_eq!(named_children(node).map(|c| c.id()).collect::<Vec<_>>(), expected);
            stack.extend(node.children(&mut cursor));
        }
    }
}
