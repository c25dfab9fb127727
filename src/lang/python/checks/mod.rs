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

/// The units whose bodies changed since the program of a [`Kept`], when the findings of
/// the others can be kept: how each one's lines and bytes moved, for the findings and
/// reads of the rest of the program.
struct Reuse {
    /// `(old unit, new unit)` of each changed unit, in order.
    changed: Vec<(units::Unit, units::Unit)>,
    /// The old and new programs' numbers of line breaks (a unit that runs to the end of
    /// the program ends there).
    old_lines: u32,
    new_lines: u32,
}

impl Reuse {
    /// The unit's last line (exclusive), for a unit that may run to the end.
    fn end_line(unit: &units::Unit, lines: u32) -> i64 {
        if unit.end_line == u32::MAX {
            lines as i64 + 1
        } else {
            unit.end_line as i64
        }
    }

    /// How many lines and bytes the new program has more than the old one in unit pair
    /// `(old, new)`.
    fn deltas(&self, (old, new): &(units::Unit, units::Unit)) -> (i64, i64) {
        let lines = (Self::end_line(new, self.new_lines) - new.start_line as i64) - (Self::end_line(old, self.old_lines) - old.start_line as i64);
        (lines, (new.end as i64 - new.start as i64) - (old.end as i64 - old.start as i64))
    }

    /// The new line of old line `line` (0-based), or `None` inside a changed unit (its
    /// findings are found again).
    fn line(&self, line: i64) -> Option<i64> {
        let mut moved = line;
        for pair in &self.changed {
            let old = &pair.0;
            if line < old.start_line as i64 {
                break;
            }
            if line < Self::end_line(old, self.old_lines) {
                return None;
            }
            moved += self.deltas(pair).0;
        }
        Some(moved)
    }

    /// The new offset of old byte `at`, or `None` inside a changed unit.
    fn byte(&self, at: u32) -> Option<u32> {
        let mut moved = at as i64;
        for pair in &self.changed {
            let old = &pair.0;
            if at < old.start {
                break;
            }
            if at < old.end {
                return None;
            }
            moved += self.deltas(pair).1;
        }
        Some(moved as u32)
    }

    /// A finding of the last program where the new one has it (`None` inside a changed
    /// unit: those are found again). The line in E0203's and E0102's messages moves too.
    fn finding(&self, d: &Diagnostic) -> Option<Diagnostic> {
        let line = self.line(d.line as i64)?;
        let mut d = d.clone();
        d.line = line as usize;
        // E0203 and E0102 end with the line of another statement: in the finding's own
        // method (E0203), or before the finding (E0102, the first definition); never
        // inside a changed unit's body.
        if d.code == "E0203" || d.code == "E0102" {
            if let Some((head, n)) = d.message.rsplit_once(' ') {
                if let Ok(n) = n.parse::<i64>() {
                    // (1-based in the message.)
                    let n = self.line(n - 1).map_or(n, |moved| moved + 1);
                    d.message = format!("{head} {n}");
                }
            }
        }
        Some(d)
    }
}

/// [`run_all`], keeping in `kept` what the next call can reuse. The checks of
/// [`BY_UNIT`] judge only the units whose bodies changed since the program of `kept`,
/// when nothing else changed and nothing the rest of the program reads from those bodies
/// did; their other findings are the last call's, moved.
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
    let reuse = reusable(&last, &units, ctx, lines);
    let mut out = Vec::new();
    let mut next = Kept { units: Vec::new(), found: Vec::with_capacity(BY_UNIT.len()), names_found: Vec::new(), module_reads: Vec::new(), source: String::new(), lines };
    for (_, run) in MODULES {
        if std::ptr::fn_addr_eq(*run, names::run as RunFn) {
            let mut own = Vec::new();
            let kept_reads = reuse.as_ref().and_then(|reuse| names_in_units(ctx, &last, reuse, &mut own));
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
        match &reuse {
            Some(reuse) => {
                #[cfg(test)]
                UNIT_REUSES.set(UNIT_REUSES.get() + 1);
                own.extend(last.found[slot].iter().filter_map(|d| reuse.finding(d)));
                for (_, new) in reuse.changed.iter().filter(|(_, new)| new.start < new.end) {
                    (BY_UNIT[slot].1)(ctx, Some((new.start, new.end)), &mut own);
                }
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

/// The names check on the reads of the changed units of `reuse`, its findings there and
/// the last program's elsewhere (moved) added to `out`: the reads that settled module
/// names in the new program, when each changed unit's reads settled the same names as
/// they did in the last program (so that every other read is judged as it was). `None`
/// otherwise.
fn names_in_units(ctx: &Context, kept: &Kept, reuse: &Reuse, out: &mut Vec<Diagnostic>) -> Option<Vec<names::ModuleRead>> {
    let mut reads: Vec<names::ModuleRead> = Vec::with_capacity(kept.module_reads.len());
    let mut old_reads = kept.module_reads.iter().peekable();
    for (old, new) in &reuse.changed {
        // The reads before the unit, as this program has them.
        while let Some(&&(at, key)) = old_reads.peek() {
            if at >= old.start {
                break;
            }
            reads.push((reuse.byte(at)?, key));
            old_reads.next();
        }
        let mut before = Vec::with_capacity(reads.len());
        for &(at, _) in &reads {
            before.push(ctx.model.reference_at(at)?.name);
        }
        let inside = if new.start == new.end { Vec::new() } else { names::run_recording(ctx, Some((new.start, new.end)), &before, out) };
        let mut then: Vec<u64> = Vec::new();
        while let Some(&&(at, key)) = old_reads.peek() {
            if at >= old.end {
                break;
            }
            then.push(key);
            old_reads.next();
        }
        let mut now: Vec<u64> = inside.iter().map(|&(_, key)| key).collect();
        now.sort_unstable();
        then.sort_unstable();
        if now != then {
            return None;
        }
        reads.extend(inside);
    }
    for &(at, key) in old_reads {
        reads.push((reuse.byte(at)?, key));
    }
    out.extend(kept.names_found.iter().filter_map(|d| reuse.finding(d)));
    Some(reads)
}

/// The units whose bodies changed since the program of `kept` (`source`, `lines` line
/// breaks, `units` its units), when the findings of the others can be kept: the text
/// outside the units' bodies the same (headers, the statements between and around
/// them), each changed unit's summary the same, none of them holding what [`units`]
/// cannot follow. Units taken out whole count as changed (to nothing) when the rest of
/// the program reads nothing from their bodies, and then so do the units whose bodies
/// mention the name one defined (see [`deleted_unit`]).
fn reusable(kept: &Kept, units: &[units::Unit], ctx: &Context, lines: u32) -> Option<Reuse> {
    if kept.units.len() < units.len() || kept.found.len() != BY_UNIT.len() {
        return None;
    }
    let (old_text, new_text) = (kept.source.as_bytes(), ctx.source.as_bytes());
    let old_bytes = |(from, to): (u32, u32)| old_text.get(from as usize..to as usize);
    let new_bytes = |(from, to): (u32, u32)| new_text.get(from as usize..to as usize);
    let same = |old: (u32, u32), new: (u32, u32)| old_bytes(old).is_some() && old_bytes(old) == new_bytes(new);
    // The old text before the next new unit, in pieces (around units taken out), against
    // the new text there.
    let same_pieces = |pieces: &[(u32, u32)], (from, to): (u32, u32)| {
        let mut at = from;
        for &piece in pieces {
            let len = piece.1.checked_sub(piece.0)?;
            if at + len > to || !same(piece, (at, at + len)) {
                return None;
            }
            at += len;
        }
        (at == to).then_some(())
    };
    let mut entries: Vec<(usize, Matched)> = Vec::with_capacity(kept.units.len());
    let mut mentions: Vec<usize> = Vec::new();
    // Statements outside the units that are one string each (docstrings), changed inside
    // the string: (old, new) as units of their own.
    let mut strings: Vec<(units::Unit, units::Unit)> = Vec::new();
    let mut pieces: Vec<(u32, u32)> = Vec::new();
    let (mut old_gap, mut new_gap) = (0, 0);
    let mut next = units.iter().enumerate().peekable();
    for (i, old) in kept.units.iter().enumerate() {
        let header = |unit: &units::Unit| (unit.start, unit.header_end);
        let is_next = next.peek().is_some_and(|(_, new)| same(header(old), header(new)));
        if !is_next && kept.units.len() - i > next.len() {
            let name = deleted_unit(old, old_text)?;
            mentions.extend(memchr::memmem::find_iter(new_text, name));
            pieces.push((old_gap, old.start));
            let at = new_gap + pieces.iter().map(|(from, to)| to - from).sum::<u32>();
            entries.push((i, Matched::TakenOut { at }));
            old_gap = old.end;
            continue;
        }
        let (j, new) = next.next()?;
        pieces.push((old_gap, old.start));
        if same_pieces(&pieces, (new_gap, new.start)).is_none() {
            let [(old_from, old_to)] = pieces[..] else { return None };
            strings.push(string_edit(ctx, old_text, (old_from, old_to), (new_gap, new.start))?);
        }
        pieces.clear();
        if !same(header(old), header(new)) {
            return None;
        }
        let changed = !same((old.header_end, old.end), (new.header_end, new.end));
        if changed && !(old.reusable && new.reusable && old.summary == new.summary) {
            return None;
        }
        if !changed && (old.reusable != new.reusable || old.summary != new.summary) {
            return None;
        }
        entries.push((i, Matched::Unit { new: j, changed }));
        (old_gap, new_gap) = (old.end, new.end);
    }
    if next.next().is_some() {
        return None;
    }
    pieces.push((old_gap, old_text.len() as u32));
    if same_pieces(&pieces, (new_gap, new_text.len() as u32)).is_none() {
        let [(old_from, old_to)] = pieces[..] else { return None };
        strings.push(string_edit(ctx, old_text, (old_from, old_to), (new_gap, new_text.len() as u32))?);
    }
    // A unit whose body mentions the name of one taken out is judged again; a mention
    // anywhere else (module or class statements, headers) is read by what is not judged
    // again.
    let mut again = vec![false; units.len()];
    for at in mentions {
        let at = at as u32;
        let j = units.partition_point(|u| u.start <= at).checked_sub(1)?;
        let unit = &units[j];
        if !(unit.header_end <= at && at < unit.end && unit.reusable) {
            return None;
        }
        again[j] = true;
    }
    let mut changed = Vec::new();
    for (i, entry) in entries {
        let old = &kept.units[i];
        match entry {
            Matched::TakenOut { at } => changed.push((old.clone(), units::Unit { start: at, header_end: at, end: at, start_line: 0, end_line: 0, summary: 0, reusable: true })),
            Matched::Unit { new, changed: body } if body || again[new] => changed.push((old.clone(), units[new].clone())),
            Matched::Unit { .. } => {}
        }
    }
    changed.extend(strings);
    changed.sort_by_key(|(old, _)| old.start);
    Some(Reuse { changed, old_lines: kept.lines, new_lines: lines })
}

/// The old and new extent of a statement that is one string (a docstring) when it is all
/// that differs between the old text's bytes `old` and the new text's bytes `new`
/// (outside the units): lines taken out of the string, which no check outside the
/// statement reads. The statement must end its line, so that its lines hold nothing
/// else.
fn string_edit(ctx: &Context, old_text: &[u8], (old_from, old_to): (u32, u32), (new_from, new_to): (u32, u32)) -> Option<(units::Unit, units::Unit)> {
    let new_text = ctx.source.as_bytes();
    let (old_gap, new_gap) = (old_text.get(old_from as usize..old_to as usize)?, new_text.get(new_from as usize..new_to as usize)?);
    let (prefix, suffix) = super::tokenizer::common_ends(old_gap, new_gap);
    let (from, to) = (new_from + prefix as u32, new_to - suffix as u32);
    let node = ctx.tree.root_node().descendant_for_byte_range(from as usize, to as usize)?;
    let string = std::iter::successors(Some(node), |n| n.parent()).find(|n| n.kind_str() == "string")?;
    let stmt = string.parent().filter(|p| p.kind_str() == "expression_statement" && p.named_child_count() == 1)?;
    // Strictly inside the string, and the statement alone on its lines.
    let (start, end) = (stmt.start_byte() as u32, stmt.end_byte() as u32);
    if !(string.start_byte() < from as usize && (to as usize) < string.end_byte() && new_text.get(end as usize) == Some(&b'\n')) {
        return None;
    }
    if start < new_from || end > new_to {
        return None;
    }
    // Where it is in the old text: the gaps start with the same bytes up to the edit.
    let lines_in = |t: &[u8]| memchr::memchr_iter(b'\n', t).count() as u32;
    let old_start = old_from + (start - new_from);
    let old_end = old_start + (end - start) + old_gap.len() as u32 - new_gap.len() as u32;
    let (start_line, end_line) = (stmt.start_position().row as u32, stmt.end_position().row as u32 + 1);
    let old_start_line = lines_in(old_text.get(..old_start as usize)?);
    let old_end_line = old_start_line + (end_line - start_line) + lines_in(old_gap) - lines_in(new_gap);
    let unit = |start, end, start_line, end_line| units::Unit { start, header_end: start, end, start_line, end_line, summary: 0, reusable: true };
    Some((unit(old_start, old_end, old_start_line, old_end_line), unit(start, end, start_line, end_line)))
}

/// What an old unit is in the new program (see [`reusable`]).
enum Matched {
    /// New unit `new`, its body `changed` or not.
    Unit { new: usize, changed: bool },
    /// Taken out: its place in the new text.
    TakenOut { at: u32 },
}

/// The name unit `old` (of `old_text`) defines, when taking it out whole changes no
/// finding but those of the units that mention that name: the rest of the program reads
/// nothing from its body (its summary is empty and it holds nothing [`units`] cannot
/// follow), it is not decorated, and the name is no dunder (those are read without
/// being named). Its own reads of module names are the names check's to compare.
fn deleted_unit<'t>(old: &units::Unit, old_text: &'t [u8]) -> Option<&'t [u8]> {
    if !old.reusable || old.summary != units::empty_summary() {
        return None;
    }
    let name = units::defined_name(old_text.get(old.start as usize..old.header_end as usize)?)?;
    (!(name.starts_with(b"__") && name.ends_with(b"__"))).then_some(name)
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
