//! TypeScript: JavaScript's pipeline (`lang::javascript`) on tree-sitter-typescript's
//! tree, with type-level names (interfaces, type aliases, enums, namespaces, type
//! parameters) declared and type references resolved like identifiers.

use std::cell::RefCell;

use tree_sitter::{Parser, Tree};

use super::javascript::{self, Dialect};
use super::{CheckInfo, Diagnostic, Language, ProgramContext};

pub struct TypeScript;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut parser = Parser::new();
        parser.set_language(&tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into()).expect("tree-sitter-typescript grammar loads");
        parser
    });
}

/// Parses `source` with this thread's parser (built once per thread).
pub fn parse(source: &str) -> Option<Tree> {
    PARSER.with(|p| p.borrow_mut().parse(source, None))
}

const DIALECT: Dialect = Dialect { typescript: true };

const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        code: "E0001",
        name: "syntax-error",
        summary: "tree-sitter cannot parse the program, or tsc would reject it early (const without value, break outside a loop, await outside async, return outside a function, redeclared let/const, declaration as a lone if/loop body)",
    },
    CheckInfo {
        code: "E0602",
        name: "undefined-variable",
        summary: "an identifier or type name no enclosing scope declares (tsc's \"Cannot find name\") and no builtin global or standard-library type names",
    },
    javascript::MISSING_RETURN,
];

impl Language for TypeScript {
    fn name(&self) -> &'static str {
        "typescript"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["ts"]
    }
    fn fence_tags(&self) -> &'static [&'static str] {
        &["typescript", "ts"]
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["ts", "mts", "cts"]
    }
    fn comment_prefixes(&self) -> &'static [&'static str] {
        &["//", "/*", "*"]
    }
    fn checks(&self) -> &'static [CheckInfo] {
        CHECKS
    }
    fn lint(&self, source: &str) -> Vec<Diagnostic> {
        match parse(source) {
            Some(tree) => javascript::lint_tree(&tree, source, DIALECT, None),
            None => Vec::new(),
        }
    }
    fn program_context(&self, original: &str) -> ProgramContext {
        parse(original).map(|tree| javascript::external_names(&tree, original, DIALECT)).unwrap_or_default()
    }
    fn lint_in_context(&self, source: &str, ctx: &ProgramContext) -> Vec<Diagnostic> {
        match parse(source) {
            Some(tree) => javascript::lint_tree(&tree, source, DIALECT, Some(ctx)),
            None => Vec::new(),
        }
    }
    fn grammar(&self) -> tree_sitter::Language {
        tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into()
    }
    fn dependent_ends(&self, lines: &[&str]) -> Vec<usize> {
        let source = lines.join("\n");
        javascript::dependent_ends(lines, parse(&source).as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(source: &str) -> Vec<(usize, &'static str)> {
        TypeScript.lint(source).into_iter().map(|d| (d.line + 1, d.code)).collect()
    }

    #[test]
    fn type_level_names() {
        assert_eq!(codes("interface A<T> { x: T }\ntype B = A<number> | Partial<A<string>>;\nconst b: B = { x: 1 };"), vec![]);
        assert_eq!(codes("function f<T extends keyof U, U>(u: U, k: T): U[T] { return u[k]; }"), vec![]);
        assert_eq!(codes("const x: Missing = 1;"), vec![(1, "E0602")]);
        assert_eq!(codes("type M<T> = { [K in keyof T]: T[K] extends infer R ? R : never };"), vec![]);
        assert_eq!(codes("enum E { A, B }\nnamespace N { export const y = E.A; }\nclass C implements I { constructor(private readonly z: number) {} }\ninterface I {}"), vec![]);
    }

    /// The fixture spec, runnable before the language is registered.
    #[test]
    fn fixture_spec_passes() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/languages/typescript");
        let mut failures = Vec::new();
        for file in crate::lang::spec::case_files(&dir) {
            let text = std::fs::read_to_string(&file).unwrap();
            for case in crate::lang::spec::parse_cases(&file, &text).unwrap() {
                failures.extend(crate::lang::spec::check_case(&TypeScript, &case));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
