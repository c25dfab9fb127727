//! Builds the [`Model`] in one walk of the tree. Names are interned as `&str` slices of
//! the source; nothing is allocated per node.

use foldhash::HashMap;
use std::sync::LazyLock;

use crate::lang::python::fields::{field_id, kind_name, Field};
use crate::lang::python::tree::{named_children, Node, SyntaxTree};

use super::*;

mod splice;
pub(super) use splice::build_reusing;

/// Deeper nesting than this is not descended into (no stack overflow on pathological
/// input; CPython rejects such programs anyway).
const MAX_DEPTH: u32 = 600;

const TERMINATING_CALLS: &[&str] = &["sys.exit", "exit", "quit", "os._exit", "os.abort", "_exit", "os.exit"];

/// The node kinds the walk tells apart, one per kind name it reads. Matching
/// `Node::kind_str` against string literals costs a length test and a byte comparison
/// per arm at every node; [`kind_of`] reads a table by kind id instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    AliasedImport, AsPattern, AsPatternTarget, AssertStatement, Assignment, Attribute,
    AugmentedAssignment, Block, BooleanOperator, BreakStatement, Call, CaseClause, CasePattern,
    ClassDefinition, ClassPattern, Comment, ComplexPattern, ConcatenatedString,
    ConditionalExpression, ContinueStatement, DecoratedDefinition, Decorator, DefaultParameter,
    DeleteStatement, DictPattern, DictionaryComprehension, DictionarySplatPattern, DottedName,
    ElifClause, Ellipsis, ElseClause, EscapeSequence, ExceptClause, ExceptGroupClause,
    ExpressionList, ExpressionStatement, False, FinallyClause, Float, ForInClause, ForStatement,
    FunctionDefinition, FutureImportStatement, GeneratorExpression, GlobalStatement, Identifier,
    IfClause, IfStatement, ImportFromStatement, ImportStatement, Integer, Interpolation,
    KeywordArgument, KeywordPattern, KeywordSeparator, Lambda, List, ListComprehension,
    ListPattern, ListSplat, ListSplatPattern, MatchStatement, Module, NamedExpression, None,
    NonlocalStatement, ParenthesizedExpression, PassStatement, PatternList, PositionalSeparator,
    RaiseStatement, ReturnStatement, Set, SetComprehension, String, StringContent, StringEnd,
    StringStart, True, TryStatement, Tuple, TuplePattern, Type, TypeAliasStatement, TypeConversion,
    TypedDefaultParameter, TypedParameter, WhileStatement, WildcardImport, WithClause,
    WithStatement,
    /// tree-sitter's "ERROR" (an error node, or a kind id past the grammar's table).
    Error,
    /// Any kind the walk does not name.
    Other,
}

impl Kind {
    fn of_name(name: &str) -> Kind {
        match name {
            "aliased_import" => Kind::AliasedImport,
            "as_pattern" => Kind::AsPattern,
            "as_pattern_target" => Kind::AsPatternTarget,
            "assert_statement" => Kind::AssertStatement,
            "assignment" => Kind::Assignment,
            "attribute" => Kind::Attribute,
            "augmented_assignment" => Kind::AugmentedAssignment,
            "block" => Kind::Block,
            "boolean_operator" => Kind::BooleanOperator,
            "break_statement" => Kind::BreakStatement,
            "call" => Kind::Call,
            "case_clause" => Kind::CaseClause,
            "case_pattern" => Kind::CasePattern,
            "class_definition" => Kind::ClassDefinition,
            "class_pattern" => Kind::ClassPattern,
            "comment" => Kind::Comment,
            "complex_pattern" => Kind::ComplexPattern,
            "concatenated_string" => Kind::ConcatenatedString,
            "conditional_expression" => Kind::ConditionalExpression,
            "continue_statement" => Kind::ContinueStatement,
            "decorated_definition" => Kind::DecoratedDefinition,
            "decorator" => Kind::Decorator,
            "default_parameter" => Kind::DefaultParameter,
            "delete_statement" => Kind::DeleteStatement,
            "dict_pattern" => Kind::DictPattern,
            "dictionary_comprehension" => Kind::DictionaryComprehension,
            "dictionary_splat_pattern" => Kind::DictionarySplatPattern,
            "dotted_name" => Kind::DottedName,
            "elif_clause" => Kind::ElifClause,
            "ellipsis" => Kind::Ellipsis,
            "else_clause" => Kind::ElseClause,
            "escape_sequence" => Kind::EscapeSequence,
            "except_clause" => Kind::ExceptClause,
            "except_group_clause" => Kind::ExceptGroupClause,
            "expression_list" => Kind::ExpressionList,
            "expression_statement" => Kind::ExpressionStatement,
            "false" => Kind::False,
            "finally_clause" => Kind::FinallyClause,
            "float" => Kind::Float,
            "for_in_clause" => Kind::ForInClause,
            "for_statement" => Kind::ForStatement,
            "function_definition" => Kind::FunctionDefinition,
            "future_import_statement" => Kind::FutureImportStatement,
            "generator_expression" => Kind::GeneratorExpression,
            "global_statement" => Kind::GlobalStatement,
            "identifier" => Kind::Identifier,
            "if_clause" => Kind::IfClause,
            "if_statement" => Kind::IfStatement,
            "import_from_statement" => Kind::ImportFromStatement,
            "import_statement" => Kind::ImportStatement,
            "integer" => Kind::Integer,
            "interpolation" => Kind::Interpolation,
            "keyword_argument" => Kind::KeywordArgument,
            "keyword_pattern" => Kind::KeywordPattern,
            "keyword_separator" => Kind::KeywordSeparator,
            "lambda" => Kind::Lambda,
            "list" => Kind::List,
            "list_comprehension" => Kind::ListComprehension,
            "list_pattern" => Kind::ListPattern,
            "list_splat" => Kind::ListSplat,
            "list_splat_pattern" => Kind::ListSplatPattern,
            "match_statement" => Kind::MatchStatement,
            "module" => Kind::Module,
            "named_expression" => Kind::NamedExpression,
            "none" => Kind::None,
            "nonlocal_statement" => Kind::NonlocalStatement,
            "parenthesized_expression" => Kind::ParenthesizedExpression,
            "pass_statement" => Kind::PassStatement,
            "pattern_list" => Kind::PatternList,
            "positional_separator" => Kind::PositionalSeparator,
            "raise_statement" => Kind::RaiseStatement,
            "return_statement" => Kind::ReturnStatement,
            "set" => Kind::Set,
            "set_comprehension" => Kind::SetComprehension,
            "string" => Kind::String,
            "string_content" => Kind::StringContent,
            "string_end" => Kind::StringEnd,
            "string_start" => Kind::StringStart,
            "true" => Kind::True,
            "try_statement" => Kind::TryStatement,
            "tuple" => Kind::Tuple,
            "tuple_pattern" => Kind::TuplePattern,
            "type" => Kind::Type,
            "type_alias_statement" => Kind::TypeAliasStatement,
            "type_conversion" => Kind::TypeConversion,
            "typed_default_parameter" => Kind::TypedDefaultParameter,
            "typed_parameter" => Kind::TypedParameter,
            "while_statement" => Kind::WhileStatement,
            "wildcard_import" => Kind::WildcardImport,
            "with_clause" => Kind::WithClause,
            "with_statement" => Kind::WithStatement,
            "ERROR" => Kind::Error,
            _ => Kind::Other,
        }
    }
}

/// [`Kind`] by kind id, from the grammar's kind names.
static KINDS: LazyLock<Vec<Kind>> = LazyLock::new(|| (0..=u16::MAX).map_while(kind_name).map(Kind::of_name).collect());

/// The [`Kind`] of the name `node.kind_str()` gives.
#[inline]
fn kind_of(node: Node) -> Kind {
    if node.is_error() {
        return Kind::Error;
    }
    KINDS.get(node.kind_id() as usize).copied().unwrap_or(Kind::Error)
}

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
    /// The next block walked is the module's or a top-level class's body: its defs are
    /// recorded as units.
    units_next: bool,
    /// Names are interned through the model's own table (a model made from the last
    /// one's, whose names are not slices of this source).
    reusing: bool,
}

thread_local! {
    /// The sizes of the last model built on this thread: the sampler builds models of
    /// programs a few lines apart, so they size the next one's lists (no regrowing).
    static LAST_SIZES: std::cell::Cell<[usize; 5]> = const { std::cell::Cell::new([0; 5]) };
}

pub(super) fn build(source: &str, tree: &SyntaxTree) -> Model {
    let root = tree.root_node();
    let [references, bindings, ctls, names, symbols] = LAST_SIZES.with(|sizes| sizes.get());
    let m = Model {
        source: source.into(),
        references: Vec::with_capacity(references),
        bindings: Vec::with_capacity(bindings),
        binding_symbol: Vec::with_capacity(bindings),
        symbol_keys: Vec::with_capacity(symbols),
        ctls: Vec::with_capacity(ctls),
        names: Vec::with_capacity(names),
        symbols: HashMap::with_capacity_and_hasher(symbols, Default::default()),
        ..Model::default()
    };
    let mut b = Builder::new(source, m, names);
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
    // Units are recorded where a model may be made from this one.
    b.units_next = source.len() >= REUSE_FROM_BYTES;
    b.walk_block(root);
    let Builder { mut m, .. } = b;
    m.tree_len = tree.len() as u32;
    m.index_symbols();
    m.index_names();
    finish(&mut m);
    m
}

/// The look-ups by position, built from the lists.
fn finish(m: &mut Model) {
    let mut ranges: Vec<(u32, u32, ScopeId)> = m.scopes.iter().enumerate().skip(1).map(|(i, s)| (s.start, s.end, ScopeId(i as u32))).collect();
    ranges.sort_unstable();
    m.scope_ranges = ranges;
    m.reference_starts = m.references.iter().map(|r| r.start).collect();
    m.index_nesting();
    LAST_SIZES.with(|sizes| sizes.set([m.references.len(), m.bindings.len(), m.ctls.len(), m.names.len(), m.symbols.len()]));
}

/// The class a statement defines, decorated or not.
fn class_of(stmt: Node) -> Option<Node> {
    match kind_of(stmt) {
        Kind::ClassDefinition => Some(stmt),
        Kind::DecoratedDefinition => named_children(stmt).find(|c| kind_of(*c) == Kind::ClassDefinition),
        _ => None,
    }
}

/// Whether a statement of the module or of a top-level class's body is a unit: any but
/// a comment or a class.
fn is_unit(stmt: Node) -> bool {
    kind_of(stmt) != Kind::Comment && class_of(stmt).is_none()
}

/// The children of `node` in `field`, in order.
#[inline]
fn in_field(node: Node, field: Field) -> impl Iterator<Item = Node> {
    let id = field_id(field);
    node.children_iter().filter(move |c| c.field_id() == id)
}

#[inline]
fn line_of(node: Node) -> u32 {
    node.start_position().row as u32
}

impl<'s> Builder<'s> {
    fn new(src: &'s str, m: Model, names: usize) -> Self {
        Builder {
            src,
            m,
            intern: HashMap::with_capacity_and_hasher(names, Default::default()),
            scope: MODULE_SCOPE,
            frame: FrameState::default(),
            stmt_start: 0,
            stmt_line: 0,
            stmt_dom_end: src.len() as u32,
            block_child_start: u32::MAX,
            block_child_dom: 0,
            at_least_once_body: None,
            expr_cond: 0,
            in_annotation: false,
            name_error_guard: 0,
            depth: 0,
            units_next: false,
            reusing: false,
        }
    }

    fn entry_counts(&self) -> [u32; 4] {
        [self.m.scopes.len(), self.m.bindings.len(), self.m.references.len(), self.m.ctls.len()].map(|n| n as u32)
    }

    fn text(&self, node: Node) -> &'s str {
        self.src.get(node.start_byte()..node.end_byte()).unwrap_or("")
    }

    fn intern(&mut self, node: Node) -> NameId {
        let text = self.text(node);
        if self.reusing {
            return self.m.intern_in_table(text);
        }
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
            let first_for = named_children(node).find(|c| kind_of(*c) == Kind::ForInClause);
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
                if sc.kind.is_function_like() && self.m.symbols.contains_key(&(id, name)) {
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
        let symbol = self.m.symbol(scope, name);
        self.m.binding_symbol.push(symbol);
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

    /// A jump (return/raise/assert/break/continue, or a terminating call when `kind` is
    /// `Call`): later code in the enclosing loops of this frame may be skipped on the
    /// first iteration.
    fn note_jump(&mut self, kind: Kind) {
        for l in &mut self.frame.loops {
            l.jumped = true;
        }
        if let Some(c) = self.frame.ctl {
            let ctl = &mut self.m.ctls[c.index()];
            match kind {
                Kind::ReturnStatement => {
                    ctl.returns = true;
                    ctl.terminates = true;
                }
                Kind::RaiseStatement | Kind::AssertStatement => ctl.terminates = true,
                Kind::ContinueStatement => {
                    ctl.continues = true;
                    ctl.terminates = true;
                }
                // A call of a terminating function.
                Kind::Call => {
                    ctl.exits = true;
                    ctl.terminates = true;
                }
                _ => {}
            }
        }
        if matches!(kind, Kind::BreakStatement | Kind::ContinueStatement) {
            let mut next = self.frame.ctl;
            while let Some(c) = next {
                let ctl = &mut self.m.ctls[c.index()];
                if ctl.kind == CtlKind::If {
                    ctl.has_break_or_continue = true;
                }
                next = ctl.parent;
            }
        }
    }

    // ---- statements ----------------------------------------------------------------

    fn walk_block(&mut self, node: Node) {
        let stretch = self.at_least_once_body.take();
        let units = std::mem::take(&mut self.units_next);
        let end = node.end_byte() as u32;
        for child in named_children(node) {
            let stretched = stretch.filter(|(_, i)| self.frame.loops.get(*i).is_some_and(|l| !l.jumped));
            self.block_child_start = child.start_byte() as u32;
            self.block_child_dom = stretched.map_or(end, |(outer, _)| outer.max(end));
            if units && is_unit(child) {
                let before = self.entry_counts();
                self.walk_stmt(child);
                self.record_unit(child, before, (node.start_byte() as u32, end));
            } else {
                self.walk_stmt(child);
            }
        }
    }

    fn record_unit(&mut self, stmt: Node, before: [u32; 4], block: (u32, u32)) {
        let after = self.entry_counts();
        let span = UnitSpan::of(stmt, [0, 1, 2, 3].map(|k| (before[k], after[k])), self.scope, block);
        self.m.units.push(span);
    }

    fn walk_stmt(&mut self, node: Node) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        let saved = self.set_stmt(node);
        match kind_of(node) {
            Kind::ExpressionStatement => self.walk_expression_statement(node),
            Kind::ReturnStatement | Kind::RaiseStatement => {
                self.walk_children(node);
                self.note_jump(kind_of(node));
            }
            // Skipped under `python -O`, and the message only runs when the test fails.
            Kind::AssertStatement => {
                self.cond_expr(|b| b.walk_children(node));
                self.note_jump(kind_of(node));
            }
            Kind::BreakStatement | Kind::ContinueStatement => self.note_jump(kind_of(node)),
            Kind::DeleteStatement => {
                for child in named_children(node) {
                    self.walk_del_target(child);
                }
            }
            Kind::GlobalStatement | Kind::NonlocalStatement => {
                let global = kind_of(node) == Kind::GlobalStatement;
                for child in named_children(node).filter(|c| kind_of(*c) == Kind::Identifier) {
                    let name = self.intern(child);
                    let scope = &mut self.m.scopes[self.scope.index()];
                    let list = if global { &mut scope.globals } else { &mut scope.nonlocals };
                    list.push((name, child.start_byte() as u32));
                }
            }
            Kind::ImportStatement => self.walk_import(node, BindingKind::Import),
            Kind::ImportFromStatement => self.walk_import(node, BindingKind::FromImport),
            Kind::FutureImportStatement => {
                if self.text(node).contains("annotations") {
                    self.m.postponed_annotations = true;
                }
            }
            Kind::IfStatement => self.walk_if(node),
            Kind::ForStatement => self.walk_for(node),
            Kind::WhileStatement => self.walk_while(node),
            Kind::TryStatement => self.walk_try(node),
            Kind::WithStatement => self.walk_with(node),
            Kind::MatchStatement => self.walk_match(node),
            Kind::FunctionDefinition => self.walk_function(node),
            Kind::ClassDefinition => self.walk_class(node),
            Kind::DecoratedDefinition => {
                for child in named_children(node) {
                    match kind_of(child) {
                        Kind::Decorator => self.walk_children(child),
                        Kind::FunctionDefinition => self.walk_function(child),
                        Kind::ClassDefinition => self.walk_class(child),
                        _ => self.walk_stmt(child),
                    }
                }
            }
            Kind::PassStatement | Kind::Comment | Kind::TypeAliasStatement => {}
            Kind::Block | Kind::Module => self.walk_block(node),
            _ => self.walk_expr(node),
        }
        self.restore_stmt(saved);
        self.depth -= 1;
    }

    fn walk_expression_statement(&mut self, node: Node) {
        let end = node.end_byte() as u32;
        for child in named_children(node) {
            match kind_of(child) {
                Kind::Assignment => self.walk_assignment(child, end),
                Kind::AugmentedAssignment => self.walk_aug_assignment(child, end),
                _ => self.walk_expr(child),
            }
        }
        let mut children = named_children(node);
        if let (Some(only), None) = (children.next(), children.next()) {
            if kind_of(only) == Kind::Call {
                if let Some(f) = only.field(Field::Function) {
                    if TERMINATING_CALLS.contains(&self.text(f)) {
                        self.note_jump(Kind::Call);
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
        if let Some(l) = left.filter(|l| kind_of(*l) == Kind::PatternList) {
            let items: Vec<Node> = named_children(l).filter(|c| kind_of(*c) != Kind::Comment).collect();
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
            match kind_of(right) {
                Kind::Assignment => self.walk_assignment(right, end),
                Kind::AugmentedAssignment => self.walk_aug_assignment(right, end),
                Kind::Identifier => {
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
                    if simple && kind_of(t) == Kind::Identifier {
                        self.bind_full(t, kind, end, true);
                    } else {
                        self.walk_target(t, kind, end);
                    }
                }
            } else if kind_of(left) == Kind::Identifier {
                self.bind_full(left, kind, end, true);
            } else {
                self.walk_target(left, kind, end);
            }
        }
    }

    fn walk_aug_assignment(&mut self, node: Node, end: u32) {
        let left = node.field(Field::Left);
        if let Some(left) = left {
            if kind_of(left) == Kind::Identifier {
                self.reference(left, RefContext::AugStore);
            } else {
                self.walk_expr(left);
            }
        }
        if let Some(right) = node.field(Field::Right) {
            match kind_of(right) {
                Kind::Assignment => self.walk_assignment(right, end),
                Kind::AugmentedAssignment => self.walk_aug_assignment(right, end),
                _ => self.walk_expr(right),
            }
        }
        if let Some(left) = left {
            if kind_of(left) == Kind::Identifier {
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
        match kind_of(node) {
            Kind::Identifier => {
                self.bind(node, kind, effective);
            }
            Kind::PatternList | Kind::TuplePattern | Kind::ListPattern | Kind::Tuple | Kind::List | Kind::ParenthesizedExpression | Kind::ListSplatPattern
            | Kind::ListSplat | Kind::ExpressionList | Kind::AsPatternTarget | Kind::CasePattern => {
                for child in named_children(node) {
                    self.walk_target(child, kind, effective);
                }
            }
            Kind::Comment => {}
            _ => self.walk_expr(node),
        }
        self.depth -= 1;
    }

    fn walk_del_target(&mut self, node: Node) {
        match kind_of(node) {
            Kind::Identifier => {
                self.reference(node, RefContext::Del);
                self.bind(node, BindingKind::Deletion, node.end_byte() as u32);
            }
            Kind::ExpressionList | Kind::Tuple | Kind::List | Kind::ParenthesizedExpression | Kind::PatternList => {
                for child in named_children(node) {
                    self.walk_del_target(child);
                }
            }
            _ => self.walk_expr(node),
        }
    }

    fn walk_import(&mut self, node: Node, binding: BindingKind) {
        let end = node.end_byte() as u32;
        for child in node.children_iter() {
            if kind_of(child) == Kind::WildcardImport {
                self.m.scopes[self.scope.index()].star_import = true;
                continue;
            }
            if child.field_id() != field_id(Field::Name) {
                continue;
            }
            match kind_of(child) {
                Kind::AliasedImport => {
                    if let Some(alias) = child.field(Field::Alias) {
                        self.bind(alias, binding, end);
                    }
                }
                Kind::DottedName => {
                    // `import a.b` binds `a`; `from m import a` binds `a`.
                    if let Some(first) = child.named_child(0) {
                        if kind_of(first) == Kind::Identifier {
                            self.bind(first, binding, end);
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
            for alt in in_field(node, Field::Alternative) {
                index = index.saturating_add(1);
                match kind_of(alt) {
                    Kind::ElifClause => {
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
            if kind_of(right) == Kind::Identifier {
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
        match kind_of(node) {
            Kind::List | Kind::Tuple | Kind::Set => node.named_child_count() > 0,
            Kind::ParenthesizedExpression => node.named_child(0).is_some_and(|c| self.non_empty_literal(c)),
            Kind::String => named_children(node).any(|c| kind_of(c) == Kind::StringContent && !c.byte_range().is_empty()),
            _ => false,
        }
    }

    /// A `while` test that is always true: `True` or a non-zero integer literal.
    fn always_true(&self, node: Node) -> bool {
        match kind_of(node) {
            Kind::True => true,
            Kind::Integer => self.text(node).bytes().any(|c| c.is_ascii_digit() && c != b'0'),
            Kind::ParenthesizedExpression => node.named_child(0).is_some_and(|c| self.always_true(c)),
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
                    if kind_of(child) == Kind::Block {
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
        let guards = named_children(node).any(|c| kind_of(c) == Kind::ExceptClause && self.handler_catches_name_error(c, false));
        self.within(try_ctl, |b| {
            for child in named_children(node) {
                match kind_of(child) {
                    Kind::Block => {
                        let ctl = b.push_ctl(CtlKind::TryBody, child);
                        if guards {
                            b.name_error_guard += 1;
                        }
                        b.within(ctl, |b| b.walk_block(child));
                        if guards {
                            b.name_error_guard -= 1;
                        }
                    }
                    Kind::ExceptClause | Kind::ExceptGroupClause => b.walk_handler(child),
                    Kind::ElseClause => b.walk_else(child, CtlKind::TryElse),
                    Kind::FinallyClause => {
                        let ctl = b.push_ctl(CtlKind::Finally, child);
                        b.within(ctl, |b| {
                            for c in named_children(child) {
                                if kind_of(c) == Kind::Block {
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
        for node in in_field(clause, Field::Value) {
            has_value = true;
            let typ = if kind_of(node) == Kind::AsPattern { node.named_child(0).unwrap_or(node) } else { node };
            if self.text(typ).contains("NameError") {
                return true;
            }
        }
        bare_counts && !has_value
    }

    fn walk_handler(&mut self, clause: Node) {
        let saved = self.set_stmt(clause);
        let ctl = self.push_ctl(CtlKind::Handler, clause);
        let catches = self.handler_catches_name_error(clause, true);
        self.m.ctls[ctl.index()].catches_name_error = catches;
        let block = named_children(clause).find(|n| kind_of(*n) == Kind::Block);
        let effective = block.map(|b| b.start_byte() as u32).unwrap_or(clause.end_byte() as u32);
        self.within(ctl, |b| {
            b.conditionally(|b| {
                let mut test: Option<(u32, u32)> = None;
                let (value, alias) = (field_id(Field::Value), field_id(Field::Alias));
                for node in named_children(clause) {
                    match node.field_id() {
                        field if field == value => {
                            if kind_of(node) == Kind::AsPattern {
                                if let Some(typ) = node.named_child(0) {
                                    test = Some((typ.start_byte() as u32, typ.end_byte() as u32));
                                    b.walk_expr(typ);
                                }
                                if let Some(alias) = node.field(Field::Alias) {
                                    b.bind_handler_alias(alias, effective);
                                }
                            } else {
                                test = Some((node.start_byte() as u32, node.end_byte() as u32));
                                b.walk_expr(node);
                            }
                        }
                        field if field == alias => b.bind_handler_alias(node, effective),
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
        let ident = if kind_of(alias) == Kind::Identifier { Some(alias) } else { alias.named_child(0).filter(|c| kind_of(*c) == Kind::Identifier) };
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
                match kind_of(child) {
                    Kind::WithClause => {
                        for item in named_children(child) {
                            let Some(value) = item.field(Field::Value) else {
                                b.walk_expr(item);
                                continue;
                            };
                            if kind_of(value) == Kind::AsPattern {
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
                    Kind::Block => {
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
        for extra in in_field(node, Field::Subject).skip(1) {
            self.walk_expr(extra);
        }
        let match_ctl = self.push_ctl(CtlKind::Match, node);
        let Some(body) = node.field(Field::Body) else { return };
        self.within(match_ctl, |b| {
            for case in named_children(body).filter(|c| kind_of(*c) == Kind::CaseClause) {
                let ctl = b.push_ctl(CtlKind::Case, case);
                let consequence = case.field(Field::Consequence);
                // Captures bind once the pattern matched, before the guard runs.
                let pattern_end = named_children(case).filter(|c| kind_of(*c) == Kind::CasePattern).map(|c| c.end_byte() as u32).last();
                let effective = pattern_end.or(consequence.map(|c| c.start_byte() as u32)).unwrap_or(case.end_byte() as u32);
                b.within(ctl, |b| {
                    b.conditionally(|b| {
                        for part in named_children(case) {
                            match kind_of(part) {
                                Kind::CasePattern => b.cond_expr(|b| b.walk_pattern(part, effective)),
                                Kind::IfClause => b.cond_expr(|b| b.walk_children(part)),
                                Kind::Block => b.walk_block(part),
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
        match kind_of(node) {
            Kind::Identifier => {
                self.bind(node, BindingKind::MatchCapture, effective);
            }
            Kind::DottedName => {
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
            Kind::ClassPattern => {
                for child in named_children(node) {
                    if kind_of(child) == Kind::DottedName {
                        if let Some(first) = child.named_child(0) {
                            self.reference(first, RefContext::Load);
                        }
                    } else {
                        self.walk_pattern(child, effective);
                    }
                }
            }
            Kind::KeywordPattern => {
                for child in named_children(node).skip(1) {
                    self.walk_pattern(child, effective);
                }
            }
            Kind::DictPattern => {
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
                        if kind_of(child) == Kind::DottedName {
                            if let Some(first) = child.named_child(0) {
                                self.reference(first, RefContext::Load);
                            }
                        }
                    } else {
                        self.walk_pattern(child, effective);
                    }
                }
            }
            Kind::AsPattern => {
                let children: Vec<Node> = named_children(node).collect();
                let n = children.len();
                for (i, child) in children.into_iter().enumerate() {
                    if i + 1 == n && kind_of(child) == Kind::Identifier {
                        self.bind(child, BindingKind::MatchCapture, effective);
                    } else {
                        self.walk_pattern(child, effective);
                    }
                }
            }
            Kind::String | Kind::ConcatenatedString | Kind::Integer | Kind::Float | Kind::True | Kind::False | Kind::None | Kind::ComplexPattern => {}
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
            match kind_of(p) {
                Kind::DefaultParameter => {
                    if let Some(v) = p.field(Field::Value) {
                        self.walk_expr(v);
                    }
                }
                Kind::TypedParameter => {
                    if let Some(t) = p.field(Field::Type) {
                        self.walk_annotation(t);
                    }
                }
                Kind::TypedDefaultParameter => {
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
        match kind_of(p) {
            Kind::Identifier => {
                self.bind(p, BindingKind::Parameter, effective);
            }
            Kind::DefaultParameter | Kind::TypedDefaultParameter => {
                if let Some(n) = p.field(Field::Name) {
                    self.bind_parameter(n, effective);
                }
            }
            Kind::TypedParameter | Kind::ListSplatPattern | Kind::DictionarySplatPattern | Kind::TuplePattern => {
                for c in named_children(p) {
                    if kind_of(c) != Kind::Type {
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
        for e in node.children_iter().filter(|c| kind_of(*c) == Kind::Error) {
            self.walk_expr(e);
        }
        if let Some(body) = node.field(Field::Body) {
            // A top-level class's statements are units.
            self.units_next = self.depth == 1;
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
        match kind_of(node) {
            Kind::Identifier => {
                self.reference(node, RefContext::Load);
            }
            Kind::Attribute => {
                if let Some(obj) = node.field(Field::Object) {
                    self.walk_expr(obj);
                }
            }
            Kind::KeywordArgument => {
                if let Some(v) = node.field(Field::Value) {
                    self.walk_expr(v);
                }
            }
            Kind::Lambda => self.walk_lambda(node),
            Kind::ListComprehension | Kind::SetComprehension | Kind::GeneratorExpression | Kind::DictionaryComprehension => self.walk_comprehension(node),
            Kind::NamedExpression => {
                if let Some(v) = node.field(Field::Value) {
                    self.walk_expr(v);
                }
                if let Some(n) = node.field(Field::Name) {
                    self.bind(n, BindingKind::NamedExpr, node.end_byte() as u32);
                }
            }
            Kind::ConditionalExpression => {
                if let Some(test) = named_children(node).nth(1) {
                    self.walk_expr(test);
                }
                self.conditionally(|b| {
                    b.cond_expr(|b| {
                        for (i, child) in named_children(node).enumerate() {
                            if i != 1 {
                                b.walk_expr(child);
                            }
                        }
                    })
                });
            }
            Kind::BooleanOperator => {
                if let Some(l) = node.field(Field::Left) {
                    self.walk_expr(l);
                }
                if let Some(r) = node.field(Field::Right) {
                    self.conditionally(|b| b.cond_expr(|b| b.walk_expr(r)));
                }
            }
            Kind::Type => self.walk_annotation_inner(node),
            Kind::String | Kind::ConcatenatedString => self.walk_string(node),
            Kind::Integer | Kind::Float | Kind::True | Kind::False | Kind::None | Kind::Ellipsis | Kind::Comment | Kind::EscapeSequence | Kind::StringContent | Kind::StringStart
            | Kind::StringEnd | Kind::KeywordSeparator | Kind::PositionalSeparator | Kind::WildcardImport | Kind::TypeConversion => {}
            Kind::Assignment => {
                let end = node.end_byte() as u32;
                self.walk_assignment(node, end);
            }
            Kind::AugmentedAssignment => {
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
            match kind_of(child) {
                Kind::Interpolation => self.walk_children(child),
                Kind::String => self.walk_string(child),
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
        let body = node.field(Field::Body);
        let mut first = true;
        // The first iterable is evaluated in the enclosing scope.
        if let Some(clause) = named_children(node).find(|c| kind_of(*c) == Kind::ForInClause) {
            for r in in_field(clause, Field::Right) {
                self.walk_expr(r);
            }
        }
        let scope = self.push_scope(ScopeKind::Comprehension, node, None);
        let saved_scope = std::mem::replace(&mut self.scope, scope);
        self.expr_cond += 1;
        self.conditionally(|b| {
            for child in named_children(node) {
                match kind_of(child) {
                    Kind::ForInClause => {
                        if !first {
                            for r in in_field(child, Field::Right) {
                                b.walk_expr(r);
                            }
                        }
                        first = false;
                        if let Some(left) = child.field(Field::Left) {
                            b.walk_target(left, BindingKind::ComprehensionTarget, child.end_byte() as u32);
                        }
                    }
                    Kind::IfClause => b.walk_children(child),
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
