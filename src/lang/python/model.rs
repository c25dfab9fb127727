//! The semantic model of one Python module: scopes, bindings and references in arenas,
//! built by one walk of the tree-sitter tree (see `builder`). Checks read it; they never
//! walk the tree for names themselves.
//!
//! Names are interned to [`NameId`]s (compare ids, not strings); [`Model::name`] gives the
//! text back. Positions are byte offsets into the source and 0-based lines/columns.
//!
//! Besides Python's scoping, the model records the control structure every binding and
//! reference sits in ([`Ctl`]: if-branches, try parts, loops, with, match cases). Flow
//! questions ("can a binding reach this read?") are answered from it by the checks.

mod builder;

use std::cell::Cell;

use foldhash::HashMap;
use crate::lang::python::tree::{Node, SyntaxTree};

macro_rules! id_type {
    ($name:ident) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);
        impl $name {
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(ScopeId);
id_type!(BindingId);
id_type!(ReferenceId);
id_type!(NameId);
id_type!(CtlId);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Class,
    Function,
    Lambda,
    Comprehension,
}

impl ScopeKind {
    /// Scopes whose locals are decided at compile time (reads of a local never fall back
    /// to globals).
    pub fn is_function_like(self) -> bool {
        matches!(self, ScopeKind::Function | ScopeKind::Lambda | ScopeKind::Comprehension)
    }
}

#[derive(Debug, Clone)]
pub struct Scope {
    pub kind: ScopeKind,
    pub parent: Option<ScopeId>,
    /// Byte range of the node that opens the scope (the whole module for the module).
    pub start: u32,
    pub end: u32,
    /// The opening node's id in the syntax tree the model was built from.
    pub node: u32,
    /// For classes and functions: the defined name.
    pub name: Option<NameId>,
    /// The class a function is directly defined in (a method), if any.
    pub is_method: bool,
    /// `from m import *` seen in this scope.
    pub star_import: bool,
    /// Names declared `global` / `nonlocal` here, with the declaration's reference id.
    pub globals: Vec<(NameId, u32)>,
    pub nonlocals: Vec<(NameId, u32)>,
    /// Where the scope's own code is, by byte range (see [`Scope::runs`]).
    pub code: CodeRegion,
}

/// The part of a scope's node whose code runs in the scope, under Python's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRegion {
    /// The module: everything.
    All,
    /// A def's, class's or lambda's body (not decorators, defaults or annotations).
    Body { start: u32, end: u32 },
    /// A comprehension, strictly inside its node, except its first `for` clause outside
    /// that clause's target (the first iterable runs in the enclosing scope).
    Comprehension { first_for: (u32, u32), target: (u32, u32) },
    /// No code (a def without a body).
    None,
}

impl Scope {
    /// Whether the code of a node spanning `start..end` runs in this scope itself (not
    /// counting scopes nested in it).
    pub fn runs(&self, start: u32, end: u32) -> bool {
        let within = |(s, e): (u32, u32)| s <= start && end <= e;
        match self.code {
            CodeRegion::All => true,
            CodeRegion::Body { start: s, end: e } => within((s, e)),
            CodeRegion::Comprehension { first_for, target } => {
                within((self.start, self.end))
                    && (start, end) != (self.start, self.end)
                    && (!within(first_for) || within(target))
            }
            CodeRegion::None => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingKind {
    Import,
    FromImport,
    FunctionDef,
    ClassDef,
    Parameter,
    /// `x = ...` (plain, chained or unpacking target).
    Assignment,
    /// `x: T = v`.
    AnnotatedAssignment,
    /// `x: T` without a value: makes `x` local but binds nothing.
    Annotation,
    AugmentedAssignment,
    ForTarget,
    ComprehensionTarget,
    WithTarget,
    ExceptHandler,
    Deletion,
    NamedExpr,
    MatchCapture,
}

impl BindingKind {
    /// Whether the binding gives the name a value (del and bare annotations do not).
    pub fn binds_value(self) -> bool {
        !matches!(self, BindingKind::Deletion | BindingKind::Annotation)
    }
    /// astroid's `AssignName` bindings (not imports, defs or classes).
    pub fn is_assign_name(self) -> bool {
        !matches!(self, BindingKind::Import | BindingKind::FromImport | BindingKind::FunctionDef | BindingKind::ClassDef | BindingKind::Deletion)
    }
    /// A statement of this kind "defines the name" in pylint's branch analysis.
    pub fn defines_in_branch(self) -> bool {
        matches!(
            self,
            BindingKind::Import
                | BindingKind::FromImport
                | BindingKind::FunctionDef
                | BindingKind::ClassDef
                | BindingKind::Assignment
                | BindingKind::AnnotatedAssignment
                | BindingKind::WithTarget
                | BindingKind::ExceptHandler
        )
    }
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub name: NameId,
    pub scope: ScopeId,
    pub kind: BindingKind,
    /// Byte offset of the name.
    pub start: u32,
    /// Byte offset from which the name holds the value (after the right-hand side, the
    /// decorators, the iterable...).
    pub effective: u32,
    pub line: u32,
    pub column: u32,
    /// Start byte and line of the statement the binding belongs to.
    pub stmt_start: u32,
    pub stmt_line: u32,
    /// Innermost control construct around the binding (within its own function).
    pub ctl: Option<CtlId>,
    /// For `x = x` style statements: the assignment statement's start, so a read in the
    /// value can recognise "defined by this very statement".
    pub simple_target: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefContext {
    Load,
    /// The target of an augmented assignment: read, then written.
    AugStore,
    Del,
}

#[derive(Debug, Clone)]
pub struct Reference {
    pub name: NameId,
    /// The scope the reference is evaluated in.
    pub scope: ScopeId,
    pub ctx: RefContext,
    pub start: u32,
    pub line: u32,
    pub column: u32,
    pub stmt_start: u32,
    pub stmt_line: u32,
    pub ctl: Option<CtlId>,
    /// Inside an annotation (parameter, return or variable annotation).
    pub in_annotation: bool,
    /// Directly the value of a plain assignment (`x = <ref>`), with that statement's start.
    pub assign_value_of: Option<u32>,
    /// The iterable of a `for` statement, with that statement's start.
    pub for_iter_of: Option<u32>,
    /// Inside a `try` whose handlers catch NameError (or a bare `except:`).
    pub guarded_name_error: bool,
    /// Byte range of the outermost loop of the reference's function in whose first
    /// iteration the reference may be skipped: a binding inside this range may reach the
    /// reference through the loop's back edge.
    pub back_edge_range: Option<(u32, u32)>,
    /// Evaluated whenever its statement runs (not in a conditional expression's branch, a
    /// boolean operator's right operand, a comprehension, a case pattern or an assert).
    pub unconditional: bool,
    /// End of the code the reference's statement dominates: every path from the frame's
    /// entry to a position in `start..dom_end` after the reference runs the statement
    /// first (the rest of its block, stretched over the rest of an enclosing loop that
    /// always runs its body when no jump precedes the statement).
    pub dom_end: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtlKind {
    /// A whole `if` statement; its children are its branches in order.
    If,
    /// `if` body (index 0), an `elif` or the `else` of an [`CtlKind::If`].
    IfBranch { index: u16, is_else: bool },
    Try,
    TryBody,
    Handler,
    TryElse,
    Finally,
    /// A `for` or `while` statement (the target and condition live here).
    Loop { is_while: bool },
    LoopBody,
    LoopElse,
    /// A `with` statement (its targets live here).
    With,
    WithBody,
    Match,
    Case,
}

#[derive(Debug, Clone)]
pub struct Ctl {
    pub kind: CtlKind,
    pub parent: Option<CtlId>,
    pub children: Vec<CtlId>,
    pub start: u32,
    pub end: u32,
    /// The function/module/class scope the construct belongs to.
    pub frame: ScopeId,
    /// For `If`: byte range of the condition; for `Handler`: of the exception type.
    pub test: Option<(u32, u32)>,
    /// A statement directly in this branch returns / raises / asserts / continues or calls
    /// a terminating function (sys.exit, ...).
    pub terminates: bool,
    /// A `return` directly in this branch.
    pub returns: bool,
    /// A `continue` directly in this branch.
    pub continues: bool,
    /// A terminating call directly in this branch.
    pub exits: bool,
    /// For `If`: a `break` or `continue` anywhere inside.
    pub has_break_or_continue: bool,
    /// For `Handler`: catches NameError (or everything).
    pub catches_name_error: bool,
}

impl Ctl {
    #[inline]
    pub fn contains(&self, pos: u32) -> bool {
        self.start <= pos && pos < self.end
    }
}

/// Where a statement of the module or of a top-level class's body (not a class) is, in
/// the program and in the model: its bytes, rows (first and last) and tree nodes, the
/// range of each list its walk added to (scopes, bindings, references, control
/// constructs), the scope it runs in, and its block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UnitSpan {
    bytes: (u32, u32),
    rows: (u32, u32),
    nodes: (u32, u32),
    entries: [(u32, u32); 4],
    container: ScopeId,
    /// The bytes of the block it is in.
    block: (u32, u32),
}

impl UnitSpan {
    fn of(stmt: Node, entries: [(u32, u32); 4], container: ScopeId, block: (u32, u32)) -> UnitSpan {
        let first = stmt.id() as u32;
        UnitSpan {
            bytes: (stmt.start_byte() as u32, stmt.end_byte() as u32),
            rows: (stmt.start_position().row as u32, stmt.end_position().row as u32),
            nodes: (first, first + stmt.descendants().len() as u32),
            entries,
            container,
            block,
        }
    }
}

/// A symbol's number, and the range of `symbol_bindings` that holds its bindings.
#[derive(Debug, Clone, Copy)]
struct Sym {
    number: u32,
    from: u32,
    to: u32,
}

#[derive(Debug, Default)]
pub struct Model {
    pub scopes: Vec<Scope>,
    pub bindings: Vec<Binding>,
    /// In pylint's visit order (source order, except that a conditional expression's
    /// test comes before its branches).
    pub references: Vec<Reference>,
    pub ctls: Vec<Ctl>,
    /// `from __future__ import annotations` is in effect.
    pub postponed_annotations: bool,
    /// Interned names: the byte span of each in `source` (its first occurrence) or, once
    /// `own_names` is set (a model made from the last one), in `name_text`.
    names: Vec<(u32, u32)>,
    name_text: String,
    own_names: bool,
    source: Box<str>,
    /// The statements of the module and of its top-level classes' bodies, but comments
    /// and classes, in source order, with where their entries are (for
    /// [`Model::build_reusing`]).
    units: Vec<UnitSpan>,
    /// The number of nodes of the tree the model was built from.
    tree_len: u32,
    /// The symbols (a name bound in a scope), by number: `symbols` numbers each (scope,
    /// name) bound (with where its bindings are in `symbol_bindings`), `symbol_keys`
    /// gives each number's pair back (a number whose pair is no longer bound has no
    /// bindings), `binding_symbol` the number of each binding.
    symbols: HashMap<(ScopeId, NameId), Sym>,
    symbol_keys: Vec<(ScopeId, NameId)>,
    binding_symbol: Vec<u32>,
    /// The bindings of the symbols, each symbol's in source order (in the range its
    /// `Sym` gives); `symbol_from` is [`Model::index_symbols`]'s room, kept.
    symbol_from: Vec<u32>,
    symbol_bindings: Vec<BindingId>,
    /// Name ids by the hash of their text (for [`Model::name_id`]).
    name_index: hashbrown::HashTable<NameId>,
    /// The bindings of each name, in the order of `bindings`: those of name `i` are
    /// `named[named_from[i]..named_from[i + 1]]`.
    named_from: Vec<u32>,
    named: Vec<BindingId>,
    /// `(start, end, scope)` of every scope but the module, sorted (for
    /// [`Model::scope_of_node`]).
    scope_ranges: Vec<(u32, u32, ScopeId)>,
    /// The scopes but the module by the start of their node (for [`Model::holding`]);
    /// empty when the nesting index below does not apply.
    by_start: Vec<u32>,
    /// The start of each scope of `by_start`, in its order: the binary search reads one
    /// array, not a scope record per step.
    starts: Vec<u32>,
    /// The last answer of the binary search in [`Model::holding`]: the starts in
    /// `lo..hi` all get `before`. The checks ask about nodes in source order, so the next
    /// question usually lies in the same gap between scope starts.
    last_gap: Cell<(u32, u32, u32)>,
    /// For each scope, the innermost other scope whose node holds its node (0: none).
    nested_in: Vec<u32>,
    /// The start of each reference, in the order of `references` (for
    /// [`Model::reference_at`], whose binary search then reads one compact array).
    reference_starts: Vec<u32>,
}

/// The scopes whose node holds a byte range, innermost first (see [`Model::holding`]).
pub struct Holding<'m> {
    model: &'m Model,
    start: u32,
    end: u32,
    /// The next scope to look at (0: done).
    next: usize,
    /// Walk every scope down from the last instead of the nesting chain.
    linear: bool,
}

impl Iterator for Holding<'_> {
    type Item = ScopeId;

    fn next(&mut self) -> Option<ScopeId> {
        while self.next != 0 {
            let i = self.next;
            self.next = if self.linear { i - 1 } else { self.model.nested_in[i] as usize };
            let scope = &self.model.scopes[i];
            if scope.start <= self.start && self.end <= scope.end {
                return Some(ScopeId(i as u32));
            }
        }
        None
    }
}

pub const MODULE_SCOPE: ScopeId = ScopeId(0);

#[cfg(test)]
thread_local! {
    /// Models made from the last one on this thread.
    pub(crate) static MODELS_REUSED: Cell<usize> = const { Cell::new(0) };
}

/// The length from which a model records its units and [`Model::build_reusing`] is
/// tried: below it (~200 lines) walking the program costs about what moving its
/// entries does.
pub const REUSE_FROM_BYTES: usize = 8192;

/// The hash [`Model::name_id`] looks names up by (fixed, so a model never depends on
/// the process).
fn name_hash(text: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0).hash_one(text)
}

impl Model {
    /// Builds the model of `source`. Robust to ERROR nodes: it never panics.
    pub fn build(source: &str, tree: &SyntaxTree) -> Model {
        builder::build(source, tree)
    }

    /// The model of `source`, made from `last`'s (a model of an earlier program) when the
    /// two programs differ only inside statements of the module or of a top-level class
    /// (or by such statements taken out): those are walked again (or dropped) and every
    /// other entry is moved. The same
    /// model as [`Model::build`] gives, but for the numbering of names; `None` when the
    /// programs differ elsewhere.
    pub fn build_reusing(source: &str, tree: &SyntaxTree, last: Model) -> Option<Model> {
        let made = builder::build_reusing(source, tree, last);
        #[cfg(test)]
        MODELS_REUSED.set(MODELS_REUSED.get() + made.is_some() as usize);
        made
    }

    pub fn name(&self, id: NameId) -> &str {
        let (s, e) = self.names[id.index()];
        let text: &str = if self.own_names { &self.name_text } else { &self.source };
        text.get(s as usize..e as usize).unwrap_or("")
    }

    /// The id of a name, if the module binds or reads it.
    pub fn name_id(&self, text: &str) -> Option<NameId> {
        self.name_index.find(name_hash(text), |id| self.name(*id) == text).copied()
    }

    /// The read recorded at byte `start` (the start of its identifier), if the model has
    /// one there. References are in visit order, which is source order but for a
    /// conditional expression's test (visited before its branches): a binary search by
    /// start lands on the read or a few places off it, and a look at the neighbours
    /// finds it. A read out of reach answers `None`, as no read does.
    pub fn reference_at(&self, start: u32) -> Option<&Reference> {
        const NEAR: usize = 8;
        let starts = &self.reference_starts;
        let i = starts.partition_point(|&s| s < start);
        let found = match starts.get(i) {
            Some(&s) if s == start => Some(i),
            _ => (i.saturating_sub(NEAR)..(i + NEAR).min(starts.len())).find(|&j| starts[j] == start),
        };
        found.map(|j| &self.references[j])
    }

    /// Every binding of `name`, in any scope, in the order of [`Model::bindings`].
    pub fn bindings_named(&self, name: NameId) -> &[BindingId] {
        let i = name.index();
        match (self.named_from.get(i), self.named_from.get(i + 1)) {
            (Some(&from), Some(&to)) => &self.named[from as usize..to as usize],
            _ => &[],
        }
    }

    /// Whether `name` has a binding in any scope.
    pub fn is_bound_anywhere(&self, name: NameId) -> bool {
        !self.bindings_named(name).is_empty()
    }

    /// The scope opened by a tree node (function_definition, class_definition, lambda,
    /// comprehension or the module).
    pub fn scope_of_node(&self, node: Node) -> Option<ScopeId> {
        if node.kind() == "module" {
            return Some(MODULE_SCOPE);
        }
        let key = (node.start_byte() as u32, node.end_byte() as u32);
        self.scope_ranges.binary_search_by(|&(s, e, _)| (s, e).cmp(&key)).ok().map(|i| self.scope_ranges[i].2)
    }

    /// The tree node that opens a scope (the root for the module).
    pub fn scope_node<'t>(&self, root: Node<'t>, scope: ScopeId) -> Node<'t> {
        if scope == MODULE_SCOPE {
            return root;
        }
        root.tree().node(self.scopes[scope.index()].node as usize)
    }

    /// The scope the code of `node` runs in, under Python's rules: a def's or lambda's
    /// body (not its decorators, defaults or annotations), a class body, a comprehension
    /// except its first iterable.
    pub fn enclosing_scope(&self, node: Node) -> ScopeId {
        // A scope's code lies inside its node, so the innermost scope whose code holds
        // the node is among the scopes whose node holds it.
        let (start, end) = (node.start_byte() as u32, node.end_byte() as u32);
        self.holding(start, end).find(|s| self.scopes[s.index()].runs(start, end)).unwrap_or(MODULE_SCOPE)
    }

    /// The scopes (not the module) whose node holds the node spanning `start..end`,
    /// innermost first: its enclosing defs, classes, lambdas and comprehensions.
    pub fn scopes_holding(&self, start: u32, end: u32) -> Holding<'_> {
        self.holding(start, end)
    }

    /// pylint's frame of the node spanning `start..end`: the innermost def, class or
    /// lambda whose body holds it (the module when there is none).
    pub fn frame_scope(&self, start: u32, end: u32) -> ScopeId {
        self.holding(start, end)
            .find(|s| {
                let scope = &self.scopes[s.index()];
                matches!(scope.code, CodeRegion::Body { .. }) && scope.runs(start, end)
            })
            .unwrap_or(MODULE_SCOPE)
    }

    /// The scopes whose node holds `start..end`, innermost first (innermost is also the
    /// highest-numbered: scopes are numbered in tree order). Scope nodes nest, so those
    /// scopes are the last scope starting at or before `start` and the scopes holding
    /// it: a binary search and a walk up the nesting, instead of a look at every scope.
    fn holding(&self, start: u32, end: u32) -> Holding<'_> {
        if self.by_start.is_empty() {
            return Holding { model: self, start, end, next: self.scopes.len().saturating_sub(1), linear: true };
        }
        let (lo, hi, known) = self.last_gap.get();
        let before = if lo <= start && start < hi {
            known as usize
        } else {
            let before = self.starts.partition_point(|&s| s <= start);
            let lo = if before == 0 { 0 } else { self.starts[before - 1] };
            let hi = self.starts.get(before).copied().unwrap_or(u32::MAX);
            self.last_gap.set((lo, hi, before as u32));
            before
        };
        let next = if before == 0 { 0 } else { self.by_start[before - 1] as usize };
        Holding { model: self, start, end, next, linear: false }
    }

    /// The names of `last`, their texts kept by the model (which then has its own).
    fn take_names(&mut self, last: &mut Model) {
        if last.own_names {
            self.names = std::mem::take(&mut last.names);
            self.name_text = std::mem::take(&mut last.name_text);
        } else {
            self.names = Vec::with_capacity(last.names.len());
            for i in 0..last.names.len() {
                let start = self.name_text.len() as u32;
                self.name_text.push_str(last.name(NameId(i as u32)));
                self.names.push((start, self.name_text.len() as u32));
            }
        }
        self.own_names = true;
        self.name_index = std::mem::take(&mut last.name_index);
    }

    /// A new name, its text kept (`own_names`).
    fn push_name(&mut self, text: &str) -> NameId {
        let id = NameId(self.names.len() as u32);
        let start = self.name_text.len() as u32;
        self.name_text.push_str(text);
        self.names.push((start, self.name_text.len() as u32));
        id
    }

    /// The id of `text` in the look-up by name, added to it if it is not there.
    fn intern_in_table(&mut self, text: &str) -> NameId {
        let hash = name_hash(text);
        if let Some(&id) = self.name_index.find(hash, |id| self.name(*id) == text) {
            return id;
        }
        let id = self.push_name(text);
        let Model { name_index, names, name_text, .. } = self;
        name_index.insert_unique(hash, id, |id| {
            let (s, e) = names[id.index()];
            name_hash(&name_text[s as usize..e as usize])
        });
        id
    }

    /// Takes the names no entry uses out of the look-up by text (a model made from the
    /// last one keeps every name it had; a fresh build has only those it meets).
    fn drop_unused_names(&mut self) {
        let mut used = vec![false; self.names.len()];
        for b in &self.bindings {
            used[b.name.index()] = true;
        }
        for r in &self.references {
            used[r.name.index()] = true;
        }
        for s in &self.scopes {
            for n in s.name.iter().chain(s.globals.iter().chain(&s.nonlocals).map(|(n, _)| n)) {
                used[n.index()] = true;
            }
        }
        for (i, _) in used.iter().enumerate().filter(|(_, &u)| !u) {
            let id = NameId(i as u32);
            let hash = name_hash(self.name(id));
            if let Ok(entry) = self.name_index.find_entry(hash, |other| *other == id) {
                entry.remove();
            }
        }
    }

    /// The first way in which two models of the same program differ, names compared by
    /// their text (a model made from the last one numbers them differently).
    #[cfg(debug_assertions)]
    pub fn first_difference(&self, other: &Model) -> Option<String> {
        fn scopes(m: &Model) -> Vec<String> {
            let named = |list: &[(NameId, u32)]| list.iter().map(|&(n, at)| (m.name(n).to_string(), at)).collect::<Vec<_>>();
            m.scopes.iter().map(|s| format!("{:?} {:?} {:?} {:?}", Scope { name: None, globals: Vec::new(), nonlocals: Vec::new(), ..s.clone() }, s.name.map(|n| m.name(n)), named(&s.globals), named(&s.nonlocals))).collect()
        }
        fn bindings(m: &Model) -> Vec<String> {
            m.bindings.iter().map(|b| format!("{:?} {}", Binding { name: NameId(0), ..b.clone() }, m.name(b.name))).collect()
        }
        fn references(m: &Model) -> Vec<String> {
            m.references.iter().map(|r| format!("{:?} {}", Reference { name: NameId(0), ..r.clone() }, m.name(r.name))).collect()
        }
        fn symbols(m: &Model) -> Vec<String> {
            let mut out: Vec<String> = m.symbols.keys().map(|&(s, n)| format!("{} {} {:?}", s.0, m.name(n), m.bindings_of(s, n))).collect();
            out.sort();
            out
        }
        fn names(m: &Model) -> Vec<String> {
            let mut out: Vec<String> = m.name_index.iter().map(|&n| format!("{} {:?}", m.name(n), m.bindings_named(n))).collect();
            out.sort();
            out
        }
        fn lists(m: &Model) -> [Vec<String>; 6] {
            let ctls = m.ctls.iter().map(|c| format!("{c:?}")).collect();
            let rest = vec![format!("{} {:?} {:?} {:?} {:?} {:?} {:?} {:?}", m.postponed_annotations, m.units, m.scope_ranges, m.by_start, m.starts, m.nested_in, m.reference_starts, &*m.source)];
            [scopes(m), bindings(m), references(m), ctls, symbols(m), names(m).into_iter().chain(rest).collect()]
        }
        let what = ["scope", "binding", "reference", "ctl", "symbol", "name or index"];
        for (k, (a, b)) in lists(self).iter().zip(lists(other)).enumerate() {
            if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
                return Some(format!("{} {i}: {:?} != {:?}", what[k], a.get(i), b.get(i)));
            }
        }
        None
    }

    /// Builds the look-ups by name: [`Model::name_id`] and [`Model::bindings_named`].
    fn index_names(&mut self) {
        let mut table = hashbrown::HashTable::with_capacity(self.names.len());
        for i in 0..self.names.len() {
            let id = NameId(i as u32);
            table.insert_unique(name_hash(self.name(id)), id, |id| name_hash(self.name(*id)));
        }
        self.name_index = table;
        self.index_named();
    }

    /// Builds [`Model::bindings_named`]'s look-up.
    fn index_named(&mut self) {
        let mut from = vec![0u32; self.names.len() + 1];
        for b in &self.bindings {
            from[b.name.index() + 1] += 1;
        }
        for i in 1..from.len() {
            from[i] += from[i - 1];
        }
        let mut next = from.clone();
        let mut named = vec![BindingId(0); self.bindings.len()];
        for (i, b) in self.bindings.iter().enumerate() {
            let slot = &mut next[b.name.index()];
            named[*slot as usize] = BindingId(i as u32);
            *slot += 1;
        }
        self.named_from = from;
        self.named = named;
    }

    /// Builds the index [`Model::holding`] walks. It is used only when every scope is
    /// numbered after the scopes holding it (true of the builder's tree-order walk; if
    /// it ever were not, "innermost" and "highest-numbered" could disagree, and the
    /// look-ups fall back to a scan of every scope).
    fn index_nesting(&mut self) {
        let n = self.scopes.len();
        let mut order: Vec<u32> = (1..n as u32).collect();
        order.sort_unstable_by_key(|&i| (self.scopes[i as usize].start, std::cmp::Reverse(self.scopes[i as usize].end), i));
        let mut nested_in = vec![0u32; n];
        let mut open: Vec<u32> = Vec::new();
        for &i in &order {
            let scope = &self.scopes[i as usize];
            while let Some(&outer) = open.last() {
                let o = &self.scopes[outer as usize];
                if o.start <= scope.start && scope.end <= o.end {
                    break;
                }
                open.pop();
            }
            if let Some(&outer) = open.last() {
                if outer > i {
                    return;
                }
                nested_in[i as usize] = outer;
            }
            open.push(i);
        }
        self.starts = order.iter().map(|&i| self.scopes[i as usize].start).collect();
        self.last_gap.set((1, 0, 0));
        self.by_start = order;
        self.nested_in = nested_in;
    }

    /// The identifier node of a binding's name.
    pub fn binding_node<'t>(&self, root: Node<'t>, id: BindingId) -> Option<Node<'t>> {
        let b = &self.bindings[id.index()];
        let end = b.start as usize + self.name(b.name).len();
        root.named_descendant_for_byte_range(b.start as usize, end).filter(|n| n.kind() == "identifier")
    }

    pub fn scope(&self, id: ScopeId) -> &Scope {
        &self.scopes[id.index()]
    }

    pub fn binding(&self, id: BindingId) -> &Binding {
        &self.bindings[id.index()]
    }

    pub fn reference(&self, id: ReferenceId) -> &Reference {
        &self.references[id.index()]
    }

    pub fn ctl(&self, id: CtlId) -> &Ctl {
        &self.ctls[id.index()]
    }

    /// The text of a byte range of the source.
    pub fn text(&self, start: u32, end: u32) -> &str {
        self.source.get(start as usize..end as usize).unwrap_or("")
    }

    /// The bindings of `name` in `scope` (source order), including deletions and bare
    /// annotations.
    #[inline]
    pub fn bindings_of(&self, scope: ScopeId, name: NameId) -> &[BindingId] {
        match self.symbols.get(&(scope, name)) {
            Some(s) => &self.symbol_bindings[s.from as usize..s.to as usize],
            None => &[],
        }
    }

    /// The number of the symbol of (`scope`, `name`), a new one if it has none.
    #[inline]
    fn symbol(&mut self, scope: ScopeId, name: NameId) -> u32 {
        let next = self.symbol_keys.len() as u32;
        let s = self.symbols.entry((scope, name)).or_insert(Sym { number: next, from: 0, to: 0 }).number;
        if s == next {
            self.symbol_keys.push((scope, name));
        }
        s
    }

    /// Builds [`Model::bindings_of`]'s look-up from `binding_symbol`: a counting sort of
    /// the bindings by symbol, each symbol's in source order. The pairs left without a
    /// binding (a model made from the last one) are taken out of `symbols`.
    fn index_symbols(&mut self) {
        let mut from = std::mem::take(&mut self.symbol_from);
        from.clear();
        from.resize(self.symbol_keys.len() + 1, 0);
        for &s in &self.binding_symbol {
            from[s as usize + 1] += 1;
        }
        for i in 1..from.len() {
            from[i] += from[i - 1];
        }
        let mut next = from.clone();
        let mut out = std::mem::take(&mut self.symbol_bindings);
        out.clear();
        out.resize(self.bindings.len(), BindingId(0));
        for (i, &s) in self.binding_symbol.iter().enumerate() {
            out[next[s as usize] as usize] = BindingId(i as u32);
            next[s as usize] += 1;
        }
        // In the order of the walk, which is the source order but for a class's name
        // (bound after its body).
        let bindings = &self.bindings;
        for w in from.windows(2).filter(|w| w[1] - w[0] > 1) {
            let list = &mut out[w[0] as usize..w[1] as usize];
            if !list.is_sorted_by_key(|id| bindings[id.index()].start) {
                list.sort_by_key(|id| bindings[id.index()].start);
            }
        }
        // Each pair gets its range; a pair whose number has no binding goes (its symbol
        // went with its unit).
        self.symbols.retain(|_, s| {
            (s.from, s.to) = (from[s.number as usize], from[s.number as usize + 1]);
            s.from < s.to
        });
        self.symbol_from = from;
        self.symbol_bindings = out;
    }

    /// Whether `name` is a local of `scope` (bound there and not declared global/nonlocal).
    pub fn is_local(&self, scope: ScopeId, name: NameId) -> bool {
        !self.bindings_of(scope, name).is_empty() && !self.is_declared_global(scope, name) && !self.is_declared_nonlocal(scope, name)
    }

    pub fn is_declared_global(&self, scope: ScopeId, name: NameId) -> bool {
        self.scopes[scope.index()].globals.iter().any(|(n, _)| *n == name)
    }

    pub fn is_declared_nonlocal(&self, scope: ScopeId, name: NameId) -> bool {
        self.scopes[scope.index()].nonlocals.iter().any(|(n, _)| *n == name)
    }

    /// The local names of a scope (for a function: its locals), in no particular order.
    pub fn locals(&self, scope: ScopeId) -> impl Iterator<Item = NameId> + '_ {
        self.symbols.keys().filter(move |(s, _)| *s == scope).map(|(_, n)| *n).filter(move |n| self.is_local(scope, *n))
    }

    /// The nearest enclosing scope that is not a comprehension (where a walrus binds and
    /// whose flow a comprehension's reads belong to).
    pub fn frame_of(&self, mut scope: ScopeId) -> ScopeId {
        while self.scopes[scope.index()].kind == ScopeKind::Comprehension {
            match self.scopes[scope.index()].parent {
                Some(p) => scope = p,
                None => break,
            }
        }
        scope
    }

    /// Resolves a read of `name` evaluated in `scope` under Python's rules: the scope
    /// whose binding it reads, or `None` for globals/builtins not bound in the module.
    pub fn resolve(&self, scope: ScopeId, name: NameId) -> Option<ScopeId> {
        let mut current = Some(scope);
        let mut first = true;
        while let Some(s) = current {
            let sc = &self.scopes[s.index()];
            if self.is_declared_global(s, name) {
                return self.is_bound_in(MODULE_SCOPE, name).then_some(MODULE_SCOPE);
            }
            let skip_class = sc.kind == ScopeKind::Class && !first;
            if !skip_class && !self.is_declared_nonlocal(s, name) && self.is_bound_in(s, name) {
                return Some(s);
            }
            first = false;
            current = sc.parent;
        }
        None
    }

    /// Whether `name` has any binding (or deletion/annotation making it local) in `scope`.
    pub fn is_bound_in(&self, scope: ScopeId, name: NameId) -> bool {
        !self.bindings_of(scope, name).is_empty()
    }

    /// The ancestors of a control construct, innermost first (the construct included).
    pub fn ctl_chain(&self, ctl: Option<CtlId>) -> CtlChain<'_> {
        CtlChain { model: self, next: ctl }
    }

    /// Children of a control construct.
    pub fn ctl_children(&self, ctl: CtlId) -> &[CtlId] {
        &self.ctls[ctl.index()].children
    }

    /// A human-readable dump of scopes, bindings and references (for `--dump-scopes`
    /// style debugging and tests).
    pub fn dump(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for (i, s) in self.scopes.iter().enumerate() {
            let name = s.name.map(|n| self.name(n)).unwrap_or("");
            let _ = writeln!(out, "scope {i} {:?} {name} parent={:?}", s.kind, s.parent.map(|p| p.0));
            for (b_i, b) in self.bindings.iter().enumerate().filter(|(_, b)| b.scope.index() == i) {
                let _ = writeln!(out, "  binding {b_i} {} {:?} line={} ctl={:?}", self.name(b.name), b.kind, b.line + 1, b.ctl.map(|c| c.0));
            }
            for r in self.references.iter().filter(|r| r.scope.index() == i) {
                let _ = writeln!(out, "  ref {} {:?} line={} ctl={:?}", self.name(r.name), r.ctx, r.line + 1, r.ctl.map(|c| c.0));
            }
        }
        out
    }
}

pub struct CtlChain<'a> {
    model: &'a Model,
    next: Option<CtlId>,
}

impl Iterator for CtlChain<'_> {
    type Item = CtlId;
    fn next(&mut self) -> Option<CtlId> {
        let id = self.next?;
        self.next = self.model.ctls[id.index()].parent;
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'t>(root: Node<'t>, src: &str, kind: &str, text: &str) -> Node<'t> {
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if n.kind() == kind && &src[n.byte_range()] == text {
                return n;
            }
            let mut cursor = n.walk();
            stack.extend(n.children(&mut cursor));
        }
        panic!("no {kind} {text:?}");
    }

    #[test]
    fn nodes_scopes_and_names() {
        let src = "class C:\n    def m(self, d=dflt):\n        return [a for a in items if a]\n";
        let tree = crate::lang::python::tree::SyntaxTree::from_tree_sitter(&crate::lang::python::parse(src));
        let m = Model::build(src, &tree);
        let root = tree.root_node();
        assert!(m.name_id("items").is_some() && m.name_id("nothing").is_none());
        let class = find(root, src, "class_definition", &src[..src.len() - 1]);
        let class_scope = m.scope_of_node(class).unwrap();
        assert_eq!(m.scope(class_scope).kind, ScopeKind::Class);
        assert_eq!(m.scope_node(root, class_scope).id(), class.id());
        let method = m.enclosing_scope(find(root, src, "return_statement", "return [a for a in items if a]"));
        assert_eq!(m.scope(method).kind, ScopeKind::Function);
        // A default runs in the class body; the first iterable in the method.
        assert_eq!(m.enclosing_scope(find(root, src, "identifier", "dflt")), class_scope);
        assert_eq!(m.enclosing_scope(find(root, src, "identifier", "items")), method);
        let self_binding = m.bindings_of(method, m.name_id("self").unwrap())[0];
        assert_eq!(m.binding_node(root, self_binding).map(|n| &src[n.byte_range()]), Some("self"));
    }

    #[test]
    fn reference_at_finds_the_reads_out_of_source_order() {
        // Conditional expressions put their test before their branches.
        let src = "a = b if c else d\nx = (p if (q if r else s) else t) + [u for u in v if w]\nprint(a, x.y)\n";
        let tree = crate::lang::python::tree::SyntaxTree::from_tree_sitter(&crate::lang::python::parse(src));
        let m = Model::build(src, &tree);
        assert!(m.references.windows(2).any(|w| w[0].start > w[1].start));
        for r in &m.references {
            assert!(std::ptr::eq(m.reference_at(r.start).unwrap(), r));
        }
        assert!(m.reference_at(src.find("y)").unwrap() as u32).is_none());
        assert!(m.reference_at(0).is_none());
    }
}

#[cfg(test)]
mod reuse_tests {
    use super::*;

    fn model(src: &str) -> (crate::lang::python::tree::SyntaxTree, Model) {
        let tree = crate::lang::python::tree::SyntaxTree::from_tree_sitter(&crate::lang::python::parse(src));
        let m = Model::build(src, &tree);
        (tree, m)
    }

    /// The model of `new` made from `old`'s (both after a docstring long enough for units
    /// to be recorded), compared with a fresh one; whether it was made so.
    fn made_from_the_last(old: &str, new: &str) -> bool {
        let pad = format!("\"\"\"{}\"\"\"\n", "words ".repeat(REUSE_FROM_BYTES / 6));
        let (old, new) = (format!("{pad}{old}"), format!("{pad}{new}"));
        let (_, last) = model(&old);
        assert!(!last.units.is_empty());
        let (tree, fresh) = model(&new);
        match Model::build_reusing(&new, &tree, last) {
            Some(made) => {
                let difference = made.first_difference(&fresh).map(|d| d.chars().take(600).collect::<String>());
                assert_eq!(difference, None, "{}", &new[new.len().min(REUSE_FROM_BYTES)..]);
                // And again from the model made so.
                let (_, again) = model(&old);
                let twice = Model::build_reusing(&new, &tree, Model::build_reusing(&old, &model(&old).0, again).expect("the same text"));
                assert_eq!(twice.and_then(|m| m.first_difference(&fresh)), None);
                true
            }
            None => false,
        }
    }

    const CLASS: &str = "import os\n\n\nclass Box(Base):\n    \"\"\"A box.\"\"\"\n\n    size = 3\n\n    def __init__(self, items):\n        self.items = [i for i in items]\n        self.n = len(items)\n\n    # Reading.\n\n    def first(self):\n        for item in self.items:\n            return item\n        return None\n\n    def last(self, default=None):\n        return self.items[-1] if self.items else default\n\n\ndef main(argv):\n    box = Box(argv)\n    total = sum(x * 2 for x in argv)\n    print(box.first(), total)\n\n\nif __name__ == '__main__':\n    main(os.sys.argv)\n";

    fn without(text: &str, lines: &[&str]) -> String {
        let mut out = text.to_string();
        for line in lines {
            let at = out.find(line).unwrap_or_else(|| panic!("{line:?}"));
            out.replace_range(at..at + line.len(), "");
        }
        out
    }

    #[test]
    fn lines_taken_out_of_units_give_the_fresh_model() {
        let cases: &[&[&str]] = &[
            // A method's body, a function's, a module-level block's.
            &["        self.n = len(items)\n"],
            &["        for item in self.items:\n            return item\n"],
            &["    total = sum(x * 2 for x in argv)\n"],
            &["    box = Box(argv)\n", "        self.n = len(items)\n"],
            // Methods taken out: in the middle, first of the class, last of the class.
            &["    def first(self):\n        for item in self.items:\n            return item\n        return None\n"],
            &["    \"\"\"A box.\"\"\"\n"],
            &["    def last(self, default=None):\n        return self.items[-1] if self.items else default\n"],
            // A module-level statement, and blank and comment lines between units.
            &["import os\n"],
            &["    # Reading.\n\n"],
        ];
        for lines in cases {
            assert!(made_from_the_last(CLASS, &without(CLASS, lines)), "{lines:?}");
        }
        assert!(made_from_the_last(CLASS, &CLASS.replace("default\n\n\ndef main", "default\ndef main")));
    }

    #[test]
    fn changes_outside_units_make_a_fresh_model() {
        // A class's header, and a `global` directly in the module.
        assert!(!made_from_the_last(CLASS, &CLASS.replace("class Box(Base):", "class Box:")));
        let global = format!("global box\n{CLASS}");
        assert!(!made_from_the_last(&global, &without(&global, &["        self.n = len(items)\n"])));
        // A unit that adds a scope moves the scopes after it (their symbols are numbered again).
        assert!(made_from_the_last(CLASS, &CLASS.replace("self.n = len(items)", "self.n = len([j for j in items])")));
    }
}
