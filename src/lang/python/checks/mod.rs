//! Checks read the syntax tree and the semantic model and report findings; each module
//! owns a few related pylint messages and lists them in its `INFOS`.

pub mod annotations;
pub mod calls;
pub mod classes;
pub mod compile;
pub mod context;
pub mod definitions;
pub mod members;
pub mod names;
pub mod stdlib_classes;
pub mod strings;
pub mod syntax_util;

use std::cell::OnceCell;
use std::sync::LazyLock;

use crate::lang::python::fields;
use crate::lang::python::tree::{Node, SyntaxTree};


use super::model::Model;
use crate::lang::{CheckInfo, Diagnostic};

/// What every check may read.
pub struct Context<'a> {
    pub source: &'a str,
    pub tree: &'a SyntaxTree,
    pub model: &'a Model,
    /// The indices of the tree's nodes of each kind of [`GROUPED`], in pre-order: those of
    /// `GROUPED[g]` are `by_kind[kind_from[g]..kind_from[g + 1]]`. Built in one pass, so a
    /// check visits the kinds it reads, not the whole tree.
    by_kind: Vec<u32>,
    kind_from: Vec<u32>,
    /// The `attribute` nodes, in pre-order.
    pub attributes: Vec<Node<'a>>,
    /// The `call` nodes, in pre-order.
    pub calls: Vec<Node<'a>>,
    /// The nodes `compile` looks at, in pre-order: `global` and `nonlocal` statements,
    /// starred expressions and targets, `from ... import` statements, `:=`.
    pub declarations_and_stars: Vec<Node<'a>>,
    /// The classes of the program, built on first use and shared by the checks.
    program: OnceCell<classes::Program<'a>>,
}

impl<'a> Context<'a> {
    pub fn new(source: &'a str, tree: &'a SyntaxTree, model: &'a Model) -> Self {
        let groups = &*GROUPS;
        // The grouped nodes in pre-order, with their group, then a counting sort of them by
        // group. Most nodes (names, punctuation, literals) are in no group.
        let mut picked: Vec<(u32, u32)> = Vec::with_capacity(tree.len() / 8);
        let mut kind_from = vec![0u32; GROUPED.len() + 1];
        for (index, raw) in tree.raw().iter().enumerate() {
            let group = if raw.flags & crate::lang::python::tree::ERROR != 0 { NO_GROUP } else { groups.of_kind_id.get(raw.kind as usize).copied().unwrap_or(NO_GROUP) };
            if group != NO_GROUP {
                picked.push((group as u32, index as u32));
                kind_from[group as usize + 1] += 1;
            }
        }
        for g in 1..kind_from.len() {
            kind_from[g] += kind_from[g - 1];
        }
        let mut next = kind_from.clone();
        let mut by_kind = vec![0u32; picked.len()];
        let mut declarations_and_stars = Vec::new();
        for &(group, index) in &picked {
            by_kind[next[group as usize] as usize] = index;
            next[group as usize] += 1;
            if groups.declaration[group as usize] {
                declarations_and_stars.push(tree.node(index as usize));
            }
        }
        let mut ctx = Context {
            source,
            tree,
            model,
            by_kind,
            kind_from,
            attributes: Vec::new(),
            calls: Vec::new(),
            declarations_and_stars,
            program: OnceCell::new(),
        };
        ctx.attributes = ctx.of_kind("attribute").collect();
        ctx.calls = ctx.of_kind("call").collect();
        ctx
    }

    /// The nodes whose `kind_str()` is `kind`, in pre-order: a kind of [`GROUPED`] is read
    /// from its group, any other costs a look at every node.
    pub fn of_kind<'s>(&'s self, kind: &str) -> impl Iterator<Item = Node<'a>> + 's {
        let tree: &'a SyntaxTree = self.tree;
        let name = fields::name_index(kind);
        let group = name.and_then(|k| GROUPS.of_name.get(k as usize).copied()).filter(|&g| g != NO_GROUP);
        let (range, scan) = match (name, group) {
            (_, Some(g)) => (self.kind_from[g as usize] as usize..self.kind_from[g as usize + 1] as usize, 0..0),
            (Some(_), None) => (0..0, 0..tree.len()),
            (None, None) => (0..0, 0..0),
        };
        let others = scan.map(move |index| tree.node(index)).filter(move |n| Some(n.kind_name_index()) == name);
        self.by_kind[range].iter().map(move |&index| tree.node(index as usize)).chain(others)
    }

    /// The program's classes, their members and methods.
    pub fn program(&self) -> &classes::Program<'a> {
        self.program.get_or_init(|| classes::Program::build(self))
    }
}

/// The kinds [`Context::of_kind`] reads from groups built with the context (those the
/// checks look for); it finds other kinds by a look at every node.
const GROUPED: &[&str] = &[
    "assignment",
    "attribute",
    "await",
    "binary_operator",
    "break_statement",
    "call",
    "continue_statement",
    "function_definition",
    "global_statement",
    "import_from_statement",
    "lambda_parameters",
    "list_splat",
    "list_splat_pattern",
    "named_expression",
    "nonlocal_statement",
    "parameters",
    "raise_statement",
    "return_statement",
    "type",
    "yield",
];

/// The kinds of [`Context::declarations_and_stars`].
const DECLARATIONS_AND_STARS: &[&str] =
    &["global_statement", "nonlocal_statement", "list_splat", "list_splat_pattern", "import_from_statement", "named_expression"];

const NO_GROUP: u8 = u8::MAX;

/// The index in [`GROUPED`] of each kind id's and each kind name index's name, and
/// whether each group is one of [`DECLARATIONS_AND_STARS`].
struct Groups {
    of_kind_id: Vec<u8>,
    of_name: Vec<u8>,
    declaration: Vec<bool>,
}

static GROUPS: LazyLock<Groups> = LazyLock::new(|| {
    let mut of_name = vec![NO_GROUP; fields::kind_name_count()];
    for (g, kind) in GROUPED.iter().enumerate() {
        if let Some(k) = fields::name_index(kind) {
            of_name[k as usize] = g as u8;
        }
    }
    let of_kind_id = fields::kind_name_indices().iter().map(|&k| of_name[k as usize]).collect();
    let declaration = GROUPED.iter().map(|kind| DECLARATIONS_AND_STARS.contains(kind)).collect();
    Groups { of_kind_id, of_name, declaration }
});

type RunFn = fn(&Context, &mut Vec<Diagnostic>);

/// Every check module: its messages and its entry point. Adding a module adds a line.
const MODULES: &[(&[CheckInfo], RunFn)] = &[
    (names::INFOS, names::run),
    (annotations::INFOS, annotations::run),
    (context::INFOS, context::run),
    (members::INFOS, members::run),
    (calls::INFOS, calls::run),
    (definitions::INFOS, definitions::run),
    (strings::INFOS, strings::run),
    (compile::INFOS, compile::run),
];

pub fn run_all(ctx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (_, run) in MODULES {
        run(ctx, &mut out);
    }
    out
}

pub fn all_infos() -> Vec<CheckInfo> {
    let mut infos = vec![CheckInfo { code: "E0001", name: "syntax-error", summary: "CPython refuses the program: it does not parse or does not compile (CPython's message and line)" }];
    for (module_infos, _) in MODULES {
        infos.extend_from_slice(module_infos);
    }
    infos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_kinds_are_kinds_of_the_grammar() {
        assert!(GROUPED.len() < NO_GROUP as usize);
        for kind in GROUPED.iter().chain(DECLARATIONS_AND_STARS) {
            assert!(fields::name_index(kind).is_some(), "{kind}");
        }
        assert!(DECLARATIONS_AND_STARS.iter().all(|kind| GROUPED.contains(kind)));
    }

    #[test]
    fn nodes_of_a_kind_grouped_or_not() {
        let src = "import os\nfrom m import *\ndef f(a, *b):\n    global g\n    x = [*a, os.sep]\n    return f(x).y\n";
        let tree = SyntaxTree::from_tree_sitter(&crate::lang::python::parse(src));
        let model = Model::build(src, &tree);
        let ctx = Context::new(src, &tree, &model);
        for kind in ["attribute", "call", "identifier", "list_splat", "return_statement", "ERROR", "module", "no such kind"] {
            let expected: Vec<usize> = tree.nodes().filter(|n| n.kind_str() == kind).map(|n| n.id()).collect();
            assert_eq!(ctx.of_kind(kind).map(|n| n.id()).collect::<Vec<_>>(), expected, "{kind}");
        }
        let expected: Vec<usize> = tree.nodes().filter(|n| DECLARATIONS_AND_STARS.contains(&n.kind_str())).map(|n| n.id()).collect();
        assert_eq!(ctx.declarations_and_stars.iter().map(|n| n.id()).collect::<Vec<_>>(), expected);
    }
}
