//! JavaScript: tree-sitter-javascript parse -> syntax errors (tree-sitter's plus V8's
//! early errors) -> scope model -> undefined identifiers. TypeScript reuses all of it
//! with its own grammar (see `lang::typescript`).

pub mod globals;
pub mod scope;
pub mod syntax;
pub mod types;

use std::cell::RefCell;

use tree_sitter::{Parser, Tree};

use super::treesitter::node_dependent_ends;
use super::{CheckInfo, Diagnostic, Language, ProgramContext};

pub struct JavaScript;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut parser = Parser::new();
        parser.set_language(&tree_sitter_javascript::LANGUAGE.into()).expect("tree-sitter-javascript grammar loads");
        parser
    });
}

/// Parses `source` with this thread's parser (built once per thread).
pub fn parse(source: &str) -> Option<Tree> {
    PARSER.with(|p| p.borrow_mut().parse(source, None))
}

/// What differs between the languages that share this pipeline.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    pub typescript: bool,
}

pub const MISSING_RETURN: CheckInfo = CheckInfo {
    code: "E0111",
    name: "missing-return",
    summary: "TypeScript: a function with a declared return type other than void/any/unknown/undefined that never returns a value and can reach its end (tsc TS2355); blamed on the function",
};

pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        code: "E0001",
        name: "syntax-error",
        summary: "tree-sitter cannot parse the program, or V8 would reject it early (const without value, break outside a loop, await outside async, redeclared let/const/class, declaration as a lone if/loop body)",
    },
    CheckInfo {
        code: "E0602",
        name: "undefined-variable",
        summary: "an identifier no enclosing scope declares (var/function hoisting, block-scoped let/const/class, parameters, imports) and no builtin global names",
    },
];

/// True if the program is an ES module (has an import or export statement).
fn is_module(tree: &Tree) -> bool {
    let root = tree.root_node();
    let mut c = root.walk();
    let found = root.children(&mut c).any(|n| matches!(n.kind(), "import_statement" | "export_statement"));
    found
}

/// Lints a parsed program: one syntax error if there is any, else every undefined
/// identifier not in `external`.
pub fn lint_tree(tree: &Tree, source: &str, dialect: Dialect, external: Option<&ProgramContext>) -> Vec<Diagnostic> {
    let module = is_module(tree) || dialect.typescript;
    if let Some(error) = syntax::first_error(tree, source, module, !dialect.typescript) {
        return vec![error];
    }
    let model = scope::Model::build(tree, source, dialect.typescript);
    if let Some((node, name)) = model.redeclarations.first() {
        let pos = node.start_position();
        return vec![Diagnostic::new(pos.row, pos.column, "E0001", format!("identifier '{name}' has already been declared"))];
    }
    let mut out: Vec<Diagnostic> = model
        .unresolved
        .iter()
        // With the full program known, the names it uses undeclared are exactly the ones
        // the environment gives; a builtin name the program declares itself and lost is
        // flagged (tsc would not know `setImmediate` without @types/node).
        .filter(|(_, name)| match external {
            Some(ctx) => !ctx.external_names.contains(name),
            None => !globals::is_builtin(name, dialect.typescript),
        })
        .map(|(node, name)| {
            let pos = node.start_position();
            Diagnostic::new(pos.row, pos.column, "E0602", format!("undefined identifier '{name}'"))
        })
        .collect();
    if dialect.typescript {
        out.extend(types::missing_returns(tree, source));
    }
    out.sort();
    out.dedup();
    out
}

/// The names `tree` references but never declares (nor are builtins): the environment
/// provides them, so an intermediate state that still uses one is not flagged for it.
pub fn external_names(tree: &Tree, source: &str, dialect: Dialect) -> ProgramContext {
    let model = scope::Model::build(tree, source, dialect.typescript);
    ProgramContext { external_names: model.unresolved.into_iter().map(|(_, name)| name).collect() }
}

/// Dependents by syntax node: a line takes the lines of the largest node starting
/// where its code starts (a function and its closing brace, a multi-line statement).
pub fn dependent_ends(lines: &[&str], tree: Option<&Tree>) -> Vec<usize> {
    match tree {
        Some(tree) => node_dependent_ends(lines, tree, &["program"]),
        None => (1..=lines.len()).collect(),
    }
}

const DIALECT: Dialect = Dialect { typescript: false };

impl Language for JavaScript {
    fn name(&self) -> &'static str {
        "javascript"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["js", "node"]
    }
    fn fence_tags(&self) -> &'static [&'static str] {
        &["javascript", "js"]
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["js", "mjs", "cjs", "jsx"]
    }
    fn comment_prefixes(&self) -> &'static [&'static str] {
        &["//", "/*", "*"]
    }
    fn checks(&self) -> &'static [CheckInfo] {
        CHECKS
    }
    fn lint(&self, source: &str) -> Vec<Diagnostic> {
        match parse(source) {
            Some(tree) => lint_tree(&tree, source, DIALECT, None),
            None => Vec::new(),
        }
    }
    fn program_context(&self, original: &str) -> ProgramContext {
        parse(original).map(|tree| external_names(&tree, original, DIALECT)).unwrap_or_default()
    }
    fn lint_in_context(&self, source: &str, ctx: &ProgramContext) -> Vec<Diagnostic> {
        match parse(source) {
            Some(tree) => lint_tree(&tree, source, DIALECT, Some(ctx)),
            None => Vec::new(),
        }
    }
    fn grammar(&self) -> tree_sitter::Language {
        tree_sitter_javascript::LANGUAGE.into()
    }
    fn dependent_ends(&self, lines: &[&str]) -> Vec<usize> {
        let source = lines.join("\n");
        dependent_ends(lines, parse(&source).as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(source: &str) -> Vec<(usize, &'static str)> {
        JavaScript.lint(source).into_iter().map(|d| (d.line + 1, d.code)).collect()
    }

    #[test]
    fn scoping_rules() {
        assert_eq!(codes("function f(a, {b, c: [d]}) { return a + b + d + g; }\nvar g = 1;"), vec![]);
        assert_eq!(codes("{ let x = 1; }\nconsole.log(x);"), vec![(2, "E0602")]);
        assert_eq!(codes("try { f(); } catch (e) { console.log(e); }\nfunction f() {}"), vec![]);
        assert_eq!(codes("const o = { a: 1, b };"), vec![(1, "E0602")]);
        assert_eq!(codes("outer: for (;;) { break outer; }"), vec![]);
    }

    #[test]
    fn early_errors() {
        assert_eq!(codes("const x;"), vec![(1, "E0001")]);
        assert_eq!(codes("function f() {\n  await g();\n}\nasync function g() {}"), vec![(2, "E0001")]);
        assert_eq!(codes("let a = 1;\nlet a = 2;"), vec![(2, "E0001")]);
        assert_eq!(codes("if (x)\n  const y = 1;\nvar x;"), vec![(1, "E0001")]);
        assert_eq!(codes("break;"), vec![(1, "E0001")]);
    }

    #[test]
    fn context_spares_external_names() {
        let ctx = JavaScript.program_context("foo(1);\nconst x = 2;\nbar(x);");
        assert!(ctx.external_names.contains("foo") && ctx.external_names.contains("bar"));
        let diags = JavaScript.lint_in_context("foo(1);\nbar(x);", &ctx);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].line, 1);
    }

    /// The fixture spec, runnable before the language is registered.
    #[test]
    fn fixture_spec_passes() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/languages/javascript");
        let mut failures = Vec::new();
        for file in crate::lang::spec::case_files(&dir) {
            let text = std::fs::read_to_string(&file).unwrap();
            for case in crate::lang::spec::parse_cases(&file, &text).unwrap() {
                failures.extend(crate::lang::spec::check_case(&JavaScript, &case));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
