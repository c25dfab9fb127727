//! Runs every registered language's fixture spec (`fixtures/languages/<name>/**/*.cases`).
//! A language with no cases fails, so a new language is tested the moment it is registered.

use std::path::Path;

use lintseq::lang::{registry, spec};

#[test]
fn every_language_passes_its_spec() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/languages");
    let mut failures = Vec::new();
    for lang in registry() {
        let files = spec::case_files(&root.join(lang.name()));
        let mut count = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let cases = spec::parse_cases(&file, &text).unwrap_or_else(|e| panic!("{e}"));
            count += cases.len();
            failures.extend(cases.iter().filter_map(|case| spec::check_case(*lang, case)));
        }
        assert!(count > 0, "language {} has no fixture cases under {}", lang.name(), root.display());
    }
    assert!(failures.is_empty(), "{} failing cases:\n{}", failures.len(), failures.join("\n"));
}
