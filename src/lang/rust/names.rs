//! Rust's names over the tree-sitter-rust tree, simplified: items (functions, types,
//! traits, constants, modules, macros, `use` leaves) are visible everywhere in the file;
//! locals (parameters, `let`, `match`/`if let`/`for` patterns, closure parameters,
//! generic parameters) are visible in their block from their declaration on. Only the
//! first segment of a path is resolved. Identifiers inside macro calls are references
//! too, and so are `{name}` captures in their string literals.

use std::collections::{HashMap, HashSet};

use tree_sitter::{Node, Tree};

use crate::lang::{Diagnostic, ProgramContext};

/// The prelude's names, primitive types, and keywords that parse as identifiers.
const PRELUDE: &[&str] = &[
    "Option", "Some", "None", "Result", "Ok", "Err", "Vec", "String", "Box", "ToString", "ToOwned", "Clone", "Copy",
    "Send", "Sync", "Sized", "Unpin", "Drop", "Fn", "FnMut", "FnOnce", "Iterator", "IntoIterator",
    "DoubleEndedIterator", "ExactSizeIterator", "Extend", "Default", "Eq", "PartialEq", "Ord", "PartialOrd", "AsRef",
    "AsMut", "Into", "From", "TryFrom", "TryInto", "FromIterator", "drop", "Self", "self", "std", "core", "alloc",
    "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize", "f32", "f64", "bool",
    "char", "str", "crate", "super", "_",
];

/// Macros of the standard library's prelude.
const MACROS: &[&str] = &[
    "println", "print", "eprintln", "eprint", "format", "vec", "panic", "assert", "assert_eq", "assert_ne",
    "debug_assert", "debug_assert_eq", "debug_assert_ne", "write", "writeln", "unreachable", "unimplemented", "todo",
    "matches", "format_args", "concat", "stringify", "include_str", "include_bytes", "include", "env", "option_env",
    "cfg", "line", "file", "column", "module_path", "dbg", "compile_error", "thread_local", "const_format_args",
];

#[derive(Debug)]
struct Reference {
    name: String,
    row: usize,
    column: usize,
}

/// Marks, in the context, a name the full program binds more than once (a `let` that
/// shadows a parameter, an outer `let` or an item).
const REBOUND: &str = "rebound ";
/// A use of a rebound name in the full program: name, its line, the line of the binding.
const RESOLVED: &str = "resolved ";

#[derive(Debug, Default)]
pub struct Model {
    unresolved: Vec<Reference>,
    /// Every reference: (name, row of the use, row of the local binding it resolves to,
    /// `None` for an item or a name from outside).
    resolutions: Vec<(String, usize, Option<usize>)>,
    /// Names bound by a parameter, `let` or pattern, with how often.
    local_bindings: HashMap<String, usize>,
    lines: Vec<String>,
}

impl Model {
    pub fn build(tree: &Tree, source: &str) -> Model {
        let mut b = Builder { src: source.as_bytes(), items: HashSet::new(), scopes: vec![HashMap::new()], model: Model::default() };
        let root = tree.root_node();
        b.collect_items(root);
        b.visit(root);
        let mut model = b.model;
        model.lines = source.split('\n').map(|l| l.trim().to_string()).collect();
        model
    }

    fn resolution_key(&self, name: &str, use_row: usize, binding: Option<usize>) -> String {
        let line = |row: usize| self.lines.get(row).map_or("", String::as_str);
        format!("{RESOLVED}{name}\u{1}{}\u{1}{}", line(use_row), binding.map_or("", line))
    }

    pub fn context(&self) -> ProgramContext {
        let mut ctx = ProgramContext::default();
        for r in &self.unresolved {
            ctx.external_names.insert(r.name.clone());
        }
        // A name bound twice, or bound and also an item or outer name: which binding
        // each use reaches is part of the program (a deleted shadowing `let` leaves
        // its uses on the outer binding, of another type).
        let mut targets: HashMap<&str, HashSet<Option<usize>>> = HashMap::new();
        for (name, _, binding) in &self.resolutions {
            targets.entry(name).or_default().insert(*binding);
        }
        for (name, count) in &self.local_bindings {
            if *count > 1 || targets.get(name.as_str()).is_some_and(|t| t.contains(&None)) {
                ctx.external_names.insert(format!("{REBOUND}{name}"));
            }
        }
        for (name, row, binding) in &self.resolutions {
            if self.local_bindings.contains_key(name) {
                ctx.external_names.insert(self.resolution_key(name, *row, *binding));
            }
        }
        ctx
    }

    pub fn diagnostics(&self, ctx: &ProgramContext) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for r in self.unresolved.iter().filter(|r| !ctx.external_names.contains(&r.name)) {
            out.push(Diagnostic::new(r.row, r.column, "E0602", format!("cannot find `{}` in this scope", r.name)));
        }
        for (name, row, binding) in &self.resolutions {
            if ctx.external_names.contains(&format!("{REBOUND}{name}")) && !ctx.external_names.contains(&self.resolution_key(name, *row, *binding)) {
                out.push(Diagnostic::new(*row, 0, "E0602", format!("`{name}` now names another binding (its shadowing `let` is gone)")));
            }
        }
        out
    }
}

struct Builder<'a> {
    src: &'a [u8],
    /// Every item name and `use` leaf in the file (macros as `name!`).
    items: HashSet<String>,
    /// Local bindings: name -> row of the binding.
    scopes: Vec<HashMap<String, usize>>,
    model: Model,
}

fn named(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).filter(|c| !c.kind().ends_with("comment")).collect()
}

impl Builder<'_> {
    fn text(&self, node: Node) -> String {
        node.utf8_text(self.src).unwrap_or("").to_string()
    }

    fn collect_items(&mut self, node: Node) {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "function_item" | "function_signature_item" | "struct_item" | "enum_item" | "union_item" | "trait_item"
                | "type_item" | "const_item" | "static_item" | "mod_item" | "enum_variant" | "associated_type" => {
                    if let Some(name) = n.child_by_field_name("name") {
                        let t = self.text(name);
                        self.items.insert(t);
                    }
                }
                "macro_definition" => {
                    if let Some(name) = n.child_by_field_name("name") {
                        let t = self.text(name);
                        self.items.insert(format!("{t}!"));
                    }
                }
                "extern_crate_declaration" => {
                    let name = n.child_by_field_name("alias").or_else(|| n.child_by_field_name("name"));
                    if let Some(name) = name {
                        let t = self.text(name);
                        self.items.insert(t);
                    }
                }
                "use_declaration" => {
                    if let Some(arg) = n.child_by_field_name("argument") {
                        self.use_leaves(arg);
                    }
                    continue;
                }
                _ => {}
            }
            stack.extend(named(n));
        }
    }

    fn use_leaves(&mut self, node: Node) {
        match node.kind() {
            "identifier" => {
                let t = self.text(node);
                self.items.insert(t.clone());
                self.items.insert(format!("{t}!"));
            }
            "scoped_identifier" => {
                if let Some(name) = node.child_by_field_name("name") {
                    self.use_leaves(name);
                }
            }
            "use_as_clause" => {
                if let Some(alias) = node.child_by_field_name("alias") {
                    self.use_leaves(alias);
                }
            }
            "scoped_use_list" => {
                if let Some(list) = node.child_by_field_name("list") {
                    self.use_leaves(list);
                }
            }
            "use_list" => {
                for c in named(node) {
                    self.use_leaves(c);
                }
            }
            _ => {}
        }
    }

    fn declare(&mut self, node: Node) {
        let t = self.text(node);
        *self.model.local_bindings.entry(t.clone()).or_default() += 1;
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(t, node.start_position().row);
        }
    }

    fn reference_name(&mut self, name: String, node: Node) {
        if name.is_empty() {
            return;
        }
        let binding = self.scopes.iter().rev().find_map(|s| s.get(&name)).copied();
        self.model.resolutions.push((name.clone(), node.start_position().row, binding));
        if binding.is_some() || PRELUDE.contains(&name.as_str()) || self.items.contains(&name) {
            return;
        }
        let pos = node.start_position();
        self.model.unresolved.push(Reference { name, row: pos.row, column: pos.column });
    }

    fn reference(&mut self, node: Node) {
        let name = self.text(node);
        self.reference_name(name, node);
    }

    fn scoped(&mut self, f: impl FnOnce(&mut Self)) {
        self.scopes.push(HashMap::new());
        f(self);
        self.scopes.pop();
    }

    fn visit_all(&mut self, node: Node) {
        for c in named(node) {
            self.visit(c);
        }
    }

    /// Declares the bindings of a pattern; reads the paths and constants in it.
    fn pattern(&mut self, node: Node) {
        match node.kind() {
            "identifier" => {
                let t = self.text(node);
                if t.starts_with(|c: char| c.is_ascii_uppercase()) {
                    self.reference(node);
                } else {
                    self.declare(node);
                }
            }
            "shorthand_field_identifier" => self.declare(node),
            "field_pattern" => {
                if let Some(p) = node.child_by_field_name("pattern") {
                    self.pattern(p);
                } else if let Some(name) = node.child_by_field_name("name") {
                    self.declare(name);
                }
            }
            "tuple_struct_pattern" | "struct_pattern" => {
                if let Some(ty) = node.child_by_field_name("type") {
                    self.path_head(ty);
                }
                for c in named(node) {
                    if Some(c) != node.child_by_field_name("type") {
                        self.pattern(c);
                    }
                }
            }
            "scoped_identifier" | "scoped_type_identifier" | "type_identifier" => self.path_head(node),
            "range_pattern" | "string_literal" | "integer_literal" | "char_literal" | "float_literal" | "boolean_literal" => {
                self.visit_all(node)
            }
            _ => {
                for c in named(node) {
                    self.pattern(c);
                }
            }
        }
    }

    /// Resolves the first segment of a path (`a` of `a::b::c`).
    fn path_head(&mut self, node: Node) {
        match node.kind() {
            "identifier" | "type_identifier" => self.reference(node),
            "scoped_identifier" | "scoped_type_identifier" => {
                if let Some(path) = node.child_by_field_name("path") {
                    self.path_head(path);
                }
            }
            "generic_type" => {
                if let Some(ty) = node.child_by_field_name("type") {
                    self.path_head(ty);
                }
                if let Some(args) = node.child_by_field_name("type_arguments") {
                    self.visit(args);
                }
            }
            _ => self.visit(node),
        }
    }

    fn generics(&mut self, node: Node) {
        if let Some(params) = node.child_by_field_name("type_parameters") {
            for p in named(params) {
                match p.kind() {
                    "type_parameter" | "constrained_type_parameter" | "const_parameter" => {
                        if let Some(name) = p.child_by_field_name("name").or_else(|| p.child_by_field_name("left")) {
                            self.declare(name);
                        } else if let Some(first) = named(p).first() {
                            self.declare(*first);
                        }
                    }
                    _ => {}
                }
            }
            for p in named(params) {
                for c in named(p).into_iter().skip(1) {
                    self.visit(c);
                }
            }
        }
    }

    fn visit(&mut self, node: Node) {
        match node.kind() {
            "identifier" | "type_identifier" => self.reference(node),
            "field_identifier" | "shorthand_field_identifier" | "lifetime" | "label" | "attribute_item" | "inner_attribute_item"
            | "use_declaration" | "extern_crate_declaration" | "macro_definition" | "char_literal" | "raw_string_literal"
            | "integer_literal" | "float_literal" | "primitive_type" | "self" | "crate" | "super" | "metavariable" => {}
            "string_literal" => {}
            "scoped_identifier" | "scoped_type_identifier" | "generic_type" => self.path_head(node),
            "function_item" | "closure_expression" | "function_signature_item" => self.scoped(|b| {
                b.generics(node);
                if let Some(params) = node.child_by_field_name("parameters") {
                    for p in named(params) {
                        if p.kind() == "parameter" {
                            if let Some(ty) = p.child_by_field_name("type") {
                                b.visit(ty);
                            }
                            if let Some(pat) = p.child_by_field_name("pattern") {
                                b.pattern(pat);
                            }
                        } else if p.kind() != "self_parameter" {
                            b.pattern(p);
                        }
                    }
                }
                for c in named(node) {
                    if c.kind() == "where_clause" {
                        b.visit(c);
                    }
                }
                if let Some(ret) = node.child_by_field_name("return_type") {
                    b.visit(ret);
                }
                if let Some(body) = node.child_by_field_name("body") {
                    if body.kind() == "block" {
                        b.visit_all(body);
                    } else {
                        b.visit(body);
                    }
                }
            }),
            "struct_item" | "enum_item" | "union_item" | "trait_item" | "impl_item" | "type_item" => self.scoped(|b| {
                b.generics(node);
                for c in named(node) {
                    if Some(c) != node.child_by_field_name("name") && c.kind() != "type_parameters" {
                        b.visit(c);
                    }
                }
            }),
            "const_item" | "static_item" => {
                for field in ["type", "value"] {
                    if let Some(c) = node.child_by_field_name(field) {
                        self.visit(c);
                    }
                }
            }
            "mod_item" => {
                if let Some(body) = node.child_by_field_name("body") {
                    self.visit(body);
                }
            }
            "enum_variant" | "field_declaration" => {
                for c in named(node) {
                    if Some(c) != node.child_by_field_name("name") {
                        self.visit(c);
                    }
                }
            }
            "block" | "match_arm" | "for_expression" | "if_expression" | "while_expression" | "loop_expression" => {
                self.scoped(|b| match node.kind() {
                    "match_arm" => {
                        if let Some(p) = node.child_by_field_name("pattern") {
                            for c in named(p) {
                                if Some(c) == p.child_by_field_name("condition") {
                                    continue;
                                }
                                b.pattern(c);
                            }
                            if let Some(cond) = p.child_by_field_name("condition") {
                                b.visit(cond);
                            }
                        }
                        if let Some(v) = node.child_by_field_name("value") {
                            b.visit(v);
                        }
                    }
                    "for_expression" => {
                        if let Some(v) = node.child_by_field_name("value") {
                            b.visit(v);
                        }
                        if let Some(p) = node.child_by_field_name("pattern") {
                            b.pattern(p);
                        }
                        if let Some(body) = node.child_by_field_name("body") {
                            b.visit(body);
                        }
                    }
                    _ => b.visit_all(node),
                })
            }
            "let_condition" => {
                if let Some(v) = node.child_by_field_name("value") {
                    self.visit(v);
                }
                if let Some(p) = node.child_by_field_name("pattern") {
                    self.pattern(p);
                }
            }
            "let_declaration" => {
                for field in ["type", "value", "alternative"] {
                    if let Some(c) = node.child_by_field_name(field) {
                        self.visit(c);
                    }
                }
                if let Some(p) = node.child_by_field_name("pattern") {
                    self.pattern(p);
                }
            }
            "field_expression" => {
                if let Some(v) = node.child_by_field_name("value") {
                    self.visit(v);
                }
            }
            "struct_expression" => {
                if let Some(name) = node.child_by_field_name("name") {
                    self.path_head(name);
                }
                if let Some(body) = node.child_by_field_name("body") {
                    self.visit(body);
                }
            }
            "field_initializer" => {
                if let Some(v) = node.child_by_field_name("value") {
                    self.visit(v);
                }
            }
            "macro_invocation" => {
                if let Some(m) = node.child_by_field_name("macro") {
                    if m.kind() == "identifier" {
                        let name = self.text(m);
                        if !MACROS.contains(&name.as_str()) {
                            self.reference_name(format!("{name}!"), m);
                        }
                    } else {
                        self.path_head(m);
                    }
                }
                for c in named(node) {
                    if c.kind() == "token_tree" {
                        self.token_tree(c);
                    }
                }
            }
            "call_expression" | "type_arguments" => self.visit_all(node),
            _ => self.visit_all(node),
        }
    }

    /// Inside a macro call: identifiers not after `.` or `::` are references; so are
    /// `{name}` captures in string literals.
    fn token_tree(&mut self, node: Node) {
        let mut cursor = node.walk();
        let children: Vec<Node> = node.children(&mut cursor).collect();
        for (i, c) in children.iter().enumerate() {
            let prev = i.checked_sub(1).map(|p| children[p].kind());
            let next = children.get(i + 1).map(|n| n.kind());
            match c.kind() {
                "token_tree" => self.token_tree(*c),
                "identifier" if !matches!(prev, Some(".") | Some("::") | Some("$")) && !matches!(next, Some("!") | Some("=") | Some(":")) => {
                    self.reference(*c)
                }
                "string_literal" => {
                    let text = self.text(*c);
                    for name in captures(&text) {
                        self.reference_name(name, *c);
                    }
                }
                _ => {}
            }
        }
    }
}

/// The `{name}` / `{name:...}` captures of a format string.
fn captures(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == '{' {
            if bytes.get(i + 1) == Some(&'{') {
                i += 2;
                continue;
            }
            let mut j = i + 1;
            while j < bytes.len() && (bytes[j].is_alphanumeric() || bytes[j] == '_') {
                j += 1;
            }
            let name: String = bytes[i + 1..j].iter().collect();
            if j > i + 1 && matches!(bytes.get(j), Some('}') | Some(':')) && !name.starts_with(|c: char| c.is_ascii_digit()) {
                out.push(name);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}
