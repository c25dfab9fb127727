//! C++: tree-sitter-cpp parse -> syntax errors (bracket pairing by indentation, then
//! ERROR/MISSING nodes) -> a scope model of the program's own declarations -> E0602.
//! Names the full program uses but never declares (everything from headers: `std::`,
//! C library functions, macros) come from the [`ProgramContext`] and are never flagged;
//! nothing is resolved on the machine. Ground truth: `g++ -fsyntax-only -std=c++17`.

pub mod names;
pub mod rules;

use std::cell::RefCell;

use tree_sitter::{Parser, Tree};

use super::{CheckInfo, Diagnostic, Language, ProgramContext};

pub struct Cpp;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut parser = Parser::new();
        parser.set_language(&tree_sitter_cpp::LANGUAGE.into()).expect("tree-sitter-cpp grammar loads");
        parser
    });
}

/// Parses `source` with this thread's parser (built once per thread).
pub fn parse(source: &str) -> Option<Tree> {
    PARSER.with(|p| p.borrow_mut().parse(source, None))
}

/// Statement-list nodes that merely start where their first statement starts.
const CONTAINERS: &[&str] = &["translation_unit", "compound_statement", "field_declaration_list", "declaration_list", "enumerator_list", "initializer_list", "argument_list", "parameter_list", "template_argument_list", "template_parameter_list", "field_initializer_list"];

static CHECKS: &[CheckInfo] = &[
    CheckInfo { code: "E0001", name: "syntax-error", summary: "the program does not parse (an unbalanced bracket is blamed on the opener that lost its closer, paired by indentation; otherwise the unexpected token's line, or the line that opened an unclosed construct); also what g++ rejects and the grammar accepts: a `case` label last in its switch with no statement, a `struct X` line left without its body, a template header that now heads another declaration" },
    CheckInfo { code: "E1101", name: "no-member", summary: "with the full program known: `x.f`, `p->f` or a constructor initializer `f(...)` naming a member the full program declares and this state does not" },
    CheckInfo { code: "E0602", name: "undefined-variable", summary: "a name the full program declares (local, parameter, function, class, namespace, enumerator, typedef, template parameter, macro) used where no declaration of it is visible; with an #include or `using namespace` of the full program deleted, any use of a name from the headers (macro bodies included); with a declaration outside function bodies deleted (an overload, a constructor, a specialisation), every use of its name" },
    CheckInfo { code: "E1120", name: "broken-multiline-expression", summary: "with the full program known: a multi-line template argument, call argument or parameter list that differs from every one of the full program (a lost argument); blamed on the line it starts on" },
    CheckInfo { code: "E1111", name: "missing-return", summary: "a `constexpr` function returning a value has no `return` left" },
];

/// Lints one C++ program on its own: the names it uses but never declares come from
/// its headers, so only names it declares somewhere yet not in scope are flagged.
pub fn lint(source: &str) -> Vec<Diagnostic> {
    let Some(tree) = parse(source) else { return Vec::new() };
    if let Some(error) = crate::lang::java::syntax::first_error(&tree, source) {
        return vec![error];
    }
    let model = names::Model::build(source, &tree);
    let mut ctx = model.context();
    ctx.external_names.retain(|n| !model.declared.contains(n));
    let mut out = names::undefined(&model, &ctx);
    out.extend(rules::diagnostics(&tree, source));
    finish(out)
}

/// Context entry for a syntax error the grammar finds in the full program (valid C++
/// it does not know, such as `void swap(C&, C&) = delete;`): its line and message.
const KNOWN_ERROR: &str = "#syntax:";

fn error_key(source: &str, error: &Diagnostic) -> String {
    let line = source.split('\n').nth(error.line).unwrap_or("").trim();
    format!("{KNOWN_ERROR}{line}\u{1}{}", error.message)
}

fn lint_with(source: &str, ctx: &ProgramContext) -> Vec<Diagnostic> {
    let Some(tree) = parse(source) else { return Vec::new() };
    let mut out = Vec::new();
    if let Some(error) = crate::lang::java::syntax::first_error(&tree, source) {
        // The full program's own error is the grammar's, not g++'s: the checks still run.
        if !ctx.external_names.contains(&error_key(source, &error)) {
            return vec![error];
        }
        out.push(error);
    }
    let model = names::Model::build(source, &tree);
    out.extend(names::undefined(&model, ctx));
    out.extend(super::treesitter::lost_shapes(ctx, &tree, source, SHAPE_KINDS, SHAPE_OPAQUE));
    out.extend(rules::diagnostics(&tree, source));
    finish(out)
}

fn finish(mut out: Vec<Diagnostic>) -> Vec<Diagnostic> {
    out.sort();
    out.dedup();
    out
}

/// Multi-line lists whose shape must be one of the full program's (E1120): a template
/// argument or call argument that lost a line changes arity (and overload) silently.
const SHAPE_KINDS: &[&str] = &["template_argument_list", "argument_list", "parameter_list"];
const SHAPE_OPAQUE: &[&str] = &["compound_statement", "field_declaration_list", "lambda_expression"];

/// Declarations whose header may span lines: deleting any header line after the first
/// (the function under a `template <...>` line, a lone `{`, a continued signature)
/// takes the whole declaration.
const HEADED: &[&str] = &["preproc_def", "preproc_function_def", "function_definition", "class_specifier", "struct_specifier", "union_specifier", "enum_specifier", "namespace_definition", "template_declaration", "declaration", "field_declaration", "linkage_specification"];

fn header_end(node: tree_sitter::Node) -> usize {
    if let Some(b) = node.child_by_field_name("body") {
        return b.start_position().row;
    }
    let mut cursor = node.walk();
    let kids: Vec<_> = node.named_children(&mut cursor).collect();
    match node.kind() {
        "preproc_def" | "preproc_function_def" => node.end_position().row,
        "template_declaration" => kids.last().map_or(node.start_position().row, |k| header_end(*k)),
        "declaration" | "field_declaration" => {
            // A class or enum defined in a declaration: its body.
            node.child_by_field_name("type").filter(|t| t.child_by_field_name("body").is_some()).map_or(node.start_position().row, header_end)
        }
        _ => node.start_position().row,
    }
}

fn header_dependents(lines: &[&str], tree: &Tree, ends: &mut [usize]) {
    let n = lines.len();
    let mut stack = vec![(tree.root_node(), 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > 2000 {
            continue;
        }
        if HEADED.contains(&node.kind()) {
            let start = node.start_position().row;
            let end = node.end_position();
            let end_exclusive = (if end.column == 0 { end.row } else { end.row + 1 }).min(n);
            let header_end = header_end(node);
            // Rows are line numbers; `take`/`skip` over `ends` would read less plainly and
            // would stop quietly where indexing panics.
            #[allow(clippy::needless_range_loop)]
            for row in start + 1..=header_end.min(n.saturating_sub(1)) {
                if ends[row] < end_exclusive {
                    ends[row] = end_exclusive;
                }
            }
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor).map(|c| (c, depth + 1)));
    }
}

impl Language for Cpp {
    fn name(&self) -> &'static str {
        "cpp"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["c++", "cxx"]
    }
    fn fence_tags(&self) -> &'static [&'static str] {
        &["cpp", "c++"]
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["cpp", "cc", "cxx", "hpp", "hh", "hxx"]
    }
    fn comment_prefixes(&self) -> &'static [&'static str] {
        &["//", "/*", "*"]
    }
    fn checks(&self) -> &'static [CheckInfo] {
        CHECKS
    }
    fn lint(&self, source: &str) -> Vec<Diagnostic> {
        lint(source)
    }
    fn program_context(&self, original: &str) -> ProgramContext {
        match parse(original) {
            Some(tree) => {
                let mut ctx = names::Model::build(original, &tree).context();
                super::treesitter::remember_shapes(&mut ctx, &tree, original, SHAPE_KINDS, SHAPE_OPAQUE);
                if let Some(error) = crate::lang::java::syntax::first_error(&tree, original) {
                    ctx.external_names.insert(error_key(original, &error));
                }
                ctx
            }
            None => ProgramContext::default(),
        }
    }
    fn lint_in_context(&self, source: &str, ctx: &ProgramContext) -> Vec<Diagnostic> {
        lint_with(source, ctx)
    }
    fn grammar(&self) -> tree_sitter::Language {
        tree_sitter_cpp::LANGUAGE.into()
    }
    fn dependent_ends(&self, lines: &[&str]) -> Vec<usize> {
        let source = lines.join("\n");
        match parse(&source) {
            Some(tree) => {
                let mut ends = super::treesitter::node_dependent_ends(lines, &tree, CONTAINERS);
                header_dependents(lines, &tree, &mut ends);
                ends
            }
            None => (1..=lines.len()).collect(),
        }
    }
}
