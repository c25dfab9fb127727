//! The sampler on arbitrary text with a small work budget: an edit path or a reject
//! reason, never a panic; every path it returns rebuilds the program exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lintseq::lang::by_name;
use lintseq::lintseq::edit_path::apply_edit_path;
use lintseq::SamplerConfig;

fuzz_target!(|code: &str| {
    let python = by_name("python").expect("python is registered");
    let cfg = SamplerConfig { max_lint_calls: 64, ..SamplerConfig::default() };
    if let Ok(path) = lintseq::sample_edit_path(python, code, &cfg, 1, 0, 0) {
        let rebuilt = apply_edit_path(&path.diffs).expect("our own diffs apply");
        assert_eq!(rebuilt, code, "the edit path does not rebuild the program");
    }
});
