//! Applying arbitrary diff text to an arbitrary state: Ok or a clear error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lintseq::lintseq::edit_path::apply_diff;

fuzz_target!(|input: &str| {
    // A NUL splits the input into the state (lines) and the diff; without one the state is empty.
    let (state, diff) = input.split_once('\u{0}').unwrap_or(("", input));
    let state: Vec<String> = if state.is_empty() { Vec::new() } else { state.split('\n').map(String::from).collect() };
    let _ = apply_diff(&state, diff);
});
