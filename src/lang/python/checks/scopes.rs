//! A small, self-contained binder for the inference checks (context, members, calls):
//! which names each scope binds, and how a name read at some point resolves. It reads
//! only the tree-sitter tree; it is deliberately coarse and the checks built on it stay
//! silent whenever a name has more than one binding.

use tree_sitter::Node;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Function,
    Class,
    Lambda,
    Comprehension,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindKind {
    /// A `def` (the node is the function_definition).
    Function,
    /// A `class` (the node is the class_definition).
    Class,
    /// A parameter of the scope's function (the node is the identifier).
    Param,
    /// `import` / `from ... import` (never resolved).
    Import,
    /// `x: T` with no value.
    Annotation,
    /// Any other binding: assignment, for target, with/except alias, del, walrus...
    Other,
}

#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    pub name: &'a str,
    pub kind: BindKind,
    pub node: Node<'a>,
}

#[derive(Debug)]
pub struct Scope<'a> {
    pub kind: ScopeKind,
    pub node: Node<'a>,
    pub parent: Option<usize>,
    pub bindings: Vec<Binding<'a>>,
    /// Names declared `global` / `nonlocal` here.
    pub declared: Vec<&'a str>,
    /// The scope has `from m import *` (any name may be bound).
    pub star_import: bool,
}

pub struct Scopes<'a> {
    pub src: &'a str,
    pub scopes: Vec<Scope<'a>>,
    /// (node id of a scope-creating node, scope index), sorted by node id.
    by_node: Vec<(usize, usize)>,
}

pub fn text<'a>(src: &'a str, node: Node) -> &'a str {
    src.get(node.byte_range()).unwrap_or("")
}

pub fn is_comprehension(kind: &str) -> bool {
    matches!(kind, "list_comprehension" | "set_comprehension" | "dictionary_comprehension" | "generator_expression")
}

/// The function_definition / class_definition inside a possibly decorated definition.
pub fn undecorated(node: Node) -> Node {
    if node.kind() == "decorated_definition" {
        node.child_by_field_name("definition").unwrap_or(node)
    } else {
        node
    }
}

/// The decorated_definition wrapping `def_node`, if any.
pub fn decorator_parent(def_node: Node) -> Option<Node> {
    def_node.parent().filter(|p| p.kind() == "decorated_definition")
}

/// The text of each decorator's expression (without `@`).
pub fn decorators<'a>(src: &'a str, def_node: Node<'a>) -> impl Iterator<Item = &'a str> + 'a {
    let parent = decorator_parent(def_node);
    let mut items = Vec::new();
    if let Some(p) = parent {
        let mut cursor = p.walk();
        for child in p.children(&mut cursor) {
            if child.kind() == "decorator" {
                let t = text(src, child).trim_start_matches('@').trim();
                items.push(t);
            }
        }
    }
    items.into_iter()
}

impl<'a> Scopes<'a> {
    pub fn build(src: &'a str, root: Node<'a>) -> Scopes<'a> {
        let mut s = Scopes { src, scopes: Vec::new(), by_node: Vec::new() };
        let module = s.push(ScopeKind::Module, root, None);
        s.walk_children(root, module);
        s.by_node.sort_unstable();
        s
    }

    fn push(&mut self, kind: ScopeKind, node: Node<'a>, parent: Option<usize>) -> usize {
        let id = self.scopes.len();
        self.scopes.push(Scope { kind, node, parent, bindings: Vec::new(), declared: Vec::new(), star_import: false });
        self.by_node.push((node.id(), id));
        id
    }

    fn bind(&mut self, scope: usize, name_node: Node<'a>, kind: BindKind, node: Node<'a>) {
        let name = text(self.src, name_node);
        self.scopes[scope].bindings.push(Binding { name, kind, node });
    }

    /// The scope a scope-creating node (function_definition, class_definition, lambda,
    /// comprehension, module) opened.
    pub fn scope_of_node(&self, node: Node) -> Option<usize> {
        let id = node.id();
        self.by_node.binary_search_by_key(&id, |&(n, _)| n).ok().map(|i| self.by_node[i].1)
    }

    /// The scope a node's code runs in.
    pub fn enclosing_scope(&self, node: Node) -> usize {
        let mut child = node;
        let mut cur = node.parent();
        while let Some(p) = cur {
            let inside = match p.kind() {
                "function_definition" | "class_definition" | "lambda" => {
                    p.child_by_field_name("body").is_some_and(|b| b.id() == child.id())
                        || (p.kind() != "class_definition" && p.child_by_field_name("parameters").is_some_and(|b| b.id() == child.id()) && child.kind() != "parameters")
                }
                k if is_comprehension(k) => true,
                "module" => true,
                _ => false,
            };
            if inside {
                if let Some(s) = self.scope_of_node(p) {
                    return s;
                }
            }
            child = p;
            cur = p.parent();
        }
        0
    }

    pub fn bindings_of(&self, scope: usize, name: &str) -> impl Iterator<Item = &Binding<'a>> + '_ {
        let name = name.to_owned();
        self.scopes[scope].bindings.iter().filter(move |b| b.name == name)
    }

    pub fn count_bindings(&self, scope: usize, name: &str) -> usize {
        self.scopes[scope].bindings.iter().filter(|b| b.name == name).count()
    }

    fn binds(&self, scope: usize, name: &str) -> bool {
        let s = &self.scopes[scope];
        s.star_import || s.declared.contains(&name) || s.bindings.iter().any(|b| b.name == name)
    }

    /// The scope whose binding a read of `name` in `scope` refers to (Python's rule:
    /// local, enclosing functions (class bodies skipped), module). `None` for builtins
    /// or unbound names. A name declared `global` / `nonlocal` resolves to `None` unless
    /// declared global (module).
    pub fn resolve(&self, scope: usize, name: &str) -> Option<usize> {
        let mut cur = Some(scope);
        let mut first = true;
        while let Some(s) = cur {
            let sc = &self.scopes[s];
            if first || sc.kind != ScopeKind::Class {
                if sc.declared.contains(&name) {
                    return None;
                }
                if self.binds(s, name) {
                    return Some(s);
                }
            }
            first = false;
            cur = sc.parent;
        }
        None
    }

    /// Whether `name` is bound anywhere in the program (any scope).
    pub fn bound_anywhere(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.star_import || s.bindings.iter().any(|b| b.name == name) || s.declared.contains(&name))
    }

    /// The single binding of `name` in `scope`, if there is exactly one.
    pub fn unique_binding(&self, scope: usize, name: &str) -> Option<Binding<'a>> {
        let sc = &self.scopes[scope];
        if sc.star_import || sc.declared.contains(&name) {
            return None;
        }
        let mut found = None;
        for b in &sc.bindings {
            if b.name == name {
                if found.is_some() {
                    return None;
                }
                found = Some(*b);
            }
        }
        found
    }

    fn walk_children(&mut self, node: Node<'a>, scope: usize) {
        let mut cursor = node.walk();
        if !cursor.goto_first_child() {
            return;
        }
        loop {
            let child = cursor.node();
            self.walk(child, scope);
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }

    fn walk(&mut self, node: Node<'a>, scope: usize) {
        match node.kind() {
            "function_definition" => {
                if let Some(name) = node.child_by_field_name("name") {
                    self.bind(scope, name, BindKind::Function, node);
                }
                let inner = self.push(ScopeKind::Function, node, Some(scope));
                if let Some(params) = node.child_by_field_name("parameters") {
                    self.walk_params(params, scope, inner);
                }
                if let Some(ret) = node.child_by_field_name("return_type") {
                    self.walk(ret, scope);
                }
                if let Some(body) = node.child_by_field_name("body") {
                    self.walk_children(body, inner);
                }
            }
            "class_definition" => {
                if let Some(name) = node.child_by_field_name("name") {
                    self.bind(scope, name, BindKind::Class, node);
                }
                if let Some(sup) = node.child_by_field_name("superclasses") {
                    self.walk(sup, scope);
                }
                let inner = self.push(ScopeKind::Class, node, Some(scope));
                if let Some(body) = node.child_by_field_name("body") {
                    self.walk_children(body, inner);
                }
            }
            "lambda" => {
                let inner = self.push(ScopeKind::Lambda, node, Some(scope));
                if let Some(params) = node.child_by_field_name("parameters") {
                    self.walk_params(params, scope, inner);
                }
                if let Some(body) = node.child_by_field_name("body") {
                    self.walk(body, inner);
                }
            }
            k if is_comprehension(k) => {
                let inner = self.push(ScopeKind::Comprehension, node, Some(scope));
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    if child.kind() == "for_in_clause" {
                        if let Some(left) = child.child_by_field_name("left") {
                            self.bind_target(left, inner);
                        }
                        if let Some(right) = child.child_by_field_name("right") {
                            self.walk(right, inner);
                        }
                    } else {
                        self.walk(child, inner);
                    }
                }
            }
            "assignment" | "augmented_assignment" => {
                if let Some(left) = node.child_by_field_name("left") {
                    if node.kind() == "assignment" && node.child_by_field_name("right").is_none() {
                        if left.kind() == "identifier" {
                            self.bind(scope, left, BindKind::Annotation, left);
                        } else {
                            self.walk(left, scope);
                        }
                    } else {
                        self.bind_target(left, scope);
                    }
                }
                if let Some(t) = node.child_by_field_name("type") {
                    self.walk(t, scope);
                }
                if let Some(right) = node.child_by_field_name("right") {
                    self.walk(right, scope);
                }
            }
            "for_statement" => {
                if let Some(left) = node.child_by_field_name("left") {
                    self.bind_target(left, scope);
                }
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    if node.child_by_field_name("left").is_some_and(|l| l.id() == child.id()) {
                        continue;
                    }
                    self.walk(child, scope);
                }
            }
            "as_pattern" => {
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    if child.kind() == "as_pattern_target" {
                        self.bind_target(child, scope);
                    } else {
                        self.walk(child, scope);
                    }
                }
            }
            "except_clause" => {
                let alias = node.child_by_field_name("alias");
                if let Some(a) = alias {
                    self.bind_target(a, scope);
                }
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    if alias.is_some_and(|a| a.id() == child.id()) {
                        continue;
                    }
                    self.walk(child, scope);
                }
            }
            "named_expression" => {
                if let Some(name) = node.child_by_field_name("name") {
                    // A walrus in a comprehension binds in the enclosing function.
                    let mut target = scope;
                    while self.scopes[target].kind == ScopeKind::Comprehension {
                        target = self.scopes[target].parent.unwrap_or(0);
                    }
                    self.bind(target, name, BindKind::Other, name);
                }
                if let Some(v) = node.child_by_field_name("value") {
                    self.walk(v, scope);
                }
            }
            "import_statement" => {
                let mut cursor = node.walk();
                for child in node.children_by_field_name("name", &mut cursor) {
                    if child.kind() == "aliased_import" {
                        if let Some(alias) = child.child_by_field_name("alias") {
                            self.bind(scope, alias, BindKind::Import, child);
                        }
                    } else if let Some(first) = child.named_child(0) {
                        self.bind(scope, first, BindKind::Import, child);
                    }
                }
            }
            "import_from_statement" => {
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    if child.kind() == "wildcard_import" {
                        self.scopes[scope].star_import = true;
                    }
                }
                let mut cursor = node.walk();
                for child in node.children_by_field_name("name", &mut cursor) {
                    if child.kind() == "aliased_import" {
                        if let Some(alias) = child.child_by_field_name("alias") {
                            self.bind(scope, alias, BindKind::Import, child);
                        }
                    } else {
                        self.bind(scope, child, BindKind::Import, child);
                    }
                }
            }
            "global_statement" | "nonlocal_statement" => {
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    if child.kind() == "identifier" {
                        let name = text(self.src, child);
                        self.scopes[scope].declared.push(name);
                    }
                }
            }
            "delete_statement" => {
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    self.bind_target(child, scope);
                }
            }
            "case_pattern" | "keyword_pattern" | "splat_pattern" | "dict_pattern" | "class_pattern" => {
                // Capture names in match patterns (approximate: every bare identifier).
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    if child.kind() == "identifier" {
                        self.bind(scope, child, BindKind::Other, child);
                    } else if child.kind() != "dotted_name" {
                        self.walk(child, scope);
                    }
                }
            }
            "type_alias_statement" => {
                if let Some(first) = node.named_child(0) {
                    self.bind_target(first, scope);
                }
            }
            _ => self.walk_children(node, scope),
        }
    }

    fn walk_params(&mut self, params: Node<'a>, outer: usize, inner: usize) {
        let mut cursor = params.walk();
        for p in params.named_children(&mut cursor) {
            match p.kind() {
                "identifier" => self.bind(inner, p, BindKind::Param, p),
                "default_parameter" | "typed_default_parameter" => {
                    if let Some(name) = p.child_by_field_name("name") {
                        self.bind_param_pattern(name, inner);
                    }
                    if let Some(t) = p.child_by_field_name("type") {
                        self.walk(t, outer);
                    }
                    if let Some(v) = p.child_by_field_name("value") {
                        self.walk(v, outer);
                    }
                }
                "typed_parameter" => {
                    let mut c2 = p.walk();
                    for child in p.named_children(&mut c2) {
                        if p.child_by_field_name("type").is_some_and(|t| t.id() == child.id()) {
                            self.walk(child, outer);
                        } else {
                            self.bind_param_pattern(child, inner);
                        }
                    }
                }
                _ => self.bind_param_pattern(p, inner),
            }
        }
    }

    fn bind_param_pattern(&mut self, node: Node<'a>, scope: usize) {
        match node.kind() {
            "identifier" => self.bind(scope, node, BindKind::Param, node),
            _ => {
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    self.bind_param_pattern(child, scope);
                }
            }
        }
    }

    /// Binds the names of an assignment target; attributes and subscripts bind nothing
    /// but their sub-expressions are walked.
    fn bind_target(&mut self, node: Node<'a>, scope: usize) {
        match node.kind() {
            "identifier" => self.bind(scope, node, BindKind::Other, node),
            "pattern_list" | "tuple_pattern" | "list_pattern" | "list_splat_pattern" | "as_pattern_target" | "parenthesized_expression" | "tuple" | "list" | "expression_list" | "list_splat" => {
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    self.bind_target(child, scope);
                }
            }
            _ => self.walk(node, scope),
        }
    }
}

/// Calls `f` on every node of the tree in pre-order, without recursion.
pub fn for_each_node<'a>(root: Node<'a>, mut f: impl FnMut(Node<'a>)) {
    let mut cursor = root.walk();
    loop {
        f(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}
