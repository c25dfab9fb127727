//! Name resolution messages: undefined-variable (E0602), used-before-assignment (E0601)
//! and possibly-used-before-assignment (E0606).
//!
//! Every read is resolved under Python's scoping by the model. Reads that resolve to a
//! binding are then judged the way pylint's variables checker does (its "consumer"
//! filters: bindings in other except handlers, under if tests that do not cover every
//! branch, in try bodies seen from handlers/finally; then its line-order test), including
//! its habit of checking only the first read of a name per scope. On top of that, a read
//! that no binding can reach at run time (`x += 1` with `x` unbound, a local read before
//! any assignment in a loop) is reported too: such programs crash with NameError /
//! UnboundLocalError, and pylint misses some of them.

use foldhash::{HashMap, HashSet};

use super::Context;
use crate::lang::python::model::{
    BindingId, BindingKind, CtlId, CtlKind, Model, NameId, RefContext, Reference, ScopeId, ScopeKind, MODULE_SCOPE,
};
use crate::lang::{CheckInfo, Diagnostic};

pub const INFOS: &[CheckInfo] = &[
    CheckInfo { code: "E0602", name: "undefined-variable", summary: "a name read that no enclosing scope (nor builtins) binds" },
    CheckInfo { code: "E0601", name: "used-before-assignment", summary: "a name read before any assignment can reach it" },
    CheckInfo {
        code: "E0606",
        name: "possibly-used-before-assignment",
        summary: "a name read that is only bound in some branches of an earlier if",
    },
];

/// Python 3.11 builtins, sorted (looked up by binary search).
const BUILTINS: &[&str] = &[
    "ArithmeticError", "AssertionError", "AttributeError", "BaseException", "BaseExceptionGroup", "BlockingIOError",
    "BrokenPipeError", "BufferError", "BytesWarning", "ChildProcessError", "ConnectionAbortedError", "ConnectionError",
    "ConnectionRefusedError", "ConnectionResetError", "DeprecationWarning", "EOFError", "Ellipsis", "EncodingWarning",
    "EnvironmentError", "Exception", "ExceptionGroup", "False", "FileExistsError", "FileNotFoundError",
    "FloatingPointError", "FutureWarning", "GeneratorExit", "IOError", "ImportError", "ImportWarning",
    "IndentationError", "IndexError", "InterruptedError", "IsADirectoryError", "KeyError", "KeyboardInterrupt",
    "LookupError", "MemoryError", "ModuleNotFoundError", "NameError", "None", "NotADirectoryError", "NotImplemented",
    "NotImplementedError", "OSError", "OverflowError", "PendingDeprecationWarning", "PermissionError",
    "ProcessLookupError", "RecursionError", "ReferenceError", "ResourceWarning", "RuntimeError", "RuntimeWarning",
    "StopAsyncIteration", "StopIteration", "SyntaxError", "SyntaxWarning", "SystemError", "SystemExit", "TabError",
    "TimeoutError", "True", "TypeError", "UnboundLocalError", "UnicodeDecodeError", "UnicodeEncodeError",
    "UnicodeError", "UnicodeTranslateError", "UnicodeWarning", "UserWarning", "ValueError", "Warning",
    "ZeroDivisionError", "__build_class__", "__debug__", "__doc__", "__import__", "__loader__", "__name__",
    "__package__", "__spec__", "abs", "aiter", "all", "anext", "any", "ascii", "bin", "bool", "breakpoint",
    "bytearray", "bytes", "callable", "chr", "classmethod", "compile", "complex", "copyright", "credits", "delattr",
    "dict", "dir", "divmod", "enumerate", "eval", "exec", "exit", "filter", "float", "format", "frozenset",
    "getattr", "globals", "hasattr", "hash", "help", "hex", "id", "input", "int", "isinstance", "issubclass", "iter",
    "len", "license", "list", "locals", "map", "max", "memoryview", "min", "next", "object", "oct", "open", "ord",
    "pow", "print", "property", "quit", "range", "repr", "reversed", "round", "set", "setattr", "slice", "sorted",
    "staticmethod", "str", "sum", "super", "tuple", "type", "vars", "zip",
];

/// The module attributes pylint treats as always defined: its SPECIAL_BUILTINS and
/// astroid's Module.scope_attrs (not `__path__`: only a package's `__init__` has it; a
/// program read as a module raises NameError).
const MODULE_ATTRIBUTES: &[&str] = &["__builtins__", "__file__"];

pub fn is_builtin(name: &str) -> bool {
    BUILTINS.binary_search(&name).is_ok() || MODULE_ATTRIBUTES.contains(&name)
}

pub fn run(ctx: &Context, out: &mut Vec<Diagnostic>) {
    run_with(ctx, None, &[], false, out);
}

/// A read that settled a module name for every later read (pylint's first read of a
/// name per scope): where it starts, and a hash of the name ([`name_key`]).
pub type ModuleRead = (u32, u64);

/// The hash of a name in [`ModuleRead`]: fixed, so that two programs' reads compare.
pub fn name_key(name: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x6e61_6d65).hash_one(name)
}

/// [`run`] on the reads that start in the byte range `within` only (all for `None`),
/// as if the module names `consumed` had been read before them (the state a whole run
/// has there, when the reads outside `within` settle nothing else that the reads inside
/// look at: true of the reads of one def's body, which look at their own scopes and the
/// module's). Returns the reads that settled module names, in order.
pub fn run_recording(ctx: &Context, within: Option<(u32, u32)>, consumed: &[NameId], out: &mut Vec<Diagnostic>) -> Vec<ModuleRead> {
    run_with(ctx, within, consumed, true, out)
}

fn run_with(ctx: &Context, within: Option<(u32, u32)>, consumed: &[NameId], record: bool, out: &mut Vec<Diagnostic>) -> Vec<ModuleRead> {
    let m = ctx.model;
    let mut checker = Checker {
        m,
        consumed: consumed.iter().map(|&n| consumed_key(MODULE_SCOPE, n)).collect(),
        builtin_cache: Vec::new(),
        global_mode: false,
        reads_by_name: None,
        never_bound: HashMap::default(),
        found: Vec::new(),
        module_reads: Vec::new(),
        record,
    };
    for r in &m.references {
        if within.is_some_and(|(start, end)| !(start..end).contains(&r.start)) {
            continue;
        }
        if let Some((code, message)) = checker.check(r) {
            out.push(Diagnostic::new(r.line as usize, r.column as usize, code, message));
        }
    }
    checker.module_reads
}

/// A scope and a name in one word (cheaper to hash than the pair).
fn consumed_key(s: ScopeId, n: NameId) -> u64 {
    (s.0 as u64) << 32 | n.0 as u64
}

enum Outcome {
    /// The read is fine; whether the name is now "consumed" in the scope.
    Found { consume: bool },
    /// Look further out; whether to consume here first.
    Continue { consume: bool },
    Report { code: &'static str, consume: bool },
}

struct Checker<'m> {
    m: &'m Model,
    /// The (scope, name) pairs consumed, by [`consumed_key`].
    consumed: HashSet<u64>,
    builtin_cache: Vec<Option<bool>>,
    /// Judging a `global` name against its function's own assignments.
    global_mode: bool,
    /// The references by frame (`Model::frame_of` their scope) and name, built on first
    /// use: those of frame `f` are `reads[from[f]..from[f + 1]]`, as `name << 32 | index`
    /// in ascending order (a counting sort and small sorts, where a map of lists cost an
    /// allocation per name).
    reads_by_name: Option<(Vec<u32>, Vec<u64>)>,
    never_bound: HashMap<(ScopeId, NameId), bool>,
    /// The bindings [`Checker::consumer_with`] filters, kept for its room.
    found: Vec<BindingId>,
    /// The reads that consumed a module name (see [`run_recording`]), noted when
    /// `record` is set.
    module_reads: Vec<ModuleRead>,
    record: bool,
}

impl<'m> Checker<'m> {
    fn builtin(&mut self, name: NameId) -> bool {
        let i = name.index();
        if self.builtin_cache.len() <= i {
            self.builtin_cache.resize(i + 1, None);
        }
        *self.builtin_cache[i].get_or_insert_with(|| is_builtin(self.m.name(name)))
    }

    fn check(&mut self, r: &Reference) -> Option<(&'static str, String)> {
        let m = self.m;
        let n = r.name;
        let mut current = Some(r.scope);
        let mut first = true;
        let mut pylint_verdict: Option<(&'static str, String)> = None;
        let mut resolved: Option<ScopeId> = None;
        // What `Model::resolve` answers (Python's lookup), found on the same walk: the
        // first scope the walk does not skip, or the module for a `global` name.
        let mut local: Option<Option<ScopeId>> = None;
        while let Some(s) = current {
            let sc = m.scope(s);
            if m.is_declared_global(s, n) {
                let bound = m.is_bound_in(MODULE_SCOPE, n);
                local.get_or_insert(bound.then_some(MODULE_SCOPE));
                if bound {
                    resolved = Some(MODULE_SCOPE);
                    if let Some(verdict) = self.global_in_function(r, s) {
                        return Some(verdict);
                    }
                }
                break;
            }
            let skip = (sc.kind == ScopeKind::Class && !first) || m.is_declared_nonlocal(s, n) || !m.is_bound_in(s, n);
            if !skip {
                local.get_or_insert(Some(s));
                if self.consumed.contains(&consumed_key(s, n)) {
                    // pylint checks only the first read of a name per scope; so do we.
                    return None;
                }
                match self.consumer(r, s) {
                    Outcome::Found { consume } => {
                        if consume {
                            self.consume(s, r);
                        }
                        resolved = Some(s);
                        break;
                    }
                    Outcome::Continue { consume } => {
                        if consume {
                            self.consume(s, r);
                        }
                    }
                    Outcome::Report { code, consume } => {
                        if consume {
                            self.consume(s, r);
                        }
                        resolved = Some(s);
                        pylint_verdict = Some((code, self.message(code, n)));
                        break;
                    }
                }
            }
            first = false;
            current = sc.parent;
        }
        if pylint_verdict.is_some() {
            return pylint_verdict;
        }
        // pylint may look past a local (`x += 1`, `x = x`); Python does not.
        let local = local.flatten();
        let scope = match (resolved, local) {
            (None, None) => return self.unresolved(r),
            (None, Some(local)) => match self.unresolved(r) {
                Some(verdict) => return Some(verdict),
                None => local,
            },
            (Some(outer), local) => local.unwrap_or(outer),
        };
        self.runtime_unbound(r, scope).map(|code| (code, self.message(code, n)))
    }

    /// Marks `r`'s name consumed in scope `s`, noting the read when `s` is the module.
    fn consume(&mut self, s: ScopeId, r: &Reference) {
        if self.consumed.insert(consumed_key(s, r.name)) && self.record && s == MODULE_SCOPE {
            self.module_reads.push((r.start, name_key(self.m.name(r.name))));
        }
    }

    fn message(&self, code: &str, n: NameId) -> String {
        let name = self.m.name(n);
        match code {
            "E0602" => format!("Undefined variable '{name}'"),
            "E0606" => format!("Possibly using variable '{name}' before assignment"),
            _ => format!("Using variable '{name}' before assignment"),
        }
    }

    fn unresolved(&mut self, r: &Reference) -> Option<(&'static str, String)> {
        let m = self.m;
        if m.scope(MODULE_SCOPE).star_import || self.builtin(r.name) || r.guarded_name_error {
            return None;
        }
        if m.name(r.name) == "__class__" && self.in_method(r.scope) {
            return None;
        }
        Some(("E0602", self.message("E0602", r.name)))
    }

    fn in_method(&self, mut scope: ScopeId) -> bool {
        loop {
            let sc = self.m.scope(scope);
            if sc.kind == ScopeKind::Function && sc.is_method {
                return true;
            }
            match sc.parent {
                Some(p) => scope = p,
                None => return false,
            }
        }
    }

    /// The function, class or module whose statement holds the read (pylint's `frame`):
    /// comprehensions and lambdas are transparent.
    fn statement_frame(&self, mut scope: ScopeId) -> ScopeId {
        loop {
            let sc = self.m.scope(scope);
            if !matches!(sc.kind, ScopeKind::Comprehension | ScopeKind::Lambda) {
                return scope;
            }
            match sc.parent {
                Some(p) => scope = p,
                None => return scope,
            }
        }
    }

    /// A read of a name declared `global` in function `f`: when the module itself never
    /// binds it (only functions do), pylint judges the read against the function's own
    /// assignments, as if they were locals.
    fn global_in_function(&mut self, r: &Reference, f: ScopeId) -> Option<(&'static str, String)> {
        let m = self.m;
        let n = r.name;
        let fsc = m.scope(f);
        if fsc.kind == ScopeKind::Module || self.consumed.contains(&consumed_key(f, n)) {
            return None;
        }
        let all = m.bindings_of(MODULE_SCOPE, n);
        let at_module_level = all.iter().any(|b| {
            let start = m.binding(*b).start;
            !m.scopes.iter().any(|sc| matches!(sc.kind, ScopeKind::Function | ScopeKind::Lambda) && sc.start <= start && start < sc.end)
        });
        if at_module_level {
            return None;
        }
        let own: Vec<BindingId> = all.iter().copied().filter(|b| fsc.start <= m.binding(*b).start && m.binding(*b).start < fsc.end).collect();
        if own.is_empty() {
            return None;
        }
        self.global_mode = true;
        let outcome = self.consumer_with(r, f, &own);
        self.global_mode = false;
        match outcome {
            Outcome::Report { code, consume } => {
                if consume {
                    self.consumed.insert(consumed_key(f, n));
                }
                Some((code, self.message(code, n)))
            }
            Outcome::Found { consume } | Outcome::Continue { consume } => {
                if consume {
                    self.consumed.insert(consumed_key(f, n));
                }
                None
            }
        }
    }

    /// pylint's `NamesConsumer` step for the scope `s` that binds the name.
    fn consumer(&mut self, r: &Reference, s: ScopeId) -> Outcome {
        let m = self.m;
        self.consumer_with(r, s, m.bindings_of(s, r.name))
    }

    /// The consumer step with the bindings `all` (copied into a list kept from call to
    /// call, as every read that gets here filters them).
    fn consumer_with(&mut self, r: &Reference, s: ScopeId, all: &[BindingId]) -> Outcome {
        let mut found = std::mem::take(&mut self.found);
        found.clear();
        found.extend_from_slice(all);
        let outcome = self.consume_filtered(r, s, all, &mut found);
        self.found = found;
        outcome
    }

    fn consume_filtered(&mut self, r: &Reference, s: ScopeId, all: &[BindingId], found: &mut Vec<BindingId>) -> Outcome {
        let m = self.m;
        let n = r.name;
        // `x = x`: the name is defined by this very statement; look further out.
        if let (Some(stmt), Some(b0)) = (r.assign_value_of, found.first()) {
            let b0 = m.binding(*b0);
            if b0.stmt_start == stmt && b0.simple_target && b0.kind == BindingKind::Assignment {
                return Outcome::Continue { consume: false };
            }
        }
        if let Some(stmt) = r.for_iter_of {
            let before = found.len();
            found.retain(|b| !(m.binding(*b).kind == BindingKind::ForTarget && m.binding(*b).stmt_start == stmt));
            if found.is_empty() && before > 0 {
                return Outcome::Continue { consume: false };
            }
        }
        let in_comprehension = m.scope(r.scope).kind == ScopeKind::Comprehension;
        let mut uncertain = 0usize;
        let mut one_branch = false;
        if !in_comprehension && !m.is_declared_nonlocal(self.statement_frame(r.scope), n) {
            // Bindings by other except handlers' `as` names.
            found.retain(|b| {
                let b = m.binding(*b);
                !(b.kind == BindingKind::ExceptHandler && b.ctl.is_some_and(|c| !m.ctl(c).contains(r.start)))
            });
            // The filters below all keep a binding outside any control construct.
            if found.iter().any(|b| m.binding(*b).ctl.is_some()) {
                let before = found.len();
                found.retain(|b| match self.uncertain_under_if(*b, r) {
                    None => true,
                    Some(xor) => {
                        one_branch |= xor;
                        false
                    }
                });
                uncertain += before - found.len();
                let before = found.len();
                found.retain(|b| !self.uncertain_in_except_block(*b, r));
                found.retain(|b| !self.uncertain_in_try_seen_from_finally(*b, r));
                found.retain(|b| !self.uncertain_in_try_seen_from_handler(*b, r));
                uncertain += before - found.len();
            }
        }
        if found.is_empty() {
            let skip = self.builtin(n)
                || (r.in_annotation && (m.postponed_annotations || m.scope(self.statement_frame(r.scope)).kind != ScopeKind::Module));
            let consume = uncertain > 0;
            if skip {
                return Outcome::Found { consume };
            }
            let code = if one_branch { "E0606" } else { "E0601" };
            return Outcome::Report { code, consume };
        }
        let b0_id = found[0];
        let b0 = m.binding(b0_id);
        let frame = self.statement_frame(r.scope);
        let base_is_lambda = m.scope(r.scope).kind == ScopeKind::Lambda;
        let mut maybe_before = true;
        let mut use_outer = false;
        if frame != s {
            maybe_before = false;
        } else if s == MODULE_SCOPE {
            if self.builtin(n) {
                maybe_before = false;
            }
        } else {
            let frame_kind = m.scope(frame).kind;
            let forbid_lookup = (frame_kind == ScopeKind::Function || base_is_lambda) && self.assigned_locally(r);
            if !forbid_lookup && !self.global_mode && (m.is_bound_in(MODULE_SCOPE, n) || self.builtin(n)) {
                maybe_before = false;
                use_outer = r.stmt_start == b0.stmt_start;
            }
        }
        if maybe_before {
            maybe_before = r.stmt_line <= b0.stmt_line;
            if maybe_before && r.stmt_line == b0.stmt_line {
                let s_kind = m.scope(s).kind;
                if s_kind.is_function_like() && r.stmt_start != b0.stmt_start {
                    maybe_before = false;
                } else if b0.kind == BindingKind::NamedExpr && r.stmt_start == b0.stmt_start && b0.start < r.start {
                    maybe_before = r.start < b0.effective;
                } else if b0.kind == BindingKind::MatchCapture && r.stmt_start == b0.stmt_start && b0.effective <= r.start {
                    // A case guard (or body) reading the case's own captures.
                    maybe_before = false;
                }
            }
        }
        if use_outer {
            return Outcome::Continue { consume: false };
        }
        if maybe_before && !self.is_defined_before(r, s, all) && !self.exclusive(r, b0_id) {
            let defined_by_stmt = r.stmt_start == b0.stmt_start && matches!(r.ctx, RefContext::Del | RefContext::AugStore);
            if defined_by_stmt || b0.kind == BindingKind::Deletion {
                if !r.guarded_name_error {
                    return Outcome::Continue { consume: defined_by_stmt };
                }
            } else if !base_is_lambda {
                let postponed = r.in_annotation && (m.postponed_annotations || m.scope(frame).kind != ScopeKind::Module);
                if !postponed {
                    return Outcome::Report { code: "E0601", consume: true };
                }
            }
        } else if b0.kind == BindingKind::Annotation && !self.builtin(n) && frame == s && self.only_annotated_before(r, s) {
            return Outcome::Report { code: "E0601", consume: true };
        }
        Outcome::Found { consume: true }
    }

    fn only_annotated_before(&self, r: &Reference, s: ScopeId) -> bool {
        let m = self.m;
        m.bindings_of(s, r.name).iter().map(|b| m.binding(*b)).filter(|b| b.line <= r.line).all(|b| b.kind == BindingKind::Annotation)
    }

    /// pylint's `_assigned_locally`: the read's own scope (nested scopes included) holds
    /// an assignment-like binding or an import of the name.
    fn assigned_locally(&self, r: &Reference) -> bool {
        let m = self.m;
        let sc = m.scope(r.scope);
        let counts = |b: &BindingId| {
            let b = m.binding(*b);
            b.kind != BindingKind::FunctionDef
                && b.kind != BindingKind::ClassDef
                && b.kind != BindingKind::Deletion
                && sc.start <= b.start
                && b.start < sc.end
                && (b.scope == r.scope || m.scope(b.scope).start >= sc.start)
                && (r.scope != MODULE_SCOPE || b.scope == MODULE_SCOPE)
        };
        // The scope's own bindings first: they nearly always settle it (a method's `self`),
        // where the name's bindings everywhere are many (every method's `self`).
        m.bindings_of(r.scope, r.name).iter().any(counts) || m.bindings_named(r.name).iter().any(counts)
    }

    // ---- pylint's filters ---------------------------------------------------------------

    /// For an `If` ctl and a position inside it, the index of the last `if`/`elif`
    /// (astroid's nested `If`) that contains the position.
    fn if_position(&self, if_ctl: CtlId, pos: u32) -> Option<usize> {
        let m = self.m;
        let ctl = m.ctl(if_ctl);
        if !ctl.contains(pos) {
            return None;
        }
        let branches = m.ctl_children(if_ctl);
        let mut last_elif = 0;
        for (i, br) in branches.iter().enumerate() {
            let b = m.ctl(*br);
            let is_else = matches!(b.kind, CtlKind::IfBranch { is_else: true, .. });
            if !is_else {
                last_elif = i;
            }
            if b.contains(pos) {
                return Some(if is_else { last_elif } else { i });
            }
        }
        Some(0)
    }

    /// A binding under `if` tests that do not contain the read: uncertain unless the
    /// outermost such `if` defines the name (or leaves) on every branch. Returns
    /// `Some(one_branch_only)` when uncertain.
    fn uncertain_under_if(&self, b: BindingId, r: &Reference) -> Option<bool> {
        let m = self.m;
        let binding = m.binding(b);
        if !binding.kind.binds_value() && binding.kind != BindingKind::Deletion {
            return None;
        }
        let mut outer: Option<(CtlId, usize)> = None;
        for c in m.ctl_chain(binding.ctl) {
            let ctl = m.ctl(c);
            if ctl.kind != CtlKind::If {
                continue;
            }
            let branches = m.ctl_children(c);
            // Which astroid If's contain the binding: 0..=kb.
            let Some(kb) = self.if_position(c, binding.start) else { continue };
            let start = match self.if_position(c, r.start) {
                None => 0,
                Some(rp) => rp + 1,
            };
            if start <= kb && start < branches.len().max(1) {
                outer = Some((c, start));
            }
        }
        let (if_ctl, start) = outer?;
        if self.guarded_by_same_test(r, if_ctl, start) {
            return None;
        }
        let (body, orelse) = self.if_handles(if_ctl, start, binding.name);
        if body && orelse {
            return None;
        }
        Some(body ^ orelse)
    }

    fn test_text(&self, if_ctl: CtlId, start: usize) -> &str {
        let m = self.m;
        let test = if start == 0 { m.ctl(if_ctl).test } else { m.ctl_children(if_ctl).get(start).and_then(|c| m.ctl(*c).test) };
        test.map(|(s, e)| m.text(s, e)).unwrap_or("")
    }

    fn guarded_by_same_test(&self, r: &Reference, if_ctl: CtlId, start: usize) -> bool {
        let m = self.m;
        let text = self.test_text(if_ctl, start);
        if text.is_empty() {
            return false;
        }
        for c in m.ctl_chain(r.ctl) {
            if m.ctl(c).kind != CtlKind::If {
                continue;
            }
            let Some(rp) = self.if_position(c, r.start) else { continue };
            for j in 0..=rp {
                if self.test_text(c, j) == text {
                    return true;
                }
            }
        }
        false
    }

    /// (body handles, orelse handles) for the astroid `If` that starts at branch `start`.
    fn if_handles(&self, if_ctl: CtlId, start: usize, n: NameId) -> (bool, bool) {
        let m = self.m;
        let branches = m.ctl_children(if_ctl);
        if m.ctl(if_ctl).has_break_or_continue || self.walrus_inside(if_ctl, start, n) {
            return (true, true);
        }
        let Some(first) = branches.get(start) else { return (false, false) };
        let body = self.branch_handles(*first, n);
        let orelse = match branches.get(start + 1) {
            None => false,
            Some(next) => match m.ctl(*next).kind {
                CtlKind::IfBranch { is_else: true, .. } => self.branch_handles(*next, n),
                _ => {
                    let (b, o) = self.if_handles(if_ctl, start + 1, n);
                    b && o
                }
            },
        };
        (body, orelse)
    }

    fn walrus_inside(&self, if_ctl: CtlId, start: usize, n: NameId) -> bool {
        let m = self.m;
        let ctl = m.ctl(if_ctl);
        let from = if start == 0 { ctl.start } else { m.ctl_children(if_ctl).get(start).map(|c| m.ctl(*c).start).unwrap_or(ctl.end) };
        m.bindings_named(n).iter().map(|b| m.binding(*b)).any(|b| b.kind == BindingKind::NamedExpr && from <= b.start && b.start < ctl.end)
    }

    /// pylint's `_branch_handles_name`.
    fn branch_handles(&self, branch: CtlId, n: NameId) -> bool {
        let m = self.m;
        let ctl = m.ctl(branch);
        if ctl.terminates || self.defines_directly(branch, n) {
            return true;
        }
        m.ctl_children(branch).iter().any(|child| self.compound_handles(*child, n))
    }

    fn defines_directly(&self, ctl: CtlId, n: NameId) -> bool {
        let m = self.m;
        let frame = m.ctl(ctl).frame;
        let frame = if m.scope(frame).kind == ScopeKind::Comprehension { m.frame_of(frame) } else { frame };
        m.bindings_of(frame, n).iter().any(|b| {
            let b = m.binding(*b);
            b.ctl == Some(ctl) && b.kind.defines_in_branch()
        }) || (frame != MODULE_SCOPE
            && m.bindings_of(MODULE_SCOPE, n).iter().any(|b| {
                let b = m.binding(*b);
                b.ctl == Some(ctl) && b.kind.defines_in_branch()
            }))
    }

    /// pylint's `_inferred_to_define_name_raise_or_return` for a compound statement.
    fn compound_handles(&self, ctl_id: CtlId, n: NameId) -> bool {
        let m = self.m;
        let ctl = m.ctl(ctl_id);
        match ctl.kind {
            CtlKind::If => {
                let (b, o) = self.if_handles(ctl_id, 0, n);
                b && o
            }
            CtlKind::Try => {
                let children = m.ctl_children(ctl_id);
                let has_finally = children.iter().any(|c| m.ctl(*c).kind == CtlKind::Finally);
                let direct = children.iter().any(|c| {
                    let k = m.ctl(*c).kind;
                    (k != CtlKind::Handler || !has_finally) && self.shallow_handles(*c, n)
                });
                let handlers: Vec<CtlId> = children.iter().copied().filter(|c| m.ctl(*c).kind == CtlKind::Handler).collect();
                direct || handlers.iter().all(|h| self.shallow_handles(*h, n))
            }
            CtlKind::Loop { .. } | CtlKind::With => {
                self.defines_directly(ctl_id, n) || m.ctl_children(ctl_id).iter().any(|c| self.shallow_handles(*c, n))
            }
            CtlKind::Match => m.ctl_children(ctl_id).iter().all(|c| self.shallow_handles(*c, n)),
            _ => false,
        }
    }

    /// pylint's `_defines_name_raises_or_returns_recursive` on a body: a direct statement
    /// defines/leaves, or an `if`/`with` just below does.
    fn shallow_handles(&self, branch: CtlId, n: NameId) -> bool {
        let m = self.m;
        let ctl = m.ctl(branch);
        if ctl.terminates || self.defines_directly(branch, n) {
            return true;
        }
        m.ctl_children(branch).iter().any(|c| {
            let child = m.ctl(*c);
            match child.kind {
                CtlKind::If | CtlKind::With => {
                    self.defines_directly(*c, n)
                        || m.ctl_children(*c).iter().any(|g| m.ctl(*g).terminates || self.defines_directly(*g, n))
                }
                CtlKind::Try => {
                    let children = m.ctl_children(*c);
                    !children.iter().any(|g| m.ctl(*g).kind == CtlKind::Finally) && children.iter().any(|g| self.shallow_handles(*g, n))
                }
                CtlKind::Match => m.ctl_children(*c).iter().all(|g| self.shallow_handles(*g, n)),
                _ => false,
            }
        })
    }

    /// The first `Try` around a ctl chain and the part (body/handler/else/finally) the
    /// chain goes through.
    fn closest_try(&self, ctl: Option<CtlId>) -> Option<(CtlId, CtlId)> {
        let m = self.m;
        for c in m.ctl_chain(ctl) {
            let k = m.ctl(c).kind;
            if matches!(k, CtlKind::TryBody | CtlKind::Handler | CtlKind::TryElse | CtlKind::Finally) {
                return m.ctl(c).parent.map(|t| (t, c));
            }
        }
        None
    }

    fn closest_handler(&self, ctl: Option<CtlId>) -> Option<CtlId> {
        self.m.ctl_chain(ctl).find(|c| self.m.ctl(*c).kind == CtlKind::Handler)
    }

    fn try_part(&self, try_ctl: CtlId, kind: CtlKind) -> Option<CtlId> {
        self.m.ctl_children(try_ctl).iter().copied().find(|c| self.m.ctl(*c).kind == kind)
    }

    /// `_uncertain_nodes_in_except_blocks`.
    fn uncertain_in_except_block(&self, b: BindingId, r: &Reference) -> bool {
        let m = self.m;
        let binding = m.binding(b);
        let Some(handler) = self.closest_handler(binding.ctl) else { return false };
        if binding.kind == BindingKind::ExceptHandler && binding.ctl == Some(handler) {
            // The `as` name's statement is the handler itself; filtered earlier.
            if m.ctl(handler).contains(r.start) {
                return false;
            }
        }
        if m.ctl(handler).contains(r.start) {
            return false;
        }
        let Some(try_ctl) = m.ctl(handler).parent else { return false };
        let body_returns = self.try_part(try_ctl, CtlKind::TryBody).is_some_and(|c| m.ctl(c).returns);
        let else_part = self.try_part(try_ctl, CtlKind::TryElse);
        let else_returns = else_part.is_some_and(|c| m.ctl(c).returns);
        let else_exits = else_part.is_some_and(|c| m.ctl(c).exits);
        if body_returns || else_returns || else_exits {
            let in_finally = self.try_part(try_ctl, CtlKind::Finally).is_some_and(|c| m.ctl(c).contains(r.start));
            let in_else = else_part.is_some_and(|c| m.ctl(c).contains(r.start));
            if in_finally || in_else {
                return true;
            }
            let handlers = m.ctl_children(try_ctl).iter().filter(|c| m.ctl(**c).kind == CtlKind::Handler);
            if handlers.clone().all(|h| self.shallow_handles(*h, binding.name) || self.handler_binds(*h, binding.name)) {
                return false;
            }
        }
        true
    }

    fn handler_binds(&self, handler: CtlId, n: NameId) -> bool {
        let m = self.m;
        m.bindings_named(n).iter().map(|b| m.binding(*b)).any(|b| b.kind == BindingKind::ExceptHandler && b.ctl == Some(handler))
    }

    /// `_uncertain_nodes_in_try_blocks_when_evaluating_finally_blocks`.
    fn uncertain_in_try_seen_from_finally(&self, b: BindingId, r: &Reference) -> bool {
        let m = self.m;
        let Some((r_try, r_part)) = self.closest_try(r.ctl) else { return false };
        if m.ctl(r_part).kind != CtlKind::Finally {
            return false;
        }
        let binding = m.binding(b);
        let Some((b_try, b_part)) = self.closest_try(binding.ctl) else { return false };
        if m.ctl(b_part).kind != CtlKind::TryBody {
            return false;
        }
        if b_try != r_try {
            let Some(fin) = self.try_part(b_try, CtlKind::Finally) else { return false };
            if !m.ctl(fin).contains(m.ctl(r_try).start) {
                return false;
            }
        }
        let handlers: Vec<CtlId> = m.ctl_children(b_try).iter().copied().filter(|c| m.ctl(*c).kind == CtlKind::Handler).collect();
        if !handlers.is_empty() && handlers.iter().all(|h| self.shallow_handles(*h, binding.name) || self.handler_binds(*h, binding.name)) {
            return false;
        }
        true
    }

    /// `_uncertain_nodes_in_try_blocks_when_evaluating_except_blocks`.
    fn uncertain_in_try_seen_from_handler(&self, b: BindingId, r: &Reference) -> bool {
        let m = self.m;
        let Some(r_handler) = self.closest_handler(r.ctl) else { return false };
        let binding = m.binding(b);
        if binding.kind == BindingKind::ExceptHandler && binding.ctl == Some(r_handler) {
            return false;
        }
        let Some((b_try, b_part)) = self.closest_try(binding.ctl) else { return false };
        if m.ctl(b_part).kind != CtlKind::TryBody {
            return false;
        }
        m.ctl_children(b_try).iter().any(|h| m.ctl(*h).kind == CtlKind::Handler && m.ctl(*h).contains(m.ctl(r_handler).start))
    }

    /// pylint's `utils.is_defined_before`.
    fn is_defined_before(&self, r: &Reference, s: ScopeId, bindings: &[BindingId]) -> bool {
        let m = self.m;
        let function_like = m.scope(s).kind.is_function_like();
        for c in m.ctl_chain(r.ctl) {
            let ctl = m.ctl(c);
            let defnode = match ctl.kind {
                CtlKind::If => {
                    let Some(rp) = self.if_position(c, r.start) else { continue };
                    let branches = m.ctl_children(c);
                    bindings.iter().map(|b| m.binding(*b)).find(|b| {
                        b.kind == BindingKind::Assignment
                            && b.simple_target
                            && b.ctl.is_some_and(|bc| {
                                branches.iter().take(rp + 1).any(|br| *br == bc && !matches!(m.ctl(*br).kind, CtlKind::IfBranch { is_else: true, .. }))
                            })
                    })
                }
                CtlKind::Loop { is_while: false } => bindings.iter().map(|b| m.binding(*b)).find(|b| {
                    b.kind.is_assign_name() && b.kind != BindingKind::Annotation && ctl.contains(b.start)
                }),
                CtlKind::With => bindings
                    .iter()
                    .map(|b| m.binding(*b))
                    .find(|b| b.kind == BindingKind::WithTarget && b.ctl == Some(c) && b.start < r.start),
                _ => None,
            };
            if let Some(def) = defnode {
                if function_like || def.line < r.line {
                    return true;
                }
            }
        }
        false
    }

    /// astroid's `are_exclusive(stmt, defstmt, ("NameError",))`: only try parts count.
    fn exclusive(&self, r: &Reference, b: BindingId) -> bool {
        let m = self.m;
        let binding = m.binding(b);
        let r_chain: Vec<CtlId> = m.ctl_chain(r.ctl).collect();
        let mut prev: Option<CtlId> = None;
        for c in m.ctl_chain(binding.ctl) {
            if let Some(pos) = r_chain.iter().position(|x| *x == c) {
                if m.ctl(c).kind == CtlKind::Try && pos > 0 {
                    let (Some(b_part), r_part) = (prev, r_chain[pos - 1]) else { return false };
                    let bk = m.ctl(b_part).kind;
                    let rk = m.ctl(r_part).kind;
                    return b_part != r_part
                        && ((bk == CtlKind::Handler && rk == CtlKind::TryBody && m.ctl(b_part).catches_name_error)
                            || (rk == CtlKind::Handler && bk == CtlKind::TryBody && m.ctl(r_part).catches_name_error)
                            || (bk == CtlKind::Handler && rk == CtlKind::TryElse)
                            || (rk == CtlKind::Handler && bk == CtlKind::TryElse));
                }
                return false;
            }
            prev = Some(c);
        }
        false
    }

    // ---- beyond pylint: reads no binding can reach ----------------------------------------

    /// A read of a local that no binding can reach at run time (UnboundLocalError /
    /// NameError on every path through it), which pylint's line-order heuristics miss.
    fn runtime_unbound(&mut self, r: &Reference, s: ScopeId) -> Option<&'static str> {
        let m = self.m;
        let n = r.name;
        if r.guarded_name_error || r.in_annotation {
            return None;
        }
        // Only reads executed where they stand: the scope's own statements and its
        // comprehensions, not deferred bodies (nested functions and lambdas).
        let frame = m.frame_of(r.scope);
        if frame != s {
            let frame_sc = m.scope(frame);
            // A class body runs at once: reading a module name bound only later fails.
            if !(frame_sc.kind == ScopeKind::Class && s == MODULE_SCOPE && self.class_runs_at_import(frame)) {
                return None;
            }
        }
        let s_kind = m.scope(s).kind;
        if s_kind == ScopeKind::Lambda || s_kind == ScopeKind::Comprehension {
            return None;
        }
        if !s_kind.is_function_like() {
            if self.builtin(n) || m.scope(MODULE_SCOPE).star_import {
                return None;
            }
            if s_kind == ScopeKind::Class && (m.is_bound_in(MODULE_SCOPE, n) || self.enclosing_function_binds(s, n)) {
                return None;
            }
        }
        let bindings = m.bindings_of(s, n);
        let reaches = !self.never_bound(s, n)
            && bindings.iter().map(|b| m.binding(*b)).any(|b| {
                b.kind.binds_value()
                    && !self.encloses_class_body(b, r)
                    && !self.dominates(r, b)
                    && (b.effective <= r.start
                        || b.line < r.line && b.scope != frame
                        || r.back_edge_range.is_some_and(|(lo, hi)| lo <= b.start && b.start < hi))
            });
        if reaches {
            return None;
        }
        // Only the first failing read: a read that an earlier crashing read dominates
        // never runs.
        if self.read_dominated(r, s) {
            return None;
        }
        // A class's own name read while its body runs: pylint's undefined-variable.
        if bindings.iter().map(|b| m.binding(*b)).filter(|b| b.kind.binds_value()).all(|b| self.encloses_class_body(b, r))
            && bindings.iter().any(|b| m.binding(*b).kind.binds_value())
        {
            return Some("E0602");
        }
        if s_kind == ScopeKind::Function {
            if let Some(first) = bindings.iter().map(|b| m.binding(*b)).find(|b| b.kind.binds_value()) {
                if first.effective > r.start && first.kind == BindingKind::AugmentedAssignment && bindings.iter().all(|b| {
                    let b = m.binding(*b);
                    !b.kind.binds_value() || b.kind == BindingKind::AugmentedAssignment
                }) {
                    return Some("E0602");
                }
            }
        }
        let has_value_binding = bindings.iter().any(|b| m.binding(*b).kind.binds_value());
        Some(if has_value_binding { "E0601" } else { "E0602" })
    }

    /// `b` is the `class` statement whose body holds the read (bound only once the body
    /// has run).
    fn encloses_class_body(&self, b: &crate::lang::python::model::Binding, r: &Reference) -> bool {
        if b.kind != BindingKind::ClassDef {
            return false;
        }
        let m = self.m;
        let mut s = Some(r.scope);
        while let Some(id) = s {
            let sc = m.scope(id);
            if sc.kind == ScopeKind::Class && sc.name == Some(b.name) && sc.start == b.stmt_start {
                return true;
            }
            if matches!(sc.kind, ScopeKind::Function | ScopeKind::Lambda) {
                return false;
            }
            s = sc.parent;
        }
        false
    }

    /// A read that, run while the name is unbound, ends its frame: evaluated whenever its
    /// statement runs, and no enclosing `try` (with handlers) or `with` of the frame can
    /// swallow the NameError.
    fn crash_capable(&self, r: &Reference) -> bool {
        let m = self.m;
        r.unconditional
            && !r.guarded_name_error
            && !r.in_annotation
            && !m.ctl_chain(r.ctl).any(|c| match m.ctl(c).kind {
                CtlKind::TryBody => m.ctl(c).parent.is_some_and(|t| m.ctl_children(t).iter().any(|h| m.ctl(*h).kind == CtlKind::Handler)),
                CtlKind::WithBody => true,
                _ => false,
            })
    }

    /// Every path to `b` runs the read `r` first (so `b` cannot bind the name before
    /// `r`'s first run).
    fn dominates(&self, r: &Reference, b: &crate::lang::python::model::Binding) -> bool {
        r.stmt_start <= b.start && b.start < r.dom_end && r.start < b.effective.max(b.start + 1) && self.crash_capable(r)
    }

    /// Another crash-capable read of the same name in `s` runs before `r` on every path.
    fn read_dominated(&mut self, r: &Reference, s: ScopeId) -> bool {
        let m = self.m;
        self.index_reads();
        self.reads_of(s, r.name).iter().map(|&k| &m.references[k as u32 as usize]).any(|o| {
            o.start < r.start
                && o.stmt_start <= r.start
                && r.start < o.dom_end
                && m.resolve(o.scope, r.name) == Some(s)
                && self.crash_capable(o)
                && !m.bindings_of(s, r.name).iter().map(|b| m.binding(*b)).any(|b| b.kind.binds_value() && o.start < b.effective && b.effective <= r.start && !self.dominates(o, b))
        })
    }

    fn index_reads(&mut self) {
        if self.reads_by_name.is_none() {
            // A counting sort by frame, then a sort of each frame's (small) share by name.
            let m = self.m;
            let frames: Vec<u32> = m.references.iter().map(|r| m.frame_of(r.scope).0).collect();
            let mut from = vec![0u32; m.scopes.len() + 1];
            for &f in &frames {
                from[f as usize + 1] += 1;
            }
            for i in 1..from.len() {
                from[i] += from[i - 1];
            }
            let mut next = from.clone();
            let mut reads = vec![0u64; frames.len()];
            for (i, (&f, r)) in frames.iter().zip(&m.references).enumerate() {
                reads[next[f as usize] as usize] = (r.name.0 as u64) << 32 | i as u64;
                next[f as usize] += 1;
            }
            for w in from.windows(2) {
                reads[w[0] as usize..w[1] as usize].sort_unstable();
            }
            self.reads_by_name = Some((from, reads));
        }
    }

    /// The references of name `n` whose frame is `s` (after [`Checker::index_reads`]), as
    /// `name << 32 | index`.
    fn reads_of(&self, s: ScopeId, n: NameId) -> &'_ [u64] {
        match &self.reads_by_name {
            Some((from, reads)) => {
                let frame = &reads[from[s.index()] as usize..from[s.index() + 1] as usize];
                let lo = frame.partition_point(|&k| ((k >> 32) as u32) < n.0);
                let hi = lo + frame[lo..].partition_point(|&k| (k >> 32) as u32 == n.0);
                &frame[lo..hi]
            }
            None => &[],
        }
    }

    /// Every binding of `n` in `s` is dominated by a read of it in `s`'s own code: the
    /// first such read always runs with the name unbound, so no binding ever runs.
    fn never_bound(&mut self, s: ScopeId, n: NameId) -> bool {
        let m = self.m;
        self.index_reads();
        let (reads, bindings) = (self.reads_of(s, n), m.bindings_of(s, n));
        // Worked out again when it is cheaper than a look-up in the memo (nearly always:
        // the first read of a name in a scope consumes it, later ones stop before this).
        let memo = reads.len() * bindings.len() > 16;
        if memo {
            if let Some(v) = self.never_bound.get(&(s, n)) {
                return *v;
            }
        }
        // The position tests of `dominates` first: they rule out nearly every read.
        let mut values = bindings.iter().map(|b| m.binding(*b)).filter(|b| b.kind.binds_value()).peekable();
        let v = values.peek().is_some()
            && values.all(|b| {
                reads.iter().map(|&k| &m.references[k as u32 as usize]).any(|r| self.dominates(r, b) && m.resolve(r.scope, n) == Some(s))
            });
        if memo {
            self.never_bound.insert((s, n), v);
        }
        v
    }

    fn class_runs_at_import(&self, class: ScopeId) -> bool {
        let m = self.m;
        let mut s = m.scope(class).parent;
        while let Some(id) = s {
            let sc = m.scope(id);
            if matches!(sc.kind, ScopeKind::Function | ScopeKind::Lambda) {
                return false;
            }
            s = sc.parent;
        }
        true
    }

    fn enclosing_function_binds(&self, class: ScopeId, n: NameId) -> bool {
        let m = self.m;
        let mut s = m.scope(class).parent;
        while let Some(id) = s {
            if m.scope(id).kind.is_function_like() && m.is_bound_in(id, n) {
                return true;
            }
            s = m.scope(id).parent;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use crate::lang::python::lint;

    fn codes(src: &str) -> Vec<(usize, &'static str)> {
        lint(src).into_iter().filter(|d| d.code.starts_with("E06")).map(|d| (d.line + 1, d.code)).collect()
    }

    #[test]
    fn basics() {
        assert_eq!(codes("def f():\n    return y\n"), vec![(2, "E0602")]);
        assert_eq!(codes("import os\ndef f():\n    return os.sep\n"), vec![]);
        assert_eq!(codes("def f():\n    x += 1\n"), vec![(2, "E0602")]);
        assert_eq!(codes("def f():\n    print(y)\n    print(y)\n    y = 1\n"), vec![(2, "E0601")]);
        assert_eq!(codes("def f(c):\n    if c:\n        w = 1\n    print(w)\n    print(w)\n"), vec![(4, "E0606")]);
        assert_eq!(codes("class A:\n    y = 1\n    def m(self):\n        return y\n"), vec![(4, "E0602")]);
        assert_eq!(codes("def f():\n    for i in range(3):\n        total += i\n    return total\n"), vec![(3, "E0602")]);
        assert_eq!(codes("def f():\n    for i in range(3):\n        if i:\n            print(q)\n        q = i\n"), vec![]);
    }

    #[test]
    fn builtins_sorted_for_binary_search() {
        assert!(super::BUILTINS.windows(2).all(|w| w[0] < w[1]));
        assert!(super::is_builtin("zip") && super::is_builtin("__file__") && super::is_builtin("ArithmeticError"));
        assert!(!super::is_builtin("__path__") && !super::is_builtin("self"));
    }

    #[test]
    fn never_panics_on_broken_trees() {
        for src in ["def (:\n  x", "class :\n", "for in :\n", "x = [y for in z]", "lambda *: x", "match x:\n case (:\n  pass"] {
            let _ = lint(src);
        }
    }
}

