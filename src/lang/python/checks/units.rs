//! The units of a program whose findings can be kept from one lint call to the next
//! (step 3 of `docs/incremental-analysis.md`): the top-level functions and the methods
//! of top-level classes, each with a summary of what the rest of the program reads from
//! its body.
//!
//! When two states differ only inside units' bodies and each such unit's summary is the
//! same in both, the findings of `context`, `members`, `calls`, `definitions` and
//! `strings` outside those units are the same (lines after them moved); a unit taken out
//! whole counts as changed when its summary is empty, and then the units whose bodies
//! mention the name it defined are judged again too. Those checks judge a node by
//! its own text, its ancestors, the classes' facts and the bindings of the scopes it
//! reads, and a def's body reaches the rest of the program only through
//! - the attributes it assigns (the classes' instance and class attributes, and the
//!   names assigned through objects that are not known),
//! - names it binds that some class uses as a bare base (`bound_anywhere`),
//! - for an `__init__`, whether its first statement makes it abstract (W0231 of the
//!   subclasses),
//! - `global` and `nonlocal` declarations, and the defs, classes and lambdas nested in
//!   it (which add classes and callees): a unit holding any is never reused.
//!
//! The names check also depends on which module names the units' reads consume first;
//! `checks::run_all_keeping` compares those itself. The units' headers (decorators,
//! parameters) and the text between units must be unchanged too, which the caller
//! checks.

use std::hash::{BuildHasher, Hasher};

use crate::lang::python::fields::Field;
use crate::lang::python::model::ScopeKind;
use crate::lang::python::tree::{named_children, Node};

use super::classes::Owner;
use super::definitions::is_abstract_init;
use super::syntax_util::text;
use super::Context;

/// A top-level function, or a method of a top-level class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Byte offset of the def (its first decorator, if any).
    pub start: u32,
    /// Byte offset just past the `:` that ends the def's header.
    pub header_end: u32,
    /// Byte offset of the next statement after the def (in the class body, or after the
    /// class), or the end of the program: comments and blank lines after the def's body
    /// belong to the unit.
    pub end: u32,
    /// 0-based lines of `start` and of `end` (the next statement's line; `u32::MAX`
    /// when the unit runs to the end of the program).
    pub start_line: u32,
    pub end_line: u32,
    /// What the rest of the program reads from the body (see the module's docs).
    pub summary: u64,
    /// False when the body holds a nested def, class or lambda, or a `global`,
    /// `nonlocal` or star import: its findings are then never kept.
    pub reusable: bool,
}

/// The units of the program in `ctx`, in source order.
pub fn units(ctx: &Context) -> Vec<Unit> {
    let root = ctx.tree.root_node();
    let len = ctx.source.len() as u32;
    let mut out = Vec::new();
    // Where the statement after a node starts, and its line (past the end: the end of
    // the program, and a line no finding is on).
    let after = |next: Option<&Node>| next.map_or((len, u32::MAX), |n| (n.start_byte() as u32, n.start_position().row as u32));
    let top: Vec<Node> = named_children(root).filter(|n| n.kind_str() != "comment").collect();
    for (i, stmt) in top.iter().enumerate() {
        let next = after(top.get(i + 1));
        let Some(definition) = definition_of(*stmt) else { continue };
        if definition.kind_str() == "function_definition" {
            push_unit(&mut out, ctx.source, *stmt, definition, next);
            continue;
        }
        let Some(body) = definition.field(Field::Body) else { continue };
        let inner: Vec<Node> = named_children(body).filter(|n| n.kind_str() != "comment").collect();
        for (j, member) in inner.iter().enumerate() {
            let next = inner.get(j + 1).map_or(next, |n| after(Some(n)));
            if let Some(def) = definition_of(*member).filter(|d| d.kind_str() == "function_definition") {
                push_unit(&mut out, ctx.source, *member, def, next);
            }
        }
    }
    summarise(ctx, &mut out);
    out
}

/// The def or class a statement is, decorated or not.
fn definition_of(stmt: Node) -> Option<Node> {
    match stmt.kind_str() {
        "function_definition" | "class_definition" => Some(stmt),
        "decorated_definition" => named_children(stmt).find(|n| matches!(n.kind_str(), "function_definition" | "class_definition")),
        _ => None,
    }
}

fn push_unit(out: &mut Vec<Unit>, src: &str, stmt: Node, def: Node, (end, end_line): (u32, u32)) {
    let Some(body) = def.field(Field::Body) else { return };
    // The header ends with the last `:` before the body.
    let Some(colon) = def.children_iter().take_while(|c| c.id() != body.id()).filter(|c| c.kind_str() == ":").last() else { return };
    // W0231 on a subclass's `__init__` reads whether its base's `__init__` is abstract
    // (its first statement): kept in `summary` until the summary is made.
    let init = def.field(Field::Name).is_some_and(|n| text(src, n) == "__init__");
    out.push(Unit {
        start: stmt.start_byte() as u32,
        header_end: colon.end_byte() as u32,
        end,
        start_line: stmt.start_position().row as u32,
        end_line,
        summary: if init { 1 + is_abstract_init(src, def) as u64 } else { 0 },
        reusable: true,
    });
}

/// The unit holding byte `offset`, by its index in `units`.
fn unit_at(units: &[Unit], offset: u32) -> Option<usize> {
    let i = units.partition_point(|u| u.start <= offset).checked_sub(1)?;
    (offset < units[i].end).then_some(i)
}

/// Fills in each unit's summary and `reusable`.
fn summarise(ctx: &Context, units: &mut [Unit]) {
    if units.is_empty() {
        return;
    }
    let (src, model) = (ctx.source, ctx.model);
    let mut hashes: Vec<_> = units.iter().map(|_| HASH.build_hasher()).collect();
    // Attribute assignments, with what they assign through: only read when the program
    // has classes (else no check reads them).
    let prog = (src.contains("class") && model.scopes.iter().any(|s| s.kind == ScopeKind::Class)).then(|| ctx.program());
    if let Some(prog) = prog {
        let mut u = 0;
        for &(attr, stmt, owner) in &prog.stores {
            // Stores come in source order, as the units do.
            let at = attr.start_byte() as u32;
            while u < units.len() && units[u].end <= at {
                u += 1;
            }
            if u == units.len() {
                break;
            }
            if at < units[u].start {
                continue;
            }
            let h = &mut hashes[u];
            // An assignment's whole text (its value decides literal and augmented
            // assignments); a loop's or pattern's target only.
            match stmt.kind_str() {
                "assignment" | "augmented_assignment" => h.write(text(src, stmt).as_bytes()),
                _ => h.write(text(src, attr).as_bytes()),
            }
            h.write_u8(0xff);
            h.write(attr.field(Field::Attribute).map_or("", |n| text(src, n)).as_bytes());
            h.write_u8(0xff);
            h.write_u64(match owner {
                None => 0,
                Some(Owner::Instance(c)) => 1 << 32 | c as u64,
                Some(Owner::Class(c)) => 2 << 32 | c as u64,
                Some(Owner::Super(c)) => 3 << 32 | c as u64,
            });
        }
        // Names some class uses as a bare base: a binding of one anywhere changes what
        // the base is taken for.
        let mut base_names = Vec::new();
        for class in &prog.classes {
            if let Some(bases) = class.node.field(Field::Superclasses) {
                base_names.extend(named_children(bases).filter(|b| b.kind_str() == "identifier").filter_map(|b| model.name_id(text(src, b))));
            }
        }
        // By text, so that the order is the same in both programs (name ids are not).
        base_names.sort_unstable_by_key(|&n| model.name(n));
        base_names.dedup();
        for &name in &base_names {
            for &b in model.bindings_named(name) {
                if let Some(u) = unit_at(units, model.binding(b).start) {
                    hashes[u].write(model.name(name).as_bytes());
                    hashes[u].write_u8(0xff);
                }
            }
        }
    }
    // Scopes are numbered in tree order, so they come in source order as the units do.
    let mut u = 0;
    for scope in model.scopes.iter().filter(|s| s.kind != ScopeKind::Module) {
        while u < units.len() && units[u].end <= scope.start {
            u += 1;
        }
        if u == units.len() {
            break;
        }
        if scope.start < units[u].start {
            continue;
        }
        let unit = &mut units[u];
        let own = scope.kind == ScopeKind::Function && scope.start >= unit.start && scope.start < unit.header_end && scope.end <= unit.end;
        if own {
            if !scope.globals.is_empty() || !scope.nonlocals.is_empty() || scope.star_import {
                unit.reusable = false;
            }
        } else if matches!(scope.kind, ScopeKind::Function | ScopeKind::Class | ScopeKind::Lambda) || scope.star_import || !scope.globals.is_empty() || !scope.nonlocals.is_empty() {
            unit.reusable = false;
        }
    }
    for (unit, mut h) in units.iter_mut().zip(hashes) {
        h.write_u8(unit.summary as u8);
        unit.summary = h.finish();
    }
}

/// The summary of a unit the rest of the program reads nothing from: no attribute
/// assignment, no binding of a name used as a base, not an `__init__`.
pub fn empty_summary() -> u64 {
    let mut h = HASH.build_hasher();
    h.write_u8(0);
    h.finish()
}

/// The name a unit defines, from its header's text (`None` for a decorated def).
pub fn defined_name(header: &[u8]) -> Option<&[u8]> {
    let rest = header.strip_prefix(b"async").map_or(header, |r| r.trim_ascii_start());
    let rest = rest.strip_prefix(b"def")?;
    let rest = rest.trim_ascii_start();
    let end = rest.iter().position(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80))?;
    (end > 0).then(|| &rest[..end])
}

/// The summaries' hash: seeded once, so that a unit's summary is the same from one call
/// to the next. (64 bits: two different bodies with the same summary, which would keep
/// findings that changed, are about one chance in 10^19 per comparison.)
static HASH: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x6c69_6e74_7365_7121);
