//! What CPython's compiler refuses in a program its parser accepts. `ast.parse` (and so
//! pylint, through astroid) takes these programs; `compile()` raises SyntaxError, and so
//! would importing or running them:
//! - a `global` / `nonlocal` declaration after a use, a binding or a parameter of the
//!   name in the same scope, an annotated name declared global or nonlocal, `import *`
//!   outside the module (CPython's symbol table pass);
//! - `nonlocal` at module level, a name both nonlocal and global, a `nonlocal` name no
//!   enclosing function binds (its analysis pass);
//! - a starred expression outside a display, a call or a subscript, a starred target
//!   outside a list or tuple (its code generation).
//!
//! pylint reports a few of these under its own codes (E0113, E0114, E0115, E0118), which
//! this module reports as pylint does. Beyond those, the first error CPython raises (its
//! passes run one after the other over the whole module) is reported as E0001 with
//! CPython's message, on CPython's line, unless another finding flags that line already:
//! LintSeq must not keep a state Python cannot run.

use crate::lang::python::fields::Field;
use crate::lang::python::model::{BindingKind, Model, NameId, RefContext, ScopeId, ScopeKind, MODULE_SCOPE};
use crate::lang::python::tree::{named_children, Node};
use crate::lang::{CheckInfo, Diagnostic};

use super::syntax_util::text;
use super::Context;

pub const INFOS: &[CheckInfo] = &[
    CheckInfo { code: "E0113", name: "invalid-star-assignment-target", summary: "`*a = ...`: a starred target outside a list or tuple" },
    CheckInfo { code: "E0114", name: "star-needs-assignment-target", summary: "a starred expression as the value of an assignment" },
    CheckInfo { code: "E0115", name: "nonlocal-and-global", summary: "a name a function declares both nonlocal and global" },
    CheckInfo { code: "E0118", name: "used-prior-global-declaration", summary: "a name read in a function before its global declaration" },
];

pub fn run(ctx: &Context, out: &mut Vec<Diagnostic>) {
    if ctx.declarations_and_stars.is_empty() {
        return;
    }
    let directives = directives(ctx);
    pylint_star_checks(ctx, out);
    pylint_declaration_checks(ctx, &directives, out);
    let error = symbol_table_error(ctx, &directives).or_else(|| analysis_error(ctx, &directives)).or_else(|| code_generation_error(ctx));
    if let Some((node, message)) = error {
        // Only where no other check flags the line already (pylint's E0117 for a
        // `nonlocal` without binding, E0114 for `x = *a`...): one report per problem.
        let p = node.start_position();
        if !out.iter().any(|d| d.line == p.row) {
            out.push(Diagnostic::new(p.row, p.column, "E0001", message));
        }
    }
}

/// One name of a `global` or `nonlocal` statement.
struct Directive<'a> {
    statement: Node<'a>,
    name: NameId,
    text: &'a str,
    /// The scope whose code holds the statement.
    scope: ScopeId,
    global: bool,
}

fn directives<'a>(ctx: &Context<'a>) -> Vec<Directive<'a>> {
    let mut out = Vec::new();
    for &node in &ctx.declarations_and_stars {
        let global = match node.kind_str() {
            "global_statement" => true,
            "nonlocal_statement" => false,
            _ => continue,
        };
        let scope = ctx.model.enclosing_scope(node);
        for ident in named_children(node).filter(|c| c.kind_str() == "identifier") {
            let text = text(ctx.source, ident);
            if let Some(name) = ctx.model.name_id(text) {
                out.push(Directive { statement: node, name, text, scope, global });
            }
        }
    }
    out
}

/// The scope whose own code holds the byte range (not counting the scopes nested in it).
fn code_scope(m: &Model, start: u32, end: u32) -> ScopeId {
    m.scopes_holding(start, end).find(|s| m.scope(*s).runs(start, end)).unwrap_or(MODULE_SCOPE)
}

fn keyword(global: bool) -> &'static str {
    if global {
        "global"
    } else {
        "nonlocal"
    }
}

/// CPython's symbol table pass: the first declaration that comes after a use, binding,
/// parameter or annotation of its name in its scope; an annotated assignment to a name
/// the function declared global or nonlocal before; `import *` outside the module.
fn symbol_table_error<'a>(ctx: &Context<'a>, directives: &[Directive<'a>]) -> Option<(Node<'a>, String)> {
    let m = ctx.model;
    let mut first: Option<(Node<'a>, String)> = None;
    let mut consider = |node: Node<'a>, message: String| {
        if first.as_ref().is_none_or(|(f, _)| node.start_byte() < f.start_byte()) {
            first = Some((node, message));
        }
    };
    for d in directives {
        let at = d.statement.start_byte() as u32;
        let (mut param, mut annotated, mut bound) = (false, false, false);
        for &b in m.bindings_named(d.name) {
            let b = m.binding(b);
            if b.start >= at {
                continue;
            }
            let end = b.start + d.text.len() as u32;
            let scope = match b.kind {
                BindingKind::Parameter => b.scope,
                BindingKind::NamedExpr => {
                    // In a comprehension it binds in the enclosing function; at module
                    // level CPython makes it a global of the comprehension instead.
                    let code = code_scope(m, b.start, end);
                    let frame = m.frame_of(code);
                    if frame != code && frame == MODULE_SCOPE {
                        continue;
                    }
                    frame
                }
                _ => code_scope(m, b.start, end),
            };
            if scope != d.scope {
                continue;
            }
            match b.kind {
                BindingKind::Parameter => param = true,
                BindingKind::AnnotatedAssignment | BindingKind::Annotation => annotated = true,
                BindingKind::Import | BindingKind::FromImport => {}
                _ => bound = true,
            }
        }
        let used = m.references.iter().any(|r| r.name == d.name && r.scope == d.scope && r.ctx == RefContext::Load && r.start < at);
        let (kw, name) = (keyword(d.global), d.text);
        let message = if param {
            format!("name '{name}' is parameter and {kw}")
        } else if used {
            format!("name '{name}' is used prior to {kw} declaration")
        } else if annotated {
            format!("annotated name '{name}' can't be {kw}")
        } else if bound {
            format!("name '{name}' is assigned to before {kw} declaration")
        } else {
            continue;
        };
        consider(d.statement, message);
    }
    if !directives.is_empty() {
        // `x: T = v` after `global x` / `nonlocal x` in a function.
        for node in ctx.of_kind("assignment") {
            if node.field(Field::Type).is_none() {
                continue;
            }
            let Some(target) = node.field(Field::Left).filter(|l| l.kind_str() == "identifier") else { continue };
            let scope = code_scope(m, target.start_byte() as u32, target.end_byte() as u32);
            if scope == MODULE_SCOPE {
                continue;
            }
            let name = text(ctx.source, target);
            let declared = directives.iter().find(|d| d.scope == scope && d.text == name && d.statement.start_byte() < node.start_byte());
            if let Some(d) = declared {
                let statement = node.parent().filter(|p| p.kind_str() == "expression_statement").unwrap_or(node);
                consider(statement, format!("annotated name '{name}' can't be {}", keyword(d.global)));
            }
        }
    }
    for &node in &ctx.declarations_and_stars {
        match node.kind_str() {
            "import_from_statement" if named_children(node).any(|c| c.kind_str() == "wildcard_import") => {
                if code_scope(m, node.start_byte() as u32, node.end_byte() as u32) != MODULE_SCOPE {
                    consider(node, "import * only allowed at module level".to_string());
                }
            }
            "named_expression" => {
                if let Some(message) = misplaced_walrus(ctx.source, node) {
                    consider(node, message);
                }
            }
            _ => {}
        }
    }
    first
}

/// CPython's refusals of `:=` in a comprehension: in an iterable (checked first), on a
/// comprehension's iteration variable, or where it would bind in a class body.
fn misplaced_walrus(src: &str, walrus: Node) -> Option<String> {
    let target = text(src, walrus.field(Field::Name)?);
    let mut child = walrus;
    let mut nearest = true;
    let mut in_comprehension = false;
    let mut iteration_variable = false;
    while let Some(parent) = child.parent() {
        match parent.kind_str() {
            "for_in_clause" if nearest && parent.field(Field::Right).is_some_and(|r| r.id() == child.id()) => {
                return Some("assignment expression cannot be used in a comprehension iterable expression".to_string());
            }
            "list_comprehension" | "set_comprehension" | "dictionary_comprehension" | "generator_expression" => {
                nearest = false;
                in_comprehension = true;
                for clause in named_children(parent).filter(|c| c.kind_str() == "for_in_clause") {
                    let Some(left) = clause.field(Field::Left) else { continue };
                    let mut names = Vec::new();
                    super::syntax_util::for_each_node(left, |n| {
                        if n.kind_str() == "identifier" {
                            names.push(n);
                        }
                    });
                    iteration_variable |= names.iter().any(|n| text(src, *n) == target);
                }
            }
            // A def's, class's or lambda's body is a scope of its own (its decorators,
            // defaults and bases are not).
            "lambda" | "function_definition" | "class_definition" if parent.field(Field::Body).is_some_and(|b| b.id() == child.id()) => {
                if parent.kind_str() == "class_definition" && in_comprehension && !iteration_variable {
                    return Some("assignment expression within a comprehension cannot be used in a class body".to_string());
                }
                break;
            }
            _ => {}
        }
        child = parent;
    }
    iteration_variable.then(|| format!("assignment expression cannot rebind comprehension iteration variable '{target}'"))
}

/// CPython's analysis pass, which runs scope by scope (each scope before those nested
/// in it, in order) and name by name: `nonlocal` at module level, a name nonlocal and
/// global, a `nonlocal` name that no enclosing function binds.
fn analysis_error<'a>(ctx: &Context<'a>, directives: &[Directive<'a>]) -> Option<(Node<'a>, String)> {
    let m = ctx.model;
    let mut first: Option<((usize, usize), Node<'a>, String)> = None;
    for (i, d) in directives.iter().enumerate() {
        // A name's errors are reported at its first declaration in the scope.
        if directives[..i].iter().any(|e| e.scope == d.scope && e.name == d.name) {
            continue;
        }
        // A `:=` in a comprehension at module level makes its name a global there.
        let module_walrus = || {
            m.bindings_named(d.name).iter().map(|b| m.binding(*b)).any(|b| {
                let code = code_scope(m, b.start, b.start + d.text.len() as u32);
                b.kind == BindingKind::NamedExpr && code != MODULE_SCOPE && m.frame_of(code) == MODULE_SCOPE
            })
        };
        let both = directives.iter().any(|e| e.scope == d.scope && e.name == d.name && e.global != d.global)
            || (d.scope == MODULE_SCOPE && !d.global && module_walrus());
        let message = if both {
            format!("name '{}' is nonlocal and global", d.text)
        } else if d.global {
            continue;
        } else if d.scope == MODULE_SCOPE {
            "nonlocal declaration not allowed at module level".to_string()
        } else if !bound_in_enclosing_function(m, d) {
            format!("no binding for nonlocal '{}' found", d.text)
        } else {
            continue;
        };
        let key = (d.scope.index(), d.statement.start_byte());
        if first.as_ref().is_none_or(|(k, _, _)| key < *k) {
            first = Some((key, d.statement, message));
        }
    }
    first.map(|(_, node, message)| (node, message))
}

/// Whether a function enclosing the declaration's scope binds its name itself (a
/// parameter or a binding there, not a name it declares global).
fn bound_in_enclosing_function(m: &Model, d: &Directive) -> bool {
    let mut scope = m.scope(d.scope).parent;
    while let Some(s) = scope {
        let sc = m.scope(s);
        if sc.kind == ScopeKind::Module {
            return false;
        }
        if sc.kind.is_function_like() && !m.is_declared_global(s, d.name) && m.is_bound_in(s, d.name) {
            return true;
        }
        scope = sc.parent;
    }
    false
}

/// CPython's code generation: a starred expression out of place, a starred target
/// outside a list or tuple (the first in the program).
fn code_generation_error<'a>(ctx: &Context<'a>) -> Option<(Node<'a>, String)> {
    for &node in &ctx.declarations_and_stars {
        let Some(parent) = node.parent() else { continue };
        match node.kind_str() {
            "list_splat" if splat_parent(node).is_some_and(|p| !unpacks_into(p)) => {
                return Some((node, "can't use starred expression here".to_string()))
            }
            "list_splat_pattern" => {
                let target = matches!(parent.kind_str(), "assignment" | "for_statement" | "for_in_clause") && parent.field(Field::Left).is_some_and(|l| l.id() == node.id());
                if target {
                    return Some((node, "starred assignment target must be in a list or tuple".to_string()));
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether a starred expression directly under `parent` is unpacked into it: an element
/// of a list, set or tuple display (a subscript's items are a tuple), a call argument, or
/// the annotation of `*args` (`*args: *Ts`, the only annotation the parser lets be one).
fn unpacks_into(parent: Node) -> bool {
    matches!(parent.kind_str(), "list" | "set" | "tuple" | "expression_list" | "argument_list" | "subscript" | "type")
}

/// The node a starred expression is an operand of. tree-sitter sometimes binds the `*` to
/// the head of a primary chain only (`*a.b()` as a call of `(*a).b`, after another
/// element), so the chain the splat heads is climbed first.
fn splat_parent(splat: Node) -> Option<Node> {
    let mut top = splat;
    loop {
        let parent = top.parent()?;
        let head = match parent.kind_str() {
            "attribute" => parent.field(Field::Object),
            "call" => parent.field(Field::Function),
            "subscript" => parent.field(Field::Value),
            _ => None,
        };
        if head.is_none_or(|h| h.id() != top.id()) {
            return Some(parent);
        }
        top = parent;
    }
}

/// pylint's E0113 (`*a = b`) and E0114 (`x = *a`), as its basic checker reports them.
fn pylint_star_checks(ctx: &Context, out: &mut Vec<Diagnostic>) {
    for &node in &ctx.declarations_and_stars {
        match node.kind_str() {
            "list_splat_pattern" => {
                // The first target of a plain assignment (not one of a chain's later ones).
                let Some(assignment) = node.parent().filter(|p| p.kind_str() == "assignment") else { continue };
                let first_target = assignment.field(Field::Left).is_some_and(|l| l.id() == node.id())
                    && assignment.field(Field::Type).is_none()
                    && assignment.parent().is_none_or(|p| p.kind_str() != "assignment");
                if first_target {
                    let p = assignment.start_position();
                    out.push(Diagnostic::new(p.row, p.column, "E0113", "Starred assignment target must be in a list or tuple"));
                }
            }
            "list_splat" => {
                // In the value of a plain assignment, not unpacked into a display or call.
                if splat_parent(node).is_none_or(unpacks_into) || !in_assigned_value(node) {
                    continue;
                }
                let p = node.start_position();
                out.push(Diagnostic::new(p.row, p.column, "E0114", "Can use starred expression only in assignment target"));
            }
            _ => {}
        }
    }
}

/// Whether the node is inside the value of a plain assignment statement (`a = b = <v>`,
/// not an annotated or augmented one): pylint's `stmt.value is node or
/// stmt.value.parent_of(node)`.
fn in_assigned_value(node: Node) -> bool {
    let mut statement = node;
    while let Some(parent) = statement.parent() {
        if parent.kind_str() == "expression_statement" {
            break;
        }
        statement = parent;
    }
    let mut value = statement;
    while value.kind_str() == "assignment" && value.field(Field::Type).is_none() {
        match value.field(Field::Right) {
            Some(right) => value = right,
            None => return false,
        }
    }
    value.id() != statement.id() && value.start_byte() <= node.start_byte() && node.end_byte() <= value.end_byte()
}

/// pylint's E0115 (a function declaring a name nonlocal and global, on the def) and
/// E0118 (a read of a name in a function on a line before the function's `global`
/// declaration of it).
fn pylint_declaration_checks(ctx: &Context, directives: &[Directive], out: &mut Vec<Diagnostic>) {
    let m = ctx.model;
    let root = ctx.tree.root_node();
    for (i, d) in directives.iter().enumerate() {
        if m.scope(d.scope).kind != ScopeKind::Function {
            continue;
        }
        let def = m.scope_node(root, d.scope);
        if !d.global && !directives[..i].iter().any(|e| e.scope == d.scope && e.name == d.name && !e.global) {
            // One E0115 per name: at its first nonlocal declaration in the function.
            if directives.iter().any(|e| e.scope == d.scope && e.name == d.name && e.global) {
                let p = def.start_position();
                out.push(Diagnostic::new(p.row, p.column, "E0115", format!("Name '{}' is nonlocal and global", d.text)));
            }
        }
        if d.global && !directives[i + 1..].iter().any(|e| e.scope == d.scope && e.name == d.name && e.global) {
            // pylint keeps the last global declaration of a name per function.
            let line = d.statement.start_position().row as u32;
            for r in &m.references {
                // astroid's scope of the read: the innermost def, lambda, class or
                // comprehension around it (a default value's is the def it belongs to).
                let astroid_scope = || m.scopes_holding(r.start, r.start + d.text.len() as u32).next().unwrap_or(MODULE_SCOPE);
                if r.name == d.name && r.ctx == RefContext::Load && r.line < line && astroid_scope() == d.scope {
                    out.push(Diagnostic::new(r.line as usize, r.column as usize, "E0118", format!("Name '{}' is used prior to global declaration", d.text)));
                }
            }
        }
    }
}
