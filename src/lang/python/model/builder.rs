//! Builds the [`Model`] in one walk of the tree. Names are interned as `&str` slices of
//! the source; nothing is allocated per node.

use foldhash::HashMap;
use crate::lang::python::fields::Field;
use crate::lang::python::tree::{named_children, Node, SyntaxTree};

use super::*;

/// Deeper nesting than this is not descended into (no stack overflow on pathological
/// input; CPython rejects such programs anyway).
const MAX_DEPTH: u32 = 600;

const TERMINATING_CALLS: &[&str] = &["sys.exit", "exit", "quit", "os._exit", "os.abort", "_exit", "os.exit"];

struct LoopEntry {
    start: u32,
    end: u32,
    body_depth: u32,
    jumped: bool,
}

/// Flow bookkeeping of the function (or module / class body) being walked.
#[derive(Default)]
struct FrameState {
    ctl: Option<CtlId>,
    cond_depth: u32,
    loops: Vec<LoopEntry>,
}

struct Builder<'s> {
    src: &'s str,
    m: Model,
    intern: HashMap<&'s str, NameId>,
    scope: ScopeId,
    frame: FrameState,
    stmt_start: u32,
    stmt_line: u32,
    /// [`Reference::dom_end`] for references of the current statement.
    stmt_dom_end: u32,
    /// The statement of the block being walked that starts here gets `block_child_dom`
    /// as its dominated region's end.
    block_child_start: u32,
    block_child_dom: u32,
    /// Set by a loop whose body always runs at least once: (the loop statement's
    /// dominated end, the loop's index in `frame.loops`), taken by the body's block.
    at_least_once_body: Option<(u32, usize)>,
    /// Depth of conditionally evaluated expression parts within the statement.
    expr_cond: u32,
    in_annotation: bool,
    name_error_guard: u32,
    depth: u32,
}

thread_local! {
    /// The sizes of the last model built on this thread: the sampler builds models of
    /// programs a few lines apart, so they size the next one's lists (no regrowing).
    static LAST_SIZES: std::cell::Cell<[usize; 5]> = const { std::cell::Cell::new([0; 5]) };
}

pub(super) fn build(source: &str, tree: &SyntaxTree) -> Model {
    let root = tree.root_node();
    let [references, bindings, ctls, names, symbols] = LAST_SIZES.with(|sizes| sizes.get());
    let mut b = Builder {
        src: source,
        m: Model {
            source: source.into(),
            references: Vec::with_capacity(references),
            bindings: Vec::with_capacity(bindings),
            ctls: Vec::with_capacity(ctls),
            names: Vec::with_capacity(names),
            symbols: HashMap::with_capacity_and_hasher(symbols, Default::default()),
            ..Model::default()
        },
        intern: HashMap::with_capacity_and_hasher(names, Default::default()),
        scope: MODULE_SCOPE,
        frame: FrameState::default(),
        stmt_start: 0,
        stmt_line: 0,
        stmt_dom_end: source.len() as u32,
        block_child_start: u32::MAX,
        block_child_dom: 0,
        at_least_once_body: None,
        expr_cond: 0,
        in_annotation: false,
        name_error_guard: 0,
        depth: 0,
    };
    b.m.scopes.push(Scope {
        kind: ScopeKind::Module,
        parent: None,
        start: 0,
        end: source.len() as u32,
        node: root.id() as u32,
        name: None,
        is_method: false,
        star_import: false,
        globals: Vec::new(),
        nonlocals: Vec::new(),
        code: CodeRegion::All,
    });
    b.walk_block(root);
    let Builder { mut m, .. } = b;
    let bindings = &m.bindings;
    for symbol in m.symbols.values_mut() {
        symbol.bindings.sort_by_key(|id| bindings[id.index()].start);
    }
    m.index_names();
    let mut ranges: Vec<(u32, u32, ScopeId)> = m.scopes.iter().enumerate().skip(1).map(|(i, s)| (s.start, s.end, ScopeId(i as u32))).collect();
    ranges.sort_unstable();
    m.scope_ranges = ranges;
    m.index_nesting();
    LAST_SIZES.with(|sizes| sizes.set([m.references.len(), m.bindings.len(), m.ctls.len(), m.names.len(), m.symbols.len()]));
    m
}

#[inline]
fn line_of(node: Node) -> u32 {
    node.start_position().row as u32
}

impl<'s> Builder<'s> {
    fn text(&self, node: Node) -> &'s str {
        self.src.get(node.start_byte()..node.end_byte()).unwrap_or("")
    }

    fn intern(&mut self, node: Node) -> NameId {
        let text = self.text(node);
        if let Some(id) = self.intern.get(text) {
            return *id;
        }
        let id = NameId(self.m.names.len() as u32);
        self.m.names.push((node.start_byte() as u32, node.end_byte() as u32));
        self.intern.insert(text, id);
        id
    }

    // ---- scopes, bindings, references ------------------------------------------------

    fn push_scope(&mut self, kind: ScopeKind, node: Node, name: Option<NameId>) -> ScopeId {
        let is_method = kind == ScopeKind::Function && self.m.scopes[self.scope.index()].kind == ScopeKind::Class;
        let id = ScopeId(self.m.scopes.len() as u32);
        let range = |n: Node| (n.start_byte() as u32, n.end_byte() as u32);
        let code = if kind == ScopeKind::Comprehension {
            let first_for = named_children(node).find(|c| c.kind_str() == "for_in_clause");
            match first_for {
                Some(clause) => CodeRegion::Comprehension {
                    first_for: range(clause),
                    target: clause.field(Field::Left).map_or((u32::MAX, 0), range),
                },
                None => CodeRegion::Comprehension { first_for: (u32::MAX, 0), target: (u32::MAX, 0) },
            }
        } else {
            match node.field(Field::Body) {
                Some(body) => CodeRegion::Body { start: body.start_byte() as u32, end: body.end_byte() as u32 },
                None => CodeRegion::None,
            }
        };
        self.m.scopes.push(Scope {
            kind,
            parent: Some(self.scope),
            start: node.start_byte() as u32,
            end: node.end_byte() as u32,
            node: node.id() as u32,
            name,
            is_method,
            star_import: false,
            globals: Vec::new(),
            nonlocals: Vec::new(),
            code,
        });
        id
    }

    /// The scope a binding of `name` made in the current scope lands in.
    fn binding_scope(&self, name: NameId, walrus: bool) -> ScopeId {
        let mut scope = self.scope;
        if walrus {
            scope = self.m.frame_of(scope);
        }
        if self.m.is_declared_global(scope, name) {
            return MODULE_SCOPE;
        }
        if self.m.is_declared_nonlocal(scope, name) {
            let mut s = self.m.scopes[scope.index()].parent;
            while let Some(id) = s {
                let sc = &self.m.scopes[id.index()];
                if sc.kind.is_function_like() && self.m.is_bound_in(id, name) {
                    return id;
                }
                if sc.kind == ScopeKind::Module {
                    break;
                }
                s = sc.parent;
            }
        }
        scope
    }

    fn bind(&mut self, ident: Node, kind: BindingKind, effective: u32) -> BindingId {
        self.bind_full(ident, kind, effective, false)
    }

    fn bind_full(&mut self, ident: Node, kind: BindingKind, effective: u32, simple_target: bool) -> BindingId {
        let name = self.intern(ident);
        let scope = self.binding_scope(name, kind == BindingKind::NamedExpr);
        let id = BindingId(self.m.bindings.len() as u32);
        let ctl = self.frame.ctl;
        self.m.bindings.push(Binding {
            name,
            scope,
            kind,
            start: ident.start_byte() as u32,
            effective,
            line: line_of(ident),
            column: ident.start_position().column as u32,
            stmt_start: self.stmt_start,
            stmt_line: self.stmt_line,
            ctl,
            simple_target,
        });
        self.m.symbols.entry((scope, name)).or_default().bindings.push(id);
        id
    }

    fn reference(&mut self, ident: Node, ctx: RefContext) -> ReferenceId {
        self.reference_full(ident, ctx, None, None)
    }

    fn reference_full(&mut self, ident: Node, ctx: RefContext, assign_value_of: Option<u32>, for_iter_of: Option<u32>) -> ReferenceId {
        let name = self.intern(ident);
        let back_edge_range = match self.frame.loops.as_slice() {
            [] => None,
            [only] if only.body_depth == self.frame.cond_depth && !only.jumped => None,
            [outer, ..] => Some((outer.start, outer.end)),
        };
        let id = ReferenceId(self.m.references.len() as u32);
        self.m.references.push(Reference {
            name,
            scope: self.scope,
            ctx,
            start: ident.start_byte() as u32,
            line: line_of(ident),
            column: ident.start_position().column as u32,
            stmt_start: self.stmt_start,
            stmt_line: self.stmt_line,
            ctl: self.frame.ctl,
            in_annotation: self.in_annotation,
            assign_value_of,
            for_iter_of,
            guarded_name_error: self.name_error_guard > 0,
            back_edge_range,
            unconditional: self.expr_cond == 0,
            dom_end: self.stmt_dom_end,
        });
        id
    }

    fn push_ctl(&mut self, kind: CtlKind, node: Node) -> CtlId {
        let id = CtlId(self.m.ctls.len() as u32);
        let parent = self.frame.ctl;
        self.m.ctls.push(Ctl {
            kind,
            parent,
            children: Vec::new(),
            start: node.start_byte() as u32,
            end: node.end_byte() as u32,
            frame: self.scope,
            test: None,
            terminates: false,
            returns: false,
            continues: false,
            exits: false,
            has_break_or_continue: false,
            catches_name_error: false,
        });
        if let Some(p) = parent {
            self.m.ctls[p.index()].children.push(id);
        }
        id
    }

    /// Runs `f` with `ctl` as the current control construct.
    fn within<F: FnOnce(&mut Self)>(&mut self, ctl: CtlId, f: F) {
        let saved = self.frame.ctl.replace(ctl);
        f(self);
        self.frame.ctl = saved;
    }

    fn conditionally<F: FnOnce(&mut Self)>(&mut self, f: F) {
        self.frame.cond_depth += 1;
        f(self);
        self.frame.cond_depth -= 1;
    }

    fn set_stmt(&mut self, node: Node) -> (u32, u32, u32, u32) {
        let saved = (self.stmt_start, self.stmt_line, self.stmt_dom_end, self.expr_cond);
        self.stmt_start = node.start_byte() as u32;
        self.stmt_line = line_of(node);
        self.stmt_dom_end = if self.stmt_start == self.block_child_start { self.block_child_dom } else { node.end_byte() as u32 };
        self.expr_cond = 0;
        saved
    }

    fn restore_stmt(&mut self, saved: (u32, u32, u32, u32)) {
        self.stmt_start = saved.0;
        self.stmt_line = saved.1;
        self.stmt_dom_end = saved.2;
        self.expr_cond = saved.3;
    }

    /// Runs `f` with the expressions it walks marked as conditionally evaluated.
    fn cond_expr<F: FnOnce(&mut Self)>(&mut self, f: F) {
        self.expr_cond += 1;
        f(self);
        self.expr_cond -= 1;
    }

    /// A jump (return/raise/break/continue): later code in the enclosing loops of this
    /// frame may be skipped on the first iteration.
    fn note_jump(&mut self, kind: &str) {
        for l in &mut self.frame.loops {
            l.jumped = true;
        }
        let is_break_or_continue = kind == "break_statement" || kind == "continue_statement";
        if let Some(c) = self.frame.ctl {
            let ctl = &mut self.m.ctls[c.index()];
            match kind {
                "return_statement" => {
                    ctl.returns = true;
                    ctl.terminates = true;
                }
                "raise_statement" | "assert_statement" => ctl.terminates = true,
                "continue_statement" => {
                    ctl.continues = true;
                    ctl.terminates = true;
                }
                "exit" => {
                    ctl.exits = true;
                    ctl.terminates = true;
                }
                _ => {}
            }
        }
        if is_break_or_continue {
            for c in self.m.ctl_chain(self.frame.ctl).collect::<Vec<_>>() {
                if self.m.ctls[c.index()].kind == CtlKind::If {
                    self.m.ctls[c.index()].has_break_or_continue = true;
                }
            }
        }
    }

    // ---- statements ----------------------------------------------------------------

    fn walk_block(&mut self, node: Node) {
        let stretch = self.at_least_once_body.take();
        let end = node.end_byte() as u32;
        for child in named_children(node) {
            let stretched = stretch.filter(|(_, i)| self.frame.loops.get(*i).is_some_and(|l| !l.jumped));
            self.block_child_start = child.start_byte() as u32;
            self.block_child_dom = stretched.map_or(end, |(outer, _)| outer.max(end));
            self.walk_stmt(child);
        }
    }

    fn walk_stmt(&mut self, node: Node) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        let saved = self.set_stmt(node);
        match node.kind_str() {
            "expression_statement" => self.walk_expression_statement(node),
            "return_statement" | "raise_statement" => {
                self.walk_children(node);
                self.note_jump(node.kind_str());
            }
            // Skipped under `python -O`, and the message only runs when the test fails.
            "assert_statement" => {
                self.cond_expr(|b| b.walk_children(node));
                self.note_jump(node.kind_str());
            }
            "break_statement" | "continue_statement" => self.note_jump(node.kind_str()),
            "delete_statement" => {
                for child in named_children(node) {
                    self.walk_del_target(child);
                }
            }
            "global_statement" | "nonlocal_statement" => {
                let global = node.kind_str() == "global_statement";
                for child in named_children(node).filter(|c| c.kind_str() == "identifier") {
                    let name = self.intern(child);
                    let scope = &mut self.m.scopes[self.scope.index()];
                    let list = if global { &mut scope.globals } else { &mut scope.nonlocals };
                    list.push((name, child.start_byte() as u32));
                }
            }
            "import_statement" => self.walk_import(node, BindingKind::Import),
            "import_from_statement" => self.walk_import(node, BindingKind::FromImport),
            "future_import_statement" => {
                if self.text(node).contains("annotations") {
                    self.m.postponed_annotations = true;
                }
            }
            "if_statement" => self.walk_if(node),
            "for_statement" => self.walk_for(node),
            "while_statement" => self.walk_while(node),
            "try_statement" => self.walk_try(node),
            "with_statement" => self.walk_with(node),
            "match_statement" => self.walk_match(node),
            "function_definition" => self.walk_function(node),
            "class_definition" => self.walk_class(node),
            "decorated_definition" => {
                for child in named_children(node) {
                    match child.kind_str() {
                        "decorator" => self.walk_children(child),
                        "function_definition" => self.walk_function(child),
                        "class_definition" => self.walk_class(child),
                        _ => self.walk_stmt(child),
                    }
                }
            }
            "pass_statement" | "comment" | "type_alias_statement" => {}
            "block" | "module" => self.walk_block(node),
            _ => self.walk_expr(node),
        }
        self.restore_stmt(saved);
        self.depth -= 1;
    }

    fn walk_expression_statement(&mut self, node: Node) {
        let end = node.end_byte() as u32;
        for child in named_children(node) {
            match child.kind_str() {
                "assignment" => self.walk_assignment(child, end),
                "augmented_assignment" => self.walk_aug_assignment(child, end),
                _ => self.walk_expr(child),
            }
        }
        let mut children = named_children(node);
        if let (Some(only), None) = (children.next(), children.next()) {
            if only.kind_str() == "call" {
                if let Some(f) = only.field(Field::Function) {
                    if TERMINATING_CALLS.contains(&self.text(f)) {
                        self.note_jump("exit");
                    }
                }
            }
        }
    }

    /// tree-sitter reads `a, b,` NEWLINE `c = 1` as one assignment to `a, b, c`; CPython
    /// sees the expression statement `a, b,` (reads) and then `c = 1`. The number of
    /// elements of an unbracketed target list before its last unescaped line break.
    fn leading_tuple_statement(&self, items: &[Node]) -> usize {
        let mut split = 0;
        for i in 1..items.len() {
            let between = self.src.get(items[i - 1].end_byte()..items[i].start_byte()).unwrap_or("");
            let bytes = between.as_bytes();
            let mut in_comment = false;
            for (j, c) in bytes.iter().enumerate() {
                match c {
                    b'#' => in_comment = true,
                    b'\n' => {
                        if in_comment || j == 0 || bytes[j - 1] != b'\\' {
                            split = i;
                        }
                        in_comment = false;
                    }
                    _ => {}
                }
            }
        }
        split
    }

    fn walk_assignment(&mut self, node: Node, end: u32) {
        let left = node.field(Field::Left);
        let right = node.field(Field::Right);
        let ty = node.field(Field::Type);
        let mut targets: Option<Vec<Node>> = None;
        if let Some(l) = left.filter(|l| l.kind_str() == "pattern_list") {
            let items: Vec<Node> = named_children(l).filter(|c| c.kind_str() != "comment").collect();
            let split = self.leading_tuple_statement(&items);
            if split > 0 {
                for item in &items[..split] {
                    self.walk_expr(*item);
                }
                targets = Some(items[split..].to_vec());
            }
        }
        if let Some(ty) = ty {
            self.walk_annotation(ty);
        }
        if let Some(right) = right {
            match right.kind_str() {
                "assignment" => self.walk_assignment(right, end),
                "augmented_assignment" => self.walk_aug_assignment(right, end),
                "identifier" => {
                    self.reference_full(right, RefContext::Load, Some(self.stmt_start), None);
                }
                _ => self.walk_expr(right),
            }
        }
        if let Some(left) = left {
            let kind = match (ty.is_some(), right.is_some()) {
                (true, true) => BindingKind::AnnotatedAssignment,
                (true, false) => BindingKind::Annotation,
                _ => BindingKind::Assignment,
            };
            if let Some(targets) = targets {
                let simple = targets.len() == 1;
                for t in targets {
                    if simple && t.kind_str() == "identifier" {
                        self.bind_full(t, kind, end, true);
                    } else {
                        self.walk_target(t, kind, end);
                    }
                }
            } else if left.kind_str() == "identifier" {
                self.bind_full(left, kind, end, true);
            } else {
                self.walk_target(left, kind, end);
            }
        }
    }

    fn walk_aug_assignment(&mut self, node: Node, end: u32) {
        let left = node.field(Field::Left);
        if let Some(left) = left {
            if left.kind_str() == "identifier" {
                self.reference(left, RefContext::AugStore);
            } else {
                self.walk_expr(left);
            }
        }
        if let Some(right) = node.field(Field::Right) {
            match right.kind_str() {
                "assignment" => self.walk_assignment(right, end),
                "augmented_assignment" => self.walk_aug_assignment(right, end),
                _ => self.walk_expr(right),
            }
        }
        if let Some(left) = left {
            if left.kind_str() == "identifier" {
                self.bind(left, BindingKind::AugmentedAssignment, end);
            }
        }
    }

    /// An assignment target: names bind, attributes and subscripts read their objects.
    fn walk_target(&mut self, node: Node, kind: BindingKind, effective: u32) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        match node.kind_str() {
            "identifier" => {
                self.bind(node, kind, effective);
            }
            "pattern_list" | "tuple_pattern" | "list_pattern" | "tuple" | "list" | "parenthesized_expression" | "list_splat_pattern"
            | "list_splat" | "expression_list" | "as_pattern_target" | "case_pattern" => {
                for child in named_children(node) {
                    self.walk_target(child, kind, effective);
                }
            }
            "comment" => {}
            _ => self.walk_expr(node),
        }
        self.depth -= 1;
    }

    fn walk_del_target(&mut self, node: Node) {
        match node.kind_str() {
            "identifier" => {
                self.reference(node, RefContext::Del);
                self.bind(node, BindingKind::Deletion, node.end_byte() as u32);
            }
            "expression_list" | "tuple" | "list" | "parenthesized_expression" | "pattern_list" => {
                for child in named_children(node) {
                    self.walk_del_target(child);
                }
            }
            _ => self.walk_expr(node),
        }
    }

    fn walk_import(&mut self, node: Node, kind: BindingKind) {
        let end = node.end_byte() as u32;
        let mut cursor = node.walk();
        let children: Vec<(Option<&'static str>, Node)> = {
            let mut out = Vec::new();
            if cursor.goto_first_child() {
                loop {
                    out.push((cursor.field_name(), cursor.node()));
                    if !cursor.goto_next_sibling() {
                        break;
                    }
                }
            }
            out
        };
        for (field, child) in children {
            if child.kind_str() == "wildcard_import" {
                self.m.scopes[self.scope.index()].star_import = true;
                continue;
            }
            if field != Some("name") {
                continue;
            }
            match child.kind_str() {
                "aliased_import" => {
                    if let Some(alias) = child.field(Field::Alias) {
                        self.bind(alias, kind, end);
                    }
                }
                "dotted_name" => {
                    // `import a.b` binds `a`; `from m import a` binds `a`.
                    if let Some(first) = child.named_child(0) {
                        if first.kind_str() == "identifier" {
                            self.bind(first, kind, end);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn walk_if(&mut self, node: Node) {
        let if_ctl = self.push_ctl(CtlKind::If, node);
        self.within(if_ctl, |b| {
            if let Some(cond) = node.field(Field::Condition) {
                b.m.ctls[if_ctl.index()].test = Some((cond.start_byte() as u32, cond.end_byte() as u32));
                b.walk_expr(cond);
            }
            let mut index: u16 = 0;
            if let Some(body) = node.field(Field::Consequence) {
                b.walk_branch(body, CtlKind::IfBranch { index, is_else: false });
            }
            let mut cursor = node.walk();
            let alternatives: Vec<Node> = node.children_by_field_name("alternative", &mut cursor).collect();
            for alt in alternatives {
                index = index.saturating_add(1);
                match alt.kind_str() {
                    "elif_clause" => {
                        let saved = b.set_stmt(alt);
                        let ctl = b.push_ctl(CtlKind::IfBranch { index, is_else: false }, alt);
                        b.within(ctl, |b| {
                            if let Some(cond) = alt.field(Field::Condition) {
                                b.m.ctls[ctl.index()].test = Some((cond.start_byte() as u32, cond.end_byte() as u32));
                                b.conditionally(|b| b.walk_expr(cond));
                            }
                            if let Some(body) = alt.field(Field::Consequence) {
                                b.conditionally(|b| b.walk_block(body));
                            }
                        });
                        b.restore_stmt(saved);
                    }
                    _ => {
                        if let Some(body) = alt.field(Field::Body) {
                            let ctl = b.push_ctl(CtlKind::IfBranch { index, is_else: true }, alt);
                            b.within(ctl, |b| b.conditionally(|b| b.walk_block(body)));
                        }
                    }
                }
            }
        });
    }

    fn walk_branch(&mut self, body: Node, kind: CtlKind) {
        let ctl = self.push_ctl(kind, body);
        self.within(ctl, |b| b.conditionally(|b| b.walk_block(body)));
    }

    fn walk_for(&mut self, node: Node) {
        if let Some(right) = node.field(Field::Right) {
            let start = self.stmt_start;
            if right.kind_str() == "identifier" {
                self.reference_full(right, RefContext::Load, None, Some(start));
            } else {
                self.walk_expr(right);
            }
        }
        let loop_ctl = self.push_ctl(CtlKind::Loop { is_while: false }, node);
        let body = node.field(Field::Body);
        let body_start = body.map(|b| b.start_byte() as u32).unwrap_or(node.end_byte() as u32);
        self.within(loop_ctl, |b| {
            if let Some(left) = node.field(Field::Left) {
                b.walk_target(left, BindingKind::ForTarget, body_start);
            }
            if let Some(body) = body {
                let always = node.field(Field::Right).is_some_and(|r| b.non_empty_literal(r));
                b.walk_loop_body(node, body, always);
            }
            if let Some(alt) = node.field(Field::Alternative) {
                b.walk_else(alt, CtlKind::LoopElse);
            }
        });
    }

    /// A `for` iterable that always yields: a non-empty display or string literal.
    fn non_empty_literal(&self, node: Node) -> bool {
        match node.kind_str() {
            "list" | "tuple" | "set" => node.named_child_count() > 0,
            "parenthesized_expression" => node.named_child(0).is_some_and(|c| self.non_empty_literal(c)),
            "string" => named_children(node).any(|c| c.kind_str() == "string_content" && !c.byte_range().is_empty()),
            _ => false,
        }
    }

    /// A `while` test that is always true: `True` or a non-zero integer literal.
    fn always_true(&self, node: Node) -> bool {
        match node.kind_str() {
            "true" => true,
            "integer" => self.text(node).bytes().any(|c| c.is_ascii_digit() && c != b'0'),
            "parenthesized_expression" => node.named_child(0).is_some_and(|c| self.always_true(c)),
            _ => false,
        }
    }

    fn walk_loop_body(&mut self, node: Node, body: Node, always_runs: bool) {
        let ctl = self.push_ctl(CtlKind::LoopBody, body);
        let outer_dom = self.stmt_dom_end;
        self.within(ctl, |b| {
            b.conditionally(|b| {
                b.frame.loops.push(LoopEntry {
                    start: node.start_byte() as u32,
                    end: node.end_byte() as u32,
                    body_depth: b.frame.cond_depth,
                    jumped: false,
                });
                if always_runs {
                    b.at_least_once_body = Some((outer_dom, b.frame.loops.len() - 1));
                }
                b.walk_block(body);
                b.at_least_once_body = None;
                b.frame.loops.pop();
            });
        });
    }

    fn walk_else(&mut self, clause: Node, kind: CtlKind) {
        let ctl = self.push_ctl(kind, clause);
        self.within(ctl, |b| {
            b.conditionally(|b| {
                for child in named_children(clause) {
                    if child.kind_str() == "block" {
                        b.walk_block(child);
                    } else {
                        b.walk_stmt(child);
                    }
                }
            })
        });
    }

    fn walk_while(&mut self, node: Node) {
        let loop_ctl = self.push_ctl(CtlKind::Loop { is_while: true }, node);
        self.within(loop_ctl, |b| {
            if let Some(cond) = node.field(Field::Condition) {
                b.conditionally(|b| {
                    b.frame.loops.push(LoopEntry {
                        start: node.start_byte() as u32,
                        end: node.end_byte() as u32,
                        body_depth: b.frame.cond_depth,
                        jumped: false,
                    });
                    b.walk_expr(cond);
                    b.frame.loops.pop();
                });
            }
            if let Some(body) = node.field(Field::Body) {
                let always = node.field(Field::Condition).is_some_and(|c| b.always_true(c));
                b.walk_loop_body(node, body, always);
            }
            if let Some(alt) = node.field(Field::Alternative) {
                b.walk_else(alt, CtlKind::LoopElse);
            }
        });
    }

    fn walk_try(&mut self, node: Node) {
        let try_ctl = self.push_ctl(CtlKind::Try, node);
        let children: Vec<Node> = named_children(node).collect();
        let guards = children.iter().any(|c| c.kind_str() == "except_clause" && self.handler_catches_name_error(*c, false));
        self.within(try_ctl, |b| {
            for child in children {
                match child.kind_str() {
                    "block" => {
                        let ctl = b.push_ctl(CtlKind::TryBody, child);
                        if guards {
                            b.name_error_guard += 1;
                        }
                        b.within(ctl, |b| b.walk_block(child));
                        if guards {
                            b.name_error_guard -= 1;
                        }
                    }
                    "except_clause" | "except_group_clause" => b.walk_handler(child),
                    "else_clause" => b.walk_else(child, CtlKind::TryElse),
                    "finally_clause" => {
                        let ctl = b.push_ctl(CtlKind::Finally, child);
                        b.within(ctl, |b| {
                            let inner: Vec<Node> = named_children(child).collect();
                            for c in inner {
                                if c.kind_str() == "block" {
                                    b.walk_block(c);
                                } else {
                                    b.walk_stmt(c);
                                }
                            }
                        });
                    }
                    _ => b.walk_stmt(child),
                }
            }
        });
    }

    /// Whether an except clause names NameError (or, when `bare_counts`, is a bare
    /// `except:`, which astroid's `catch` accepts but pylint's NameError guard does not).
    fn handler_catches_name_error(&self, clause: Node, bare_counts: bool) -> bool {
        let mut has_value = false;
        let mut cursor = clause.walk();
        if cursor.goto_first_child() {
            loop {
                if cursor.field_name() == Some("value") {
                    has_value = true;
                    let node = cursor.node();
                    let typ = if node.kind_str() == "as_pattern" { node.named_child(0).unwrap_or(node) } else { node };
                    if self.text(typ).contains("NameError") {
                        return true;
                    }
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        bare_counts && !has_value
    }

    fn walk_handler(&mut self, clause: Node) {
        let saved = self.set_stmt(clause);
        let ctl = self.push_ctl(CtlKind::Handler, clause);
        let catches = self.handler_catches_name_error(clause, true);
        self.m.ctls[ctl.index()].catches_name_error = catches;
        let mut fields: Vec<(Option<&'static str>, Node)> = Vec::new();
        let mut cursor = clause.walk();
        if cursor.goto_first_child() {
            loop {
                if cursor.node().is_named() {
                    fields.push((cursor.field_name(), cursor.node()));
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        let block = fields.iter().find(|(_, n)| n.kind_str() == "block").map(|(_, n)| *n);
        let effective = block.map(|b| b.start_byte() as u32).unwrap_or(clause.end_byte() as u32);
        self.within(ctl, |b| {
            b.conditionally(|b| {
                let mut test: Option<(u32, u32)> = None;
                for (field, node) in &fields {
                    match *field {
                        Some("value") => {
                            if node.kind_str() == "as_pattern" {
                                if let Some(typ) = node.named_child(0) {
                                    test = Some((typ.start_byte() as u32, typ.end_byte() as u32));
                                    b.walk_expr(typ);
                                }
                                if let Some(alias) = node.field(Field::Alias) {
                                    b.bind_handler_alias(alias, effective);
                                }
                            } else {
                                test = Some((node.start_byte() as u32, node.end_byte() as u32));
                                b.walk_expr(*node);
                            }
                        }
                        Some("alias") => b.bind_handler_alias(*node, effective),
                        _ => {}
                    }
                }
                b.m.ctls[ctl.index()].test = test;
                if let Some(block) = block {
                    b.walk_block(block);
                }
            });
        });
        self.restore_stmt(saved);
    }

    fn bind_handler_alias(&mut self, alias: Node, effective: u32) {
        let ident = if alias.kind_str() == "identifier" { Some(alias) } else { alias.named_child(0).filter(|c| c.kind_str() == "identifier") };
        if let Some(ident) = ident {
            self.bind(ident, BindingKind::ExceptHandler, effective);
        } else {
            self.walk_expr(alias);
        }
    }

    fn walk_with(&mut self, node: Node) {
        let with_ctl = self.push_ctl(CtlKind::With, node);
        self.within(with_ctl, |b| {
            for child in named_children(node) {
                match child.kind_str() {
                    "with_clause" => {
                        let items: Vec<Node> = named_children(child).collect();
                        for item in items {
                            let Some(value) = item.field(Field::Value) else {
                                b.walk_expr(item);
                                continue;
                            };
                            if value.kind_str() == "as_pattern" {
                                if let Some(expr) = value.named_child(0) {
                                    b.walk_expr(expr);
                                }
                                if let Some(alias) = value.field(Field::Alias) {
                                    b.walk_target(alias, BindingKind::WithTarget, item.end_byte() as u32);
                                }
                            } else {
                                b.walk_expr(value);
                            }
                        }
                    }
                    "block" => {
                        let ctl = b.push_ctl(CtlKind::WithBody, child);
                        b.within(ctl, |b| b.walk_block(child));
                    }
                    _ => b.walk_stmt(child),
                }
            }
        });
    }

    fn walk_match(&mut self, node: Node) {
        if let Some(subject) = node.field(Field::Subject) {
            self.walk_expr(subject);
        }
        let mut cursor = node.walk();
        let subjects: Vec<Node> = node.children_by_field_name("subject", &mut cursor).collect();
        for extra in subjects.into_iter().skip(1) {
            self.walk_expr(extra);
        }
        let match_ctl = self.push_ctl(CtlKind::Match, node);
        let Some(body) = node.field(Field::Body) else { return };
        self.within(match_ctl, |b| {
            let cases: Vec<Node> = named_children(body).filter(|c| c.kind_str() == "case_clause").collect();
            for case in cases {
                let ctl = b.push_ctl(CtlKind::Case, case);
                let consequence = case.field(Field::Consequence);
                // Captures bind once the pattern matched, before the guard runs.
                let pattern_end = named_children(case).filter(|c| c.kind_str() == "case_pattern").map(|c| c.end_byte() as u32).last();
                let effective = pattern_end.or(consequence.map(|c| c.start_byte() as u32)).unwrap_or(case.end_byte() as u32);
                b.within(ctl, |b| {
                    b.conditionally(|b| {
                        let parts: Vec<Node> = named_children(case).collect();
                        for part in parts {
                            match part.kind_str() {
                                "case_pattern" => b.cond_expr(|b| b.walk_pattern(part, effective)),
                                "if_clause" => b.cond_expr(|b| b.walk_children(part)),
                                "block" => b.walk_block(part),
                                _ => {}
                            }
                        }
                    });
                });
            }
        });
    }

    /// A `case` pattern: capture names bind, value patterns (`a.b`) and class names read.
    fn walk_pattern(&mut self, node: Node, effective: u32) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        match node.kind_str() {
            "identifier" => {
                self.bind(node, BindingKind::MatchCapture, effective);
            }
            "dotted_name" => {
                let count = node.named_child_count();
                if let Some(first) = node.named_child(0) {
                    if count == 1 {
                        if self.text(first) != "_" {
                            self.bind(first, BindingKind::MatchCapture, effective);
                        }
                    } else {
                        self.reference(first, RefContext::Load);
                    }
                }
            }
            "class_pattern" => {
                for child in named_children(node) {
                    if child.kind_str() == "dotted_name" {
                        if let Some(first) = child.named_child(0) {
                            self.reference(first, RefContext::Load);
                        }
                    } else {
                        self.walk_pattern(child, effective);
                    }
                }
            }
            "keyword_pattern" => {
                for child in named_children(node).skip(1) {
                    self.walk_pattern(child, effective);
                }
            }
            "dict_pattern" => {
                let mut cursor = node.walk();
                let mut parts: Vec<(Option<&'static str>, Node)> = Vec::new();
                if cursor.goto_first_child() {
                    loop {
                        if cursor.node().is_named() {
                            parts.push((cursor.field_name(), cursor.node()));
                        }
                        if !cursor.goto_next_sibling() {
                            break;
                        }
                    }
                }
                for (field, child) in parts {
                    if field == Some("key") {
                        if child.kind_str() == "dotted_name" {
                            if let Some(first) = child.named_child(0) {
                                self.reference(first, RefContext::Load);
                            }
                        }
                    } else {
                        self.walk_pattern(child, effective);
                    }
                }
            }
            "as_pattern" => {
                let children: Vec<Node> = named_children(node).collect();
                let n = children.len();
                for (i, child) in children.into_iter().enumerate() {
                    if i + 1 == n && child.kind_str() == "identifier" {
                        self.bind(child, BindingKind::MatchCapture, effective);
                    } else {
                        self.walk_pattern(child, effective);
                    }
                }
            }
            "string" | "concatenated_string" | "integer" | "float" | "true" | "false" | "none" | "complex_pattern" => {}
            _ => {
                for child in named_children(node) {
                    self.walk_pattern(child, effective);
                }
            }
        }
        self.depth -= 1;
    }

    fn walk_function(&mut self, node: Node) {
        let saved_stmt = self.set_stmt(node);
        let params = node.field(Field::Parameters);
        if let Some(params) = params {
            self.walk_parameter_defaults(params);
        }
        if let Some(ret) = node.field(Field::ReturnType) {
            self.walk_annotation(ret);
        }
        let name = node.field(Field::Name);
        let name_id = name.map(|n| self.intern(n));
        if let Some(name) = name {
            self.bind(name, BindingKind::FunctionDef, node.end_byte() as u32);
        }
        let scope = self.push_scope(ScopeKind::Function, node, name_id);
        let saved_scope = std::mem::replace(&mut self.scope, scope);
        let saved_frame = std::mem::take(&mut self.frame);
        let saved_guard = std::mem::replace(&mut self.name_error_guard, 0);
        if let Some(params) = params {
            self.bind_parameters(params, node.start_byte() as u32);
        }
        if let Some(body) = node.field(Field::Body) {
            self.walk_block(body);
        }
        self.name_error_guard = saved_guard;
        self.frame = saved_frame;
        self.scope = saved_scope;
        self.restore_stmt(saved_stmt);
    }

    /// Default values and annotations of parameters: evaluated in the enclosing scope.
    fn walk_parameter_defaults(&mut self, params: Node) {
        for p in named_children(params) {
            match p.kind_str() {
                "default_parameter" => {
                    if let Some(v) = p.field(Field::Value) {
                        self.walk_expr(v);
                    }
                }
                "typed_parameter" => {
                    if let Some(t) = p.field(Field::Type) {
                        self.walk_annotation(t);
                    }
                }
                "typed_default_parameter" => {
                    if let Some(t) = p.field(Field::Type) {
                        self.walk_annotation(t);
                    }
                    if let Some(v) = p.field(Field::Value) {
                        self.walk_expr(v);
                    }
                }
                _ => {}
            }
        }
    }

    fn bind_parameters(&mut self, params: Node, effective: u32) {
        for p in named_children(params) {
            self.bind_parameter(p, effective);
        }
    }

    fn bind_parameter(&mut self, p: Node, effective: u32) {
        match p.kind_str() {
            "identifier" => {
                self.bind(p, BindingKind::Parameter, effective);
            }
            "default_parameter" | "typed_default_parameter" => {
                if let Some(n) = p.field(Field::Name) {
                    self.bind_parameter(n, effective);
                }
            }
            "typed_parameter" | "list_splat_pattern" | "dictionary_splat_pattern" | "tuple_pattern" => {
                for c in named_children(p) {
                    if c.kind_str() != "type" {
                        self.bind_parameter(c, effective);
                    }
                }
            }
            _ => {}
        }
    }

    fn walk_class(&mut self, node: Node) {
        let saved_stmt = self.set_stmt(node);
        if let Some(sup) = node.field(Field::Superclasses) {
            self.walk_expr(sup);
        }
        let name = node.field(Field::Name);
        let name_id = name.map(|n| self.intern(n));
        let scope = self.push_scope(ScopeKind::Class, node, name_id);
        let saved_scope = std::mem::replace(&mut self.scope, scope);
        let saved_frame = std::mem::take(&mut self.frame);
        // `@dec` / `# comment` / `def f` in a class body: tree-sitter leaves the decorator
        // in an ERROR child of the class; CPython runs it in the class body.
        let mut cursor = node.walk();
        let errors: Vec<Node> = node.children(&mut cursor).filter(|c| c.kind_str() == "ERROR").collect();
        for e in errors {
            self.walk_expr(e);
        }
        if let Some(body) = node.field(Field::Body) {
            self.walk_block(body);
        }
        self.frame = saved_frame;
        self.scope = saved_scope;
        if let Some(name) = name {
            self.bind(name, BindingKind::ClassDef, node.end_byte() as u32);
        }
        self.restore_stmt(saved_stmt);
    }

    // ---- expressions ---------------------------------------------------------------

    fn walk_children(&mut self, node: Node) {
        for child in named_children(node) {
            self.walk_expr(child);
        }
    }

    fn walk_annotation(&mut self, node: Node) {
        let saved = std::mem::replace(&mut self.in_annotation, true);
        self.walk_expr(node);
        self.in_annotation = saved;
    }

    fn walk_expr(&mut self, node: Node) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        match node.kind_str() {
            "identifier" => {
                self.reference(node, RefContext::Load);
            }
            "attribute" => {
                if let Some(obj) = node.field(Field::Object) {
                    self.walk_expr(obj);
                }
            }
            "keyword_argument" => {
                if let Some(v) = node.field(Field::Value) {
                    self.walk_expr(v);
                }
            }
            "lambda" => self.walk_lambda(node),
            "list_comprehension" | "set_comprehension" | "generator_expression" | "dictionary_comprehension" => self.walk_comprehension(node),
            "named_expression" => {
                if let Some(v) = node.field(Field::Value) {
                    self.walk_expr(v);
                }
                if let Some(n) = node.field(Field::Name) {
                    self.bind(n, BindingKind::NamedExpr, node.end_byte() as u32);
                }
            }
            "conditional_expression" => {
                let children: Vec<Node> = named_children(node).collect();
                if let Some(test) = children.get(1) {
                    self.walk_expr(*test);
                }
                self.conditionally(|b| {
                    b.cond_expr(|b| {
                        for (i, child) in children.iter().enumerate() {
                            if i != 1 {
                                b.walk_expr(*child);
                            }
                        }
                    })
                });
            }
            "boolean_operator" => {
                if let Some(l) = node.field(Field::Left) {
                    self.walk_expr(l);
                }
                if let Some(r) = node.field(Field::Right) {
                    self.conditionally(|b| b.cond_expr(|b| b.walk_expr(r)));
                }
            }
            "type" => self.walk_annotation_inner(node),
            "string" | "concatenated_string" => self.walk_string(node),
            "integer" | "float" | "true" | "false" | "none" | "ellipsis" | "comment" | "escape_sequence" | "string_content" | "string_start"
            | "string_end" | "keyword_separator" | "positional_separator" | "wildcard_import" | "type_conversion" => {}
            "assignment" => {
                let end = node.end_byte() as u32;
                self.walk_assignment(node, end);
            }
            "augmented_assignment" => {
                let end = node.end_byte() as u32;
                self.walk_aug_assignment(node, end);
            }
            _ => self.walk_children(node),
        }
        self.depth -= 1;
    }

    fn walk_annotation_inner(&mut self, node: Node) {
        let saved = std::mem::replace(&mut self.in_annotation, true);
        self.walk_children(node);
        self.in_annotation = saved;
    }

    /// Only the interpolations of f-strings hold names; string annotations are not read.
    fn walk_string(&mut self, node: Node) {
        for child in named_children(node) {
            match child.kind_str() {
                "interpolation" => self.walk_children(child),
                "string" => self.walk_string(child),
                _ => {}
            }
        }
    }

    fn walk_lambda(&mut self, node: Node) {
        let params = node.field(Field::Parameters);
        if let Some(params) = params {
            self.walk_parameter_defaults(params);
        }
        let scope = self.push_scope(ScopeKind::Lambda, node, None);
        let saved_scope = std::mem::replace(&mut self.scope, scope);
        let saved_frame = std::mem::take(&mut self.frame);
        if let Some(params) = params {
            self.bind_parameters(params, node.start_byte() as u32);
        }
        if let Some(body) = node.field(Field::Body) {
            self.walk_expr(body);
        }
        self.frame = saved_frame;
        self.scope = saved_scope;
    }

    fn walk_comprehension(&mut self, node: Node) {
        let children: Vec<Node> = named_children(node).collect();
        let body = node.field(Field::Body);
        let mut first = true;
        // The first iterable is evaluated in the enclosing scope.
        if let Some(clause) = children.iter().find(|c| c.kind_str() == "for_in_clause") {
            let mut cursor = clause.walk();
            let rights: Vec<Node> = clause.children_by_field_name("right", &mut cursor).collect();
            for r in rights {
                self.walk_expr(r);
            }
        }
        let scope = self.push_scope(ScopeKind::Comprehension, node, None);
        let saved_scope = std::mem::replace(&mut self.scope, scope);
        self.expr_cond += 1;
        self.conditionally(|b| {
            for child in &children {
                match child.kind_str() {
                    "for_in_clause" => {
                        if !first {
                            let mut cursor = child.walk();
                            let rights: Vec<Node> = child.children_by_field_name("right", &mut cursor).collect();
                            for r in rights {
                                b.walk_expr(r);
                            }
                        }
                        first = false;
                        if let Some(left) = child.field(Field::Left) {
                            b.walk_target(left, BindingKind::ComprehensionTarget, child.end_byte() as u32);
                        }
                    }
                    "if_clause" => b.walk_children(*child),
                    _ => {}
                }
            }
            if let Some(body) = body {
                b.walk_expr(body);
            }
        });
        self.expr_cond -= 1;
        self.scope = saved_scope;
    }
}
