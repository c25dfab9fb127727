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

use crate::lang::python::tree::{Node, SyntaxTree};


use super::model::Model;
use crate::lang::{CheckInfo, Diagnostic};

/// What every check may read.
pub struct Context<'a> {
    pub source: &'a str,
    pub tree: &'a SyntaxTree,
    pub model: &'a Model,
    /// Every node of the tree in pre-order (the order of `syntax_util::for_each_node`),
    /// collected by one walk so the checks do not each walk the whole tree again.
    pub nodes: Vec<Node<'a>>,
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
        let nodes: Vec<Node> = tree.nodes().collect();
        let (mut attributes, mut calls, mut declarations_and_stars) = (Vec::new(), Vec::new(), Vec::new());
        for &n in &nodes {
            match n.kind_str() {
                "attribute" => attributes.push(n),
                "call" => calls.push(n),
                "global_statement" | "nonlocal_statement" | "list_splat" | "list_splat_pattern" | "import_from_statement" | "named_expression" => {
                    declarations_and_stars.push(n)
                }
                _ => {}
            }
        }
        Context { source, tree, model, nodes, attributes, calls, declarations_and_stars, program: OnceCell::new() }
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
