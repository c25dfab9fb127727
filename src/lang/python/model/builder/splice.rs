//! A model made from the last one (step 4 of `docs/incremental-analysis.md`).
//!
//! The walk of a statement of the module or of a top-level class's body (a unit) reads
//! nothing of the program outside it but the scope it runs in: its entries (the scopes,
//! bindings, references and control constructs it adds) are one run of each list, and
//! nothing outside points into them. It writes nothing outside them either, but for a
//! `global`, `nonlocal` or star import directly in that scope (then nothing is reused)
//! and `from __future__ import annotations` (likewise). Two programs whose texts differ
//! only inside units, or by units' lines taken out, have the same entries everywhere
//! else, moved: by the bytes, rows and tree nodes each changed unit gained or lost
//! before them, and, for ids, by the entries it gained or lost. So the new model is the
//! last one's entries, moved, with the changed units walked again in their place. Blank
//! and comment lines taken out between units only move what follows them; a unit taken
//! out that began or ended a block gives the block the new tree's bounds.
//!
//! The entries before the first change stay in place (only the ends that reach past it
//! move); the symbols keep their numbers unless a walk changed the number of scopes.
//! The tree node of every scope is checked against the new tree, and any doubt (a
//! change elsewhere, a unit or a block whose shape the rules do not cover) gives `None`:
//! the caller builds the model afresh. A debug build compares every model made here
//! with a fresh one (`python::lint`).
//!
//! Names keep their ids from model to model (a new name gets the next one), so the
//! numbering differs from a fresh build's; a name no entry uses any more is taken out
//! of the look-up by text.

use super::*;

/// How the values of one kind (bytes, rows, nodes, or the ids of one list) move: each
/// changed unit's old end, and how much longer it is in the new model.
struct Moves {
    shifts: Vec<(u32, i64)>,
    /// Values inside a unit taken out that have a new value of their own (the bounds
    /// of the block it began or ended).
    exact: Vec<(u32, u32)>,
    /// The first and last ends, and the sum of the shifts (values before the first end
    /// stay, those from the last one on move by the sum: most values, looked up without
    /// a walk of the shifts).
    first: u32,
    last: u32,
    total: i64,
}

impl Default for Moves {
    fn default() -> Self {
        Moves { shifts: Vec::new(), exact: Vec::new(), first: u32::MAX, last: u32::MAX, total: 0 }
    }
}

impl Moves {
    fn push(&mut self, end: u32, delta: i64) {
        if self.shifts.is_empty() {
            self.first = self.first.min(end);
        }
        self.shifts.push((end, delta));
        self.last = end;
        self.total += delta;
    }

    /// Gives `old` the value `new`.
    fn exact(&mut self, old: u32, new: u32) {
        self.exact.push((old, new));
        self.first = self.first.min(old);
    }

    /// Adds `delta` to the last shift.
    fn adjust_last(&mut self, delta: i64) {
        if let Some(last) = self.shifts.last_mut() {
            last.1 += delta;
            self.total += delta;
        }
    }

    /// Where an old value is in the new model: moved by every changed unit that ended at
    /// or before it. (`u32::MAX` marks "none" in some ranges, and stays.)
    #[inline]
    fn map(&self, v: u32) -> u32 {
        if v < self.first {
            return v;
        }
        if v >= self.last {
            return if v == u32::MAX { v } else { (v as i64 + self.total) as u32 };
        }
        if let Some(&(_, new)) = self.exact.iter().find(|&&(old, _)| old == v) {
            return new;
        }
        let mut delta = 0i64;
        for &(end, d) in &self.shifts {
            if v < end {
                break;
            }
            delta += d;
        }
        (v as i64 + delta) as u32
    }
}

/// The moves of every kind, for the changed defs seen so far (bytes, rows and nodes are
/// known for all of them up front; ids once a def has been walked again).
#[derive(Default)]
struct Map {
    bytes: Moves,
    rows: Moves,
    nodes: Moves,
    /// scopes, bindings, references, control constructs
    ids: [Moves; 4],
}

impl Map {
    fn byte(&self, v: u32) -> u32 {
        self.bytes.map(v)
    }
    fn range(&self, (s, e): (u32, u32)) -> (u32, u32) {
        (self.byte(s), self.byte(e))
    }
    fn scope(&self, s: ScopeId) -> ScopeId {
        ScopeId(self.ids[0].map(s.0))
    }
    fn ctl(&self, c: CtlId) -> CtlId {
        CtlId(self.ids[3].map(c.0))
    }
}

/// The units of a new tree (see [`is_unit`]), in order: the statements, and whether each
/// is in a class; and the top-level classes: where each starts, and its body's bytes.
#[allow(clippy::type_complexity)]
fn units_of(root: Node) -> (Vec<(Node, bool)>, Vec<(u32, (u32, u32))>) {
    let mut out = Vec::new();
    let mut bodies = Vec::new();
    for stmt in named_children(root) {
        if is_unit(stmt) {
            out.push((stmt, false));
        } else if let Some(class) = class_of(stmt) {
            if let Some(body) = class.field(Field::Body) {
                bodies.push((class.start_byte() as u32, (body.start_byte() as u32, body.end_byte() as u32)));
                out.extend(named_children(body).filter(|m| is_unit(*m)).map(|m| (m, true)));
            }
        }
    }
    (out, bodies)
}

/// The whole lines of `old[from..to]` (`from` may be inside a line) that are blank or
/// only a comment and whose taking out leaves `new`: their byte ranges. `None` when
/// `new` is not `old[from..to]` with such lines taken out.
fn lines_taken_out(old: &[u8], from: usize, to: usize, new: &[u8]) -> Option<Vec<(usize, usize)>> {
    let mut out = Vec::new();
    let (mut i, mut j) = (from, 0);
    while i < to {
        let end = memchr::memchr(b'\n', &old[i..to]).map_or(to, |k| i + k + 1);
        let line = &old[i..end];
        if new[j..].starts_with(line) {
            (i, j) = (end, j + line.len());
            continue;
        }
        let whole = (i == 0 || old[i - 1] == b'\n') && line.last() == Some(&b'\n');
        let first = line.iter().find(|&&b| b != b' ' && b != b'\t');
        if !whole || !matches!(first, Some(b'\n' | b'#')) {
            return None;
        }
        out.push((i, end));
        i = end;
    }
    (j == new.len()).then_some(out)
}

/// The text between two units (or before the first, or after the last): where it
/// starts in both texts, the row it starts on, and the end of the nodes and of the
/// block of the unit before it.
struct Gap {
    old_at: usize,
    new_at: usize,
    old_row: u32,
    nodes_before: u32,
    block_before: u32,
}

impl Gap {
    /// Whether `old[self.old_at..to]` is `new[self.new_at..new_to]` but for blank and
    /// comment lines taken out, whose shifts it adds to `map`. `block_start` is the
    /// start of the next unit's block (a comment that began it, or ended the block
    /// before, must stay).
    fn fits(&self, old: &[u8], new: &[u8], (to, new_to): (usize, usize), block_start: u32, map: &mut Map, node_shift_due: &mut bool) -> bool {
        let (Some(was), Some(is)) = (old.get(self.old_at..to), new.get(self.new_at..new_to)) else { return false };
        if was == is {
            return true;
        }
        let Some(taken) = lines_taken_out(old, self.old_at, to, is) else { return false };
        let before = self.block_before as usize;
        if taken.iter().any(|&(s, e)| (s..e).contains(&(block_start as usize)) || (s < before && before <= e)) {
            return false;
        }
        for &(s, e) in &taken {
            let row = self.old_row + old[self.old_at..s].iter().filter(|&&b| b == b'\n').count() as u32;
            map.bytes.push(e as u32, s as i64 - e as i64);
            map.rows.push(row + 1, -1);
        }
        if !*node_shift_due {
            // (Past the first node after the unit before, which its end names.)
            map.nodes.push(self.nodes_before + 1, 0);
            *node_shift_due = true;
        }
        true
    }
}

/// What happened to a unit of the last program.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Same,
    /// Its text changed: the new program's unit of that index is walked in its place.
    Changed(usize),
    /// Its lines were taken out.
    TakenOut,
}

/// Where the old model's unit sits in the old text's lines: the start of its first line
/// and the end of its last (past the newline).
fn lines_of(text: &[u8], (start, end): (usize, usize)) -> (usize, usize) {
    let first = memchr::memrchr(b'\n', &text[..start]).map_or(0, |i| i + 1);
    let last = memchr::memchr(b'\n', &text[end..]).map_or(text.len(), |i| end + i + 1);
    (first, last)
}

pub(in crate::lang::python::model) fn build_reusing(source: &str, tree: &SyntaxTree, mut last: Model) -> Option<Model> {
    // `from __future__ import annotations` anywhere sets a flag of the whole module.
    if last.postponed_annotations || last.units.is_empty() {
        return None;
    }
    let root = tree.root_node();
    let (units, bodies) = units_of(root);
    // The texts must be the same outside the units that changed or were taken out, but
    // for blank and comment lines taken out between units.
    let (old, new) = (last.source.as_bytes(), source.as_bytes());
    let mut fates = Vec::with_capacity(last.units.len());
    let mut map = Map::default();
    // The node shift of the last unit or comment taken out is known once the next unit
    // is matched (a comment on its lines was a node too, and the nodes of a class's
    // header after a comment taken out move with it: each scope's node is checked below).
    let mut node_shift_due = false;
    let (mut old_at, mut new_at, mut j) = (0usize, 0usize, 0usize);
    let mut first_change = usize::MAX;
    // The row `old_at` is on, and the end of the nodes and of the block of the unit
    // before it.
    let (mut old_row, mut nodes_before, mut block_before) = (0u32, 0u32, 0u32);
    let at = |old_at, new_at, old_row, nodes_before, block_before| Gap { old_at, new_at, old_row, nodes_before, block_before };
    for (i, u) in last.units.iter().enumerate() {
        if first_change == usize::MAX && !map.bytes.shifts.is_empty() {
            first_change = i.saturating_sub(1);
        }
        // A walk again, or a unit taken out, would have to undo what it set in the scope
        // it runs in.
        let container = &last.scopes[u.container.index()];
        if container.star_import || !container.globals.is_empty() || !container.nonlocals.is_empty() {
            return None;
        }
        let (old_start, old_end) = (u.bytes.0 as usize, u.bytes.1 as usize);
        let matched = units.get(j).filter(|&&(stmt, in_class)| {
            in_class == (u.container != MODULE_SCOPE)
                && at(old_at, new_at, old_row, nodes_before, block_before).fits(old, new, (old_start, stmt.start_byte()), u.block.0, &mut map, &mut node_shift_due)
        });
        if let Some(&(stmt, _)) = matched {
            let (start, end) = (stmt.start_byte(), stmt.end_byte());
            if node_shift_due {
                let (want, got) = (stmt.id() as i64, map.nodes.map(u.nodes.0) as i64);
                map.nodes.adjust_last(want - got);
                node_shift_due = false;
            }
            if old[old_start..old_end] == new[start..end] {
                fates.push(Fate::Same);
            } else {
                let len = |(s, e): (u32, u32)| e as i64 - s as i64;
                let span = UnitSpan::of(stmt, Default::default(), MODULE_SCOPE, (0, 0));
                map.bytes.push(u.bytes.1, len(span.bytes) - len(u.bytes));
                map.rows.push(u.rows.1 + 1, len(span.rows) - len(u.rows));
                map.nodes.push(u.nodes.1, len(span.nodes) - len(u.nodes));
                fates.push(Fate::Changed(j));
            }
            (old_at, new_at, j) = (old_end, end, j + 1);
            (old_row, nodes_before, block_before) = (u.rows.1, u.nodes.1, u.block.1);
            continue;
        }
        // Taken out: its lines, and nothing else, are gone. When it began or ended its
        // block, the block's bounds are the new tree's.
        let (first, after) = lines_of(old, (old_start, old_end));
        if first < old_at {
            return None;
        }
        let kept = first - old_at;
        if old.get(old_at..first) != new.get(new_at..new_at + kept) {
            return None;
        }
        let ends_block = (u.block.1 as usize) < after;
        let begins_block = u.container != MODULE_SCOPE && u.block.0 == u.bytes.0;
        if ends_block || begins_block {
            let (start, end) = if u.container == MODULE_SCOPE {
                (root.start_byte() as u32, root.end_byte() as u32)
            } else {
                let class_start = map.byte(last.scopes[u.container.index()].start);
                bodies.iter().find(|&&(start, _)| start == class_start)?.1
            };
            if ends_block {
                map.bytes.exact(u.block.1, end);
            }
            if begins_block {
                map.bytes.exact(u.block.0, start);
            }
        }
        let rows = old[first..after].iter().filter(|&&b| b == b'\n').count() as i64;
        map.bytes.push(after as u32, first as i64 - after as i64);
        map.rows.push(u.rows.1 + 1, -rows);
        map.nodes.push(u.nodes.1, u.nodes.0 as i64 - u.nodes.1 as i64);
        node_shift_due = true;
        fates.push(Fate::TakenOut);
        (old_at, new_at) = (after, new_at + kept);
        (old_row, nodes_before) = (u.rows.1 + 1, u.nodes.1);
    }
    if j != units.len() || !at(old_at, new_at, old_row, nodes_before, block_before).fits(old, new, (old.len(), new.len()), u32::MAX, &mut map, &mut node_shift_due) {
        return None;
    }
    if first_change == usize::MAX {
        first_change = if map.bytes.shifts.is_empty() { last.units.len() } else { last.units.len() - 1 };
    }
    if node_shift_due {
        let (want, got) = (tree.len() as i64, map.nodes.map(last.tree_len) as i64);
        map.nodes.adjust_last(want - got);
    }
    // The entries before the first unit changed or taken out stay where they are: only
    // the ends that reach past it move.
    // (The first change is before the unit `first_change`, or is that unit; the
    // entries between it and the unit before it may have moved.)
    let first = match first_change.checked_sub(1) {
        None => [0; 4],
        Some(i) => last.units[i].entries.map(|(_, to)| to),
    };
    let mut m = Model {
        source: source.into(),
        scopes: std::mem::take(&mut last.scopes),
        bindings: std::mem::take(&mut last.bindings),
        references: std::mem::take(&mut last.references),
        ctls: std::mem::take(&mut last.ctls),
        binding_symbol: std::mem::take(&mut last.binding_symbol),
        symbols: std::mem::take(&mut last.symbols),
        symbol_keys: std::mem::take(&mut last.symbol_keys),
        units: Vec::with_capacity(last.units.len()),
        tree_len: tree.len() as u32,
        ..Model::default()
    };
    m.take_names(&mut last);
    let units_then = std::mem::take(&mut last.units);
    let [scopes, bindings, references, ctls] = first.map(|n| n as usize);
    let mut old = Old {
        scopes: m.scopes.split_off(scopes).into_iter(),
        bindings: m.bindings.split_off(bindings).into_iter(),
        binding_symbol: m.binding_symbol.split_off(bindings).into_iter(),
        references: m.references.split_off(references).into_iter(),
        ctls: m.ctls.split_off(ctls).into_iter(),
    };
    for s in &mut m.scopes {
        s.end = map.byte(s.end);
        if let CodeRegion::Body { start, end } = &mut s.code {
            // (A class's body starts with the unit, when it was taken out.)
            (*start, *end) = (map.byte(*start), map.byte(*end));
        }
    }
    for b in &mut m.bindings {
        b.effective = map.byte(b.effective);
    }
    for r in &mut m.references {
        r.dom_end = map.byte(r.dom_end);
        if let Some((_, end)) = &mut r.back_edge_range {
            *end = map.byte(*end);
        }
    }
    for c in &mut m.ctls {
        c.end = map.byte(c.end);
    }
    // The symbols keep their numbers while no unit's walk changes the number of scopes
    // (so that the scopes after it keep theirs); otherwise they are numbered again.
    let mut renumber = m.symbol_keys.len() > 2 * m.symbols.len() + 64;
    // The entries up to each unit changed or taken out are moved, the unit's own
    // dropped; a changed one is walked again.
    let mut copied = first;
    for (u, fate) in units_then.iter().zip(&fates) {
        let walked = match *fate {
            Fate::Same => {
                m.units.push(UnitSpan {
                    bytes: map.range(u.bytes),
                    rows: (map.rows.map(u.rows.0), map.rows.map(u.rows.1)),
                    nodes: (map.nodes.map(u.nodes.0), map.nodes.map(u.nodes.1)),
                    entries: [0, 1, 2, 3].map(|k| (map.ids[k].map(u.entries[k].0), map.ids[k].map(u.entries[k].1))),
                    container: map.scope(u.container),
                    block: map.range(u.block),
                });
                continue;
            }
            Fate::Changed(j) => Some(units[j].0),
            Fate::TakenOut => None,
        };
        old.copy(&mut m, &map, [0, 1, 2, 3].map(|k| u.entries[k].0 - copied[k]));
        // The unit's scopes and their symbols go (a walk asks which names its
        // enclosing functions bind).
        let scopes = u.entries[0].0..u.entries[0].1;
        old.drop(u.entries.map(|(from, to)| to - from), |b| {
            if !renumber && scopes.contains(&b.scope.0) {
                m.symbols.remove(&(b.scope, b.name));
            }
        });
        let container = map.scope(u.container);
        let mut b = Builder::new(source, std::mem::take(&mut m), 0);
        let before = b.entry_counts();
        if let Some(stmt) = walked {
            let block = stmt.parent().map_or((0, source.len()), |p| (p.start_byte(), p.end_byte()));
            let block = (block.0 as u32, block.1 as u32);
            b.reusing = true;
            b.scope = container;
            b.depth = (container != MODULE_SCOPE) as u32;
            b.block_child_start = stmt.start_byte() as u32;
            b.block_child_dom = block.1;
            b.walk_stmt(stmt);
            let after = b.entry_counts();
            b.m.units.push(UnitSpan::of(stmt, [0, 1, 2, 3].map(|k| (before[k], after[k])), container, block));
        }
        let after = b.entry_counts();
        m = b.m;
        if m.postponed_annotations {
            return None;
        }
        for k in 0..4 {
            let (from, to) = u.entries[k];
            map.ids[k].push(to, (after[k] - before[k]) as i64 - (to - from) as i64);
        }
        if !renumber && map.ids[0].shifts.last().is_some_and(|&(_, d)| d != 0) {
            renumber = true;
            m.symbols.clear();
        }
        copied = u.entries.map(|(_, to)| to);
    }
    old.copy(&mut m, &map, [u32::MAX; 4]);
    if renumber {
        m.symbols.clear();
        m.symbol_keys.clear();
        m.binding_symbol.clear();
        for i in 0..m.bindings.len() {
            let b = &m.bindings[i];
            let symbol = m.symbol(b.scope, b.name);
            m.binding_symbol.push(symbol);
        }
    }
    // Each scope's node is the node of its kind over its bytes in the new tree (the
    // nodes of a class's header after a comment taken out are moved by guess).
    let fits = |s: &Scope| {
        let node = (s.node as usize) < tree.len();
        node && {
            let n = tree.node(s.node as usize);
            let kind = match kind_of(n) {
                Kind::ClassDefinition => Some(ScopeKind::Class),
                Kind::FunctionDefinition => Some(ScopeKind::Function),
                Kind::Lambda => Some(ScopeKind::Lambda),
                Kind::ListComprehension | Kind::SetComprehension | Kind::DictionaryComprehension | Kind::GeneratorExpression => Some(ScopeKind::Comprehension),
                _ => None,
            };
            (n.start_byte() as u32, n.end_byte() as u32, kind) == (s.start, s.end, Some(s.kind))
        }
    };
    if !m.scopes[1..].iter().all(fits) {
        return None;
    }
    m.index_symbols();
    m.drop_unused_names();
    m.index_named();
    finish(&mut m);
    Some(m)
}

/// The last model's lists, taken in order.
struct Old {
    scopes: std::vec::IntoIter<Scope>,
    bindings: std::vec::IntoIter<Binding>,
    binding_symbol: std::vec::IntoIter<u32>,
    references: std::vec::IntoIter<Reference>,
    ctls: std::vec::IntoIter<Ctl>,
}

impl Old {
    /// Moves the next `count` entries of each list (scopes, bindings, references,
    /// control constructs) into `m`.
    fn copy(&mut self, m: &mut Model, map: &Map, count: [u32; 4]) {
        let [scopes, bindings, references, ctls] = count.map(|n| n as usize);
        m.scopes.extend(self.scopes.by_ref().take(scopes).map(|mut s| {
            s.parent = s.parent.map(|p| map.scope(p));
            s.start = map.byte(s.start);
            s.end = map.byte(s.end);
            s.node = map.nodes.map(s.node);
            for (_, at) in s.globals.iter_mut().chain(s.nonlocals.iter_mut()) {
                *at = map.byte(*at);
            }
            s.code = match s.code {
                CodeRegion::Body { start, end } => CodeRegion::Body { start: map.byte(start), end: map.byte(end) },
                CodeRegion::Comprehension { first_for, target } => CodeRegion::Comprehension { first_for: map.range(first_for), target: map.range(target) },
                other => other,
            };
            s
        }));
        m.binding_symbol.extend(self.binding_symbol.by_ref().take(bindings));
        m.bindings.extend(self.bindings.by_ref().take(bindings).map(|b| Binding {
            scope: map.scope(b.scope),
            start: map.byte(b.start),
            effective: map.byte(b.effective),
            line: map.rows.map(b.line),
            stmt_start: map.byte(b.stmt_start),
            stmt_line: map.rows.map(b.stmt_line),
            ctl: b.ctl.map(|c| map.ctl(c)),
            ..b
        }));
        m.references.extend(self.references.by_ref().take(references).map(|r| Reference {
            scope: map.scope(r.scope),
            start: map.byte(r.start),
            line: map.rows.map(r.line),
            stmt_start: map.byte(r.stmt_start),
            stmt_line: map.rows.map(r.stmt_line),
            ctl: r.ctl.map(|c| map.ctl(c)),
            assign_value_of: r.assign_value_of.map(|at| map.byte(at)),
            for_iter_of: r.for_iter_of.map(|at| map.byte(at)),
            back_edge_range: r.back_edge_range.map(|range| map.range(range)),
            dom_end: map.byte(r.dom_end),
            ..r
        }));
        m.ctls.extend(self.ctls.by_ref().take(ctls).map(|mut c| {
            c.parent = c.parent.map(|p| map.ctl(p));
            for child in &mut c.children {
                *child = map.ctl(*child);
            }
            c.start = map.byte(c.start);
            c.end = map.byte(c.end);
            c.frame = map.scope(c.frame);
            c.test = c.test.map(|range| map.range(range));
            c
        }));
    }

    /// Drops the next `count` entries of each list, showing each binding to `f`.
    fn drop(&mut self, count: [u32; 4], mut f: impl FnMut(&Binding)) {
        let [scopes, bindings, references, ctls] = count.map(|n| n as usize);
        self.scopes.by_ref().take(scopes).for_each(drop);
        self.binding_symbol.by_ref().take(bindings).for_each(drop);
        self.bindings.by_ref().take(bindings).for_each(|b| f(&b));
        self.references.by_ref().take(references).for_each(drop);
        self.ctls.by_ref().take(ctls).for_each(drop);
    }
}
