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
pub mod units;

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

/// The checks whose findings can be kept for the units an edit did not touch (see
/// [`units`]), with their entry points on a byte range.
type RunInFn = fn(&Context, Option<(u32, u32)>, &mut Vec<Diagnostic>);
const BY_UNIT: &[(RunFn, RunInFn)] = &[
    (context::run, context::run_in),
    (members::run, members::run_in),
    (calls::run, calls::run_in),
    (definitions::run, definitions::run_in),
    (strings::run, strings::run_in),
];

/// The nodes of `nodes` (in pre-order, so by start) that start in the byte range
/// `within` (all of them, for `None`).
fn starting_within<'s, 't>(nodes: &'s [Node<'t>], within: Option<(u32, u32)>) -> &'s [Node<'t>] {
    let Some((start, end)) = within else { return nodes };
    let from = nodes.partition_point(|n| (n.start_byte() as u32) < start);
    let to = nodes.partition_point(|n| (n.start_byte() as u32) < end);
    &nodes[from..to.max(from)]
}

/// Whether `node` starts in the byte range `within` (always, for `None`).
fn starts_within(node: Node, within: Option<(u32, u32)>) -> bool {
    within.is_none_or(|(start, end)| (start..end).contains(&(node.start_byte() as u32)))
}

#[cfg(test)]
thread_local! {
    /// Checks of [`BY_UNIT`] run on one unit, and names checks run on one unit, on this
    /// thread.
    pub(crate) static UNIT_REUSES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    pub(crate) static NAMES_REUSES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The length from which [`run_all_keeping`] keeps findings for the next call: below
/// it (~50 lines) a whole run costs little more than the bookkeeping.
pub(crate) const KEEP_FROM_BYTES: usize = 2048;

/// What a lint call leaves for the next one: the program it analysed, its units and
/// what the checks of [`BY_UNIT`] found in it.
#[derive(Debug, Default)]
pub struct Kept {
    source: String,
    units: Vec<units::Unit>,
    found: Vec<Vec<Diagnostic>>,
    /// The names check's findings, and the reads that settled module names.
    names_found: Vec<Diagnostic>,
    module_reads: Vec<names::ModuleRead>,
    /// The program's number of line breaks.
    lines: u32,
}

/// Where a program differs from the one a [`Kept`] was made from: bytes `start..end` of
/// the new program replace bytes `start..end - shift` of the old one (`shift` the
/// difference of their lengths); everything before is the same, everything after the
/// same and moved.
#[derive(Debug, Clone, Copy)]
struct Change {
    start: u32,
    end: u32,
}

/// [`run_all`], keeping in `kept` what the next call can reuse. The checks of
/// [`BY_UNIT`] judge only the unit the program changed in since the program of `kept`
/// when the change lies inside one unit's body and nothing the rest of the program reads
/// from that body changed; their other findings are the last call's, moved.
pub fn run_all_keeping(ctx: &Context, kept: &mut Kept) -> Vec<Diagnostic> {
    // Taken out for the call: a panic on the way leaves nothing to reuse, not half of
    // this call's state with half of the last one's.
    let last = std::mem::take(kept);
    // A short program, or one of fewer than two units, has too little outside any one
    // unit to pay for the bookkeeping.
    if ctx.source.len() < KEEP_FROM_BYTES {
        return run_all(ctx);
    }
    let units = units::units(ctx);
    if units.len() < 2 {
        return run_all(ctx);
    }
    let lines = memchr::memchr_iter(b'\n', ctx.source.as_bytes()).count() as u32;
    let (prefix, suffix) = super::tokenizer::common_ends(last.source.as_bytes(), ctx.source.as_bytes());
    let change = Change { start: prefix as u32, end: (ctx.source.len() - suffix) as u32 };
    let reuse = reusable(&last, &units, change, ctx.source.len() as u32, lines);
    let line_shift = lines as i64 - last.lines as i64;
    let shift = ctx.source.len() as i64 - last.source.len() as i64;
    let mut out = Vec::new();
    let mut next = Kept { units: Vec::new(), found: Vec::with_capacity(BY_UNIT.len()), names_found: Vec::new(), module_reads: Vec::new(), source: String::new(), lines };
    for (_, run) in MODULES {
        if std::ptr::fn_addr_eq(*run, names::run as RunFn) {
            let mut own = Vec::new();
            let kept_reads = reuse.and_then(|k| {
                let (old, new) = (&last.units[k], &units[k]);
                let inside = names_in_unit(ctx, &last, old, new, &mut own)?;
                own.extend(last.names_found.iter().filter_map(|d| moved(d, old, line_shift)));
                let before = last.module_reads.iter().filter(|(at, _)| *at < new.start).copied();
                let after = last.module_reads.iter().filter(|(at, _)| *at >= old.end).map(|&(at, key)| ((at as i64 + shift) as u32, key));
                Some(before.chain(inside).chain(after).collect())
            });
            next.module_reads = match kept_reads {
                Some(reads) => {
                    #[cfg(test)]
                    NAMES_REUSES.set(NAMES_REUSES.get() + 1);
                    #[cfg(debug_assertions)]
                    assert_same_as_whole(ctx, run, &own);
                    reads
                }
                None => {
                    own.clear();
                    names::run_recording(ctx, None, &[], &mut own)
                }
            };
            out.extend_from_slice(&own);
            next.names_found = own;
            continue;
        }
        let Some(slot) = BY_UNIT.iter().position(|(whole, _)| std::ptr::fn_addr_eq(*whole, *run)) else {
            run(ctx, &mut out);
            continue;
        };
        let mut own = Vec::new();
        match reuse {
            Some(k) => {
                #[cfg(test)]
                UNIT_REUSES.set(UNIT_REUSES.get() + 1);
                let (old, new) = (&last.units[k], &units[k]);
                own.extend(last.found[slot].iter().filter_map(|d| moved(d, old, line_shift)));
                (BY_UNIT[slot].1)(ctx, Some((new.start, new.end)), &mut own);
                #[cfg(debug_assertions)]
                assert_same_as_whole(ctx, run, &own);
            }
            None => run(ctx, &mut own),
        }
        out.extend_from_slice(&own);
        next.found.push(own);
    }
    // The last program's buffer holds this one's text (no new allocation as a state
    // shrinks).
    next.source = last.source;
    next.source.clear();
    next.source.push_str(ctx.source);
    next.units = units;
    *kept = next;
    out
}

/// The names check on the reads of unit `new` (unit `old` of the program of `kept`, its
/// body changed), its findings added to `out`: the reads that settled module names
/// there, when they settled the same names as the unit's reads in the last program (so
/// that every read after the unit is judged as it was). `None` otherwise.
fn names_in_unit(ctx: &Context, kept: &Kept, old: &units::Unit, new: &units::Unit, out: &mut Vec<Diagnostic>) -> Option<Vec<names::ModuleRead>> {
    // The module names read before the unit, as this program names them (those reads
    // are the same, at the same places).
    let mut before = Vec::new();
    for &(at, _) in kept.module_reads.iter().filter(|(at, _)| *at < new.start) {
        before.push(ctx.model.reference_at(at)?.name);
    }
    let inside = names::run_recording(ctx, Some((new.start, new.end)), &before, out);
    let mut now: Vec<u64> = inside.iter().map(|&(_, key)| key).collect();
    let mut then: Vec<u64> = kept.module_reads.iter().filter(|(at, _)| (old.start..old.end).contains(at)).map(|&(_, key)| key).collect();
    now.sort_unstable();
    then.sort_unstable();
    (now == then).then_some(inside)
}

/// The index of the unit whose body holds `change`, when the findings of the others can
/// be kept: the same units in both programs (those after the change moved), that unit's
/// header and summary the same, and none of them holding what [`units`] cannot follow.
fn reusable(kept: &Kept, units: &[units::Unit], change: Change, len: u32, lines: u32) -> Option<usize> {
    if kept.units.len() != units.len() || kept.found.len() != BY_UNIT.len() {
        return None;
    }
    let shift = len as i64 - kept.source.len() as i64;
    let line_shift = lines as i64 - kept.lines as i64;
    let k = units.partition_point(|u| u.header_end <= change.start).checked_sub(1)?;
    let (old, new) = (&kept.units[k], &units[k]);
    let inside = new.header_end <= change.start && change.start <= change.end && change.end <= new.end;
    let inside_old = old.start == new.start && old.header_end == new.header_end && (change.end as i64 - shift) <= old.end as i64;
    if !(inside && inside_old && old.reusable && new.reusable && old.summary == new.summary && old.start_line == new.start_line) {
        return None;
    }
    let moved = |o: u32, n: u32| o as i64 + shift == n as i64;
    let moved_line = |o: u32, n: u32| (o == u32::MAX && n == u32::MAX) || (o != u32::MAX && o as i64 + line_shift == n as i64);
    if !(moved(old.end, new.end) && moved_line(old.end_line, new.end_line)) {
        return None;
    }
    let before_same = kept.units[..k] == units[..k];
    let after_moved = kept.units[k + 1..].iter().zip(&units[k + 1..]).all(|(o, n)| {
        moved(o.start, n.start) && moved(o.header_end, n.header_end) && moved(o.end, n.end) && moved_line(o.start_line, n.start_line) && moved_line(o.end_line, n.end_line) && o.summary == n.summary && o.reusable == n.reusable
    });
    (before_same && after_moved).then_some(k)
}

/// A finding of the last program where the new one has it: unchanged before the unit
/// `old` (the one that changed), moved by `line_shift` lines after it, dropped inside it
/// (those are found again). The line in E0203's and E0102's messages moves when it is
/// after the unit too.
fn moved(d: &Diagnostic, old: &units::Unit, line_shift: i64) -> Option<Diagnostic> {
    let line = d.line as u32;
    if line < old.start_line {
        return Some(d.clone());
    }
    if line < old.end_line {
        return None;
    }
    let mut d = d.clone();
    d.line = (d.line as i64 + line_shift) as usize;
    // E0203 and E0102 end with the line of another statement: in the finding's own
    // method (E0203), or before the finding (E0102, the first definition).
    if d.code == "E0203" || d.code == "E0102" {
        if let Some((head, n)) = d.message.rsplit_once(' ') {
            if let Ok(n) = n.parse::<i64>() {
                // (1-based in the message.)
                let n = if n > old.end_line as i64 { n + line_shift } else { n };
                d.message = format!("{head} {n}");
            }
        }
    }
    Some(d)
}

/// Debug builds check every reuse against a whole run of the check.
#[cfg(debug_assertions)]
fn assert_same_as_whole(ctx: &Context, run: &RunFn, reused: &[Diagnostic]) {
    let mut whole = Vec::new();
    run(ctx, &mut whole);
    let mut reused = reused.to_vec();
    whole.sort();
    reused.sort();
    assert_eq!(reused, whole, "findings kept from the last call differ from a whole run on:\n{}", ctx.source);
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
