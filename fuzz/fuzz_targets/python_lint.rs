//! The Python linter on arbitrary UTF-8: it must return findings, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|source: &str| {
    let _ = lintseq::lang::python::lint(source);
});
