//! Small text helpers that mirror Python's string semantics where pylintseq relies on them.

/// Python's `str.isspace` for one character (Unicode white space plus the ASCII
/// information separators U+001C..U+001F, which Python also strips).
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()`.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// True if the line holds only white space (or nothing).
pub fn is_blank(line: &str) -> bool {
    line.chars().all(is_py_space)
}
