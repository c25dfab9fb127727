//! The scopes of a JavaScript (or TypeScript) program, built from the tree-sitter tree:
//! which names each scope declares and which identifiers are references that no
//! enclosing scope declares. JavaScript's rules: `var` and function declarations belong
//! to the enclosing function (hoisted), `let`/`const`/`class` to the enclosing block;
//! parameters, catch parameters and a named function expression's own name to the
//! function or clause; imports to the module. Property names and labels are never
//! references. TypeScript adds type-level names (interfaces, type aliases, enums,
//! namespaces, type parameters, `infer` and mapped-type keys) in the same namespace.

use std::collections::{HashMap, HashSet};

use tree_sitter::{Node, Tree};

/// How a name came to be declared; decides which redeclarations are errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclKind {
    Var,
    Lexical,
    Function,
    Param,
    /// Imports, and TypeScript's declarations that may merge (interfaces, namespaces, ...).
    Other,
}

/// Nodes that own a `var` scope.
const FUNCTION_SCOPES: &[&str] = &[
    "program",
    "function_declaration",
    "generator_function_declaration",
    "function_expression",
    "function",
    "generator_function",
    "arrow_function",
    "method_definition",
    "class_static_block",
    "internal_module",
    "module",
];

/// Nodes that own a block (`let`/`const`/`class`) scope, function scopes included.
const BLOCK_SCOPES: &[&str] = &["statement_block", "for_statement", "for_in_statement", "switch_body", "catch_clause", "class_body"];

pub fn is_function_like(kind: &str) -> bool {
    matches!(
        kind,
        "function_declaration"
            | "generator_function_declaration"
            | "function_expression"
            | "function"
            | "generator_function"
            | "arrow_function"
            | "method_definition"
            | "class_static_block"
    )
}

pub struct Model<'t> {
    /// Scope node id -> declared names.
    scopes: HashMap<usize, HashMap<String, DeclKind>>,
    decl_ids: HashSet<usize>,
    root_id: usize,
    /// Declarations that clash with an earlier one in the same scope (a SyntaxError).
    pub redeclarations: Vec<(Node<'t>, String)>,
    /// Every reference (identifier node and its name) no enclosing scope declares.
    pub unresolved: Vec<(Node<'t>, String)>,
}

/// Every node of the tree in document order, without recursion (deep input must not
/// overflow the stack).
pub fn preorder(tree: &Tree) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    loop {
        out.push(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

fn text<'s>(node: Node, source: &'s str) -> &'s str {
    node.utf8_text(source.as_bytes()).unwrap_or("")
}

fn nearest<'t>(node: Node<'t>, kinds: &[&str], also: &[&str]) -> Node<'t> {
    let mut cur = node.parent();
    let mut last = node;
    while let Some(n) = cur {
        if kinds.contains(&n.kind()) || also.contains(&n.kind()) {
            return n;
        }
        last = n;
        cur = n.parent();
    }
    last
}

fn var_scope(node: Node) -> Node {
    nearest(node, FUNCTION_SCOPES, &[])
}

fn block_scope(node: Node) -> Node {
    nearest(node, FUNCTION_SCOPES, BLOCK_SCOPES)
}

/// The names a binding pattern declares.
fn pattern_names<'t>(node: Node<'t>, out: &mut Vec<Node<'t>>) {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "identifier" | "shorthand_property_identifier_pattern" => out.push(node),
            "object_pattern" | "array_pattern" => {
                let mut c = node.walk();
                stack.extend(node.named_children(&mut c));
            }
            "pair_pattern" => stack.extend(node.child_by_field_name("value")),
            "assignment_pattern" | "object_assignment_pattern" => stack.extend(node.child_by_field_name("left")),
            "rest_pattern" => stack.extend(node.named_child(0)),
            "required_parameter" | "optional_parameter" => stack.extend(node.child_by_field_name("pattern")),
            _ => {}
        }
    }
}

/// True if `node` has an anonymous child token `word` (`async`, `*`, `let`, ...).
pub fn has_token(node: Node, word: &str) -> bool {
    let mut c = node.walk();
    let found = node.children(&mut c).any(|ch| !ch.is_named() && ch.kind() == word);
    found
}

impl<'t> Model<'t> {
    pub fn build(tree: &'t Tree, source: &str, typescript: bool) -> Model<'t> {
        let nodes = preorder(tree);
        let mut model = Model {
            scopes: HashMap::new(),
            decl_ids: HashSet::new(),
            root_id: tree.root_node().id(),
            redeclarations: Vec::new(),
            unresolved: Vec::new(),
        };
        for &node in &nodes {
            model.declarations_of(node, source, typescript);
        }
        for &node in &nodes {
            if let Some(name) = model.reference_name(node, source, typescript) {
                if !model.resolves(node, name) {
                    model.unresolved.push((node, name.to_string()));
                }
            }
        }
        model
    }

    fn declare(&mut self, scope: Node<'t>, ident: Node<'t>, source: &str, kind: DeclKind) {
        self.decl_ids.insert(ident.id());
        let name = text(ident, source).to_string();
        if name.is_empty() {
            return;
        }
        let mut clash = false;
        if let Some(previous) = self.scopes.get(&scope.id()).and_then(|s| s.get(&name)) {
            clash = kind == DeclKind::Lexical && *previous != DeclKind::Other
                || *previous == DeclKind::Lexical && kind != DeclKind::Other;
        }
        if kind == DeclKind::Lexical && !clash {
            // `let x` in a function body or catch block clashes with a parameter `x`.
            if scope.kind() == "statement_block" {
                if let Some(owner) = scope.parent() {
                    if is_function_like(owner.kind()) || owner.kind() == "catch_clause" {
                        clash = self.scopes.get(&owner.id()).and_then(|s| s.get(&name)) == Some(&DeclKind::Param);
                    }
                }
            }
        }
        if kind == DeclKind::Var && !clash {
            // A `var` hoisted through a block that declares the name lexically clashes.
            let mut cur = ident.parent();
            while let Some(n) = cur {
                if n.id() == scope.id() {
                    break;
                }
                if self.scopes.get(&n.id()).and_then(|s| s.get(&name)) == Some(&DeclKind::Lexical) {
                    clash = true;
                    break;
                }
                cur = n.parent();
            }
        }
        if clash {
            self.redeclarations.push((ident, name.clone()));
        }
        let entry = self.scopes.entry(scope.id()).or_default();
        match entry.get(&name) {
            Some(DeclKind::Lexical) => {}
            _ => {
                entry.insert(name, kind);
            }
        }
    }

    fn declare_pattern(&mut self, scope: Node<'t>, pattern: Node<'t>, source: &str, kind: DeclKind) {
        let mut names = Vec::new();
        pattern_names(pattern, &mut names);
        for ident in names {
            self.declare(scope, ident, source, kind);
        }
    }

    fn declarations_of(&mut self, node: Node<'t>, source: &str, typescript: bool) {
        let field = |name: &str| node.child_by_field_name(name);
        match node.kind() {
            "variable_declaration" | "lexical_declaration" => {
                let lexical = node.kind() == "lexical_declaration";
                let (scope, kind) = if lexical { (block_scope(node), DeclKind::Lexical) } else { (var_scope(node), DeclKind::Var) };
                let mut c = node.walk();
                let declarators: Vec<Node> = node.named_children(&mut c).filter(|n| n.kind() == "variable_declarator").collect();
                for d in declarators {
                    if let Some(name) = d.child_by_field_name("name") {
                        self.declare_pattern(scope, name, source, kind);
                    }
                }
            }
            "function_declaration" | "generator_function_declaration" | "function_signature" => {
                if let Some(name) = field("name") {
                    let parent = node.parent();
                    let top_level = parent.is_none_or(|p| {
                        matches!(p.kind(), "program" | "export_statement" | "ambient_declaration")
                            || p.kind() == "statement_block" && p.parent().is_some_and(|pp| is_function_like(pp.kind()) || pp.kind() == "internal_module")
                    });
                    let kind = if typescript || node.kind() == "function_signature" { DeclKind::Other } else { DeclKind::Function };
                    if top_level {
                        self.declare(var_scope(node), name, source, kind);
                    } else {
                        // Block-level functions: block-scoped, and (sloppy mode) also hoisted.
                        self.declare(block_scope(node), name, source, kind);
                        let vs = var_scope(node);
                        self.scopes.entry(vs.id()).or_default().entry(text(name, source).to_string()).or_insert(DeclKind::Other);
                    }
                }
            }
            "function_expression" | "function" | "generator_function" => {
                if let Some(name) = field("name") {
                    self.declare(node, name, source, DeclKind::Other);
                }
            }
            "class_declaration" | "abstract_class_declaration" => {
                if let Some(name) = field("name") {
                    let kind = if typescript { DeclKind::Other } else { DeclKind::Lexical };
                    self.declare(block_scope(node), name, source, kind);
                    self.declare(node, name, source, DeclKind::Other);
                }
            }
            "class" => {
                if let Some(name) = field("name") {
                    self.declare(node, name, source, DeclKind::Other);
                }
            }
            "formal_parameters" => {
                if let Some(owner) = node.parent() {
                    let mut c = node.walk();
                    let params: Vec<Node> = node.named_children(&mut c).collect();
                    for p in params {
                        self.declare_pattern(owner, p, source, DeclKind::Param);
                    }
                }
            }
            "arrow_function" => {
                if let Some(p) = field("parameter") {
                    self.declare_pattern(node, p, source, DeclKind::Param);
                }
            }
            "catch_clause" => {
                if let Some(p) = field("parameter") {
                    self.declare_pattern(node, p, source, DeclKind::Param);
                }
            }
            "for_in_statement" => {
                let kind = field("kind").map(|k| text(k, source)).unwrap_or("");
                if let Some(left) = field("left") {
                    match kind {
                        "var" => self.declare_pattern(var_scope(node), left, source, DeclKind::Var),
                        "let" | "const" => self.declare_pattern(node, left, source, DeclKind::Lexical),
                        _ => {}
                    }
                }
            }
            "import_clause" | "namespace_import" | "import_require_clause" => {
                let root = nearest(node, &["program"], &[]);
                let mut c = node.walk();
                let idents: Vec<Node> = node.named_children(&mut c).filter(|n| n.kind() == "identifier").collect();
                for ident in idents {
                    self.declare(root, ident, source, DeclKind::Other);
                }
            }
            "import_specifier" => {
                let root = nearest(node, &["program"], &[]);
                if let Some(local) = field("alias").or_else(|| field("name")) {
                    if local.kind() == "identifier" {
                        self.declare(root, local, source, DeclKind::Other);
                    }
                }
            }
            "import_alias" => {
                if let Some(ident) = node.named_child(0) {
                    self.declare(block_scope(node), ident, source, DeclKind::Other);
                }
            }
            "interface_declaration" | "type_alias_declaration" | "enum_declaration" | "internal_module" | "module" => {
                if let Some(mut name) = field("name") {
                    while name.kind() == "nested_identifier" {
                        match name.named_child(0) {
                            Some(first) => name = first,
                            None => break,
                        }
                    }
                    if matches!(name.kind(), "identifier" | "type_identifier") {
                        self.declare(block_scope(node), name, source, DeclKind::Other);
                    }
                }
            }
            "type_parameter" => {
                if let (Some(name), Some(list)) = (field("name"), node.parent()) {
                    let owner = list.parent().unwrap_or(list);
                    self.declare(owner, name, source, DeclKind::Other);
                }
            }
            "infer_type" => {
                if let Some(name) = node.named_child(0) {
                    let owner = nearest(node, &["conditional_type"], &[]);
                    self.declare(owner, name, source, DeclKind::Other);
                }
            }
            "mapped_type_clause" => {
                if let Some(name) = field("name") {
                    let owner = nearest(node, &["object_type"], &[]);
                    self.declare(owner, name, source, DeclKind::Other);
                }
            }
            "index_signature" => {
                if let Some(name) = field("name") {
                    self.declare(node, name, source, DeclKind::Other);
                }
            }
            _ => {}
        }
    }

    /// The name `node` refers to, if it is a reference to a variable (or, in TypeScript,
    /// a type) rather than a declaration, a property name or a label.
    fn reference_name<'s>(&self, node: Node<'t>, source: &'s str, typescript: bool) -> Option<&'s str> {
        let kind = node.kind();
        let is_ref_kind = matches!(kind, "identifier" | "shorthand_property_identifier" | "shorthand_property_identifier_pattern")
            || typescript && kind == "type_identifier";
        if !is_ref_kind || self.decl_ids.contains(&node.id()) {
            return None;
        }
        let parent = node.parent()?;
        let field_in_parent = |field: &str| parent.child_by_field_name(field).is_some_and(|n| n.id() == node.id());
        match parent.kind() {
            "import_specifier" | "import_clause" | "namespace_import" | "namespace_export" | "import_require_clause" => return None,
            "export_specifier" => {
                if field_in_parent("alias") {
                    return None;
                }
                if parent.parent().and_then(|p| p.parent()).is_some_and(|s| s.child_by_field_name("source").is_some()) {
                    return None;
                }
            }
            "jsx_closing_element" => return None,
            "jsx_opening_element" | "jsx_self_closing_element" => {
                if !text(node, source).starts_with(|c: char| c.is_ascii_uppercase()) {
                    return None;
                }
            }
            "nested_type_identifier" => {
                if field_in_parent("name") {
                    return None;
                }
            }
            "nested_identifier" | "member_expression" => {
                if parent.named_child(0).is_some_and(|n| n.id() != node.id()) {
                    return None;
                }
            }
            "internal_module" | "module" => return None,
            "ambient_declaration" => return None, // `declare global`
            _ => {}
        }
        let name = text(node, source);
        if name.is_empty() {
            return None;
        }
        Some(name)
    }

    fn resolves(&self, node: Node<'t>, name: &str) -> bool {
        let mut cur = Some(node);
        while let Some(n) = cur {
            if self.scopes.get(&n.id()).is_some_and(|s| s.contains_key(name)) {
                return true;
            }
            cur = n.parent();
        }
        self.scopes.get(&self.root_id).is_some_and(|s| s.contains_key(name))
    }
}
