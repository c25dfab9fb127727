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

use crate::lang::python::fields;
use crate::lang::python::tree::{Node, SyntaxTree};


use super::model::Model;
use crate::lang::{CheckInfo, Diagnostic};

/// What every check may read.
pub struct Context<'a> {
    pub source: &'a str,
    pub tree: &'a SyntaxTree,
    pub model: &'a Model,
    /// The tree's node indices grouped by kind name, each group in pre-order: those of
    /// name index `k` (`fields::kind_name_index`) are `by_kind[kind_from[k]..kind_from[k + 1]]`.
    /// Built in one pass, so a check visits the kinds it reads, not the whole tree.
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
        // A counting sort of the nodes by kind name.
        // `Node::kind_name_index` of each node, read straight from the flat tree.
        let (table, error) = (fields::kind_name_indices(), fields::error_name_index());
        let names: Vec<u32> = tree
            .raw()
            .iter()
            .map(|raw| if raw.flags & crate::lang::python::tree::ERROR != 0 { error } else { table.get(raw.kind as usize).copied().unwrap_or(error) })
            .collect();
        let mut kind_from = vec![0u32; fields::kind_name_count() + 1];
        for &k in &names {
            kind_from[k as usize + 1] += 1;
        }
        for k in 1..kind_from.len() {
            kind_from[k] += kind_from[k - 1];
        }
        let mut next = kind_from.clone();
        let mut by_kind = vec![0u32; names.len()];
        for (index, &k) in names.iter().enumerate() {
            by_kind[next[k as usize] as usize] = index as u32;
            next[k as usize] += 1;
        }
        let mut ctx = Context {
            source,
            tree,
            model,
            by_kind,
            kind_from,
            attributes: Vec::new(),
            calls: Vec::new(),
            declarations_and_stars: Vec::new(),
            program: OnceCell::new(),
        };
        let attributes: Vec<Node<'a>> = ctx.of_kind("attribute").collect();
        let calls: Vec<Node<'a>> = ctx.of_kind("call").collect();
        let mut rare: Vec<Node<'a>> = ["global_statement", "nonlocal_statement", "list_splat", "list_splat_pattern", "import_from_statement", "named_expression"]
            .iter()
            .flat_map(|kind| ctx.of_kind(kind))
            .collect();
        rare.sort_unstable_by_key(|n| n.id());
        (ctx.attributes, ctx.calls, ctx.declarations_and_stars) = (attributes, calls, rare);
        ctx
    }

    /// The nodes whose `kind_str()` is `kind`, in pre-order.
    pub fn of_kind<'s>(&'s self, kind: &str) -> impl Iterator<Item = Node<'a>> + 's {
        let tree: &'a SyntaxTree = self.tree;
        let range = match fields::name_index(kind) {
            Some(k) => self.kind_from[k as usize] as usize..self.kind_from[k as usize + 1] as usize,
            None => 0..0,
        };
        self.by_kind[range].iter().map(move |&index| tree.node(index as usize))
    }

    /// The program's classes, their members and methods.
    pub fn program(&self) -> &classes::Program<'a> {
        self.program.get_or_init(|| classes::Program::build(self))
    }
}

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
