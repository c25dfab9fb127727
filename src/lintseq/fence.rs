//! Chain-of-thought stripping: keep only the code inside Markdown fences.

use super::text::py_strip;

/// If `response` holds fences opened with "```<tag>" for one of `tags` (tried in order;
/// the first tag that occurs wins, as pylintseq looks for exactly one tag), returns the
/// contents of all such fences joined by "\n" and stripped; otherwise `response` as is.
pub fn strip_chain_of_thought<'a>(response: &'a str, tags: &[&str]) -> std::borrow::Cow<'a, str> {
    for tag in tags {
        let opener = format!("```{tag}");
        if !response.contains(&opener) {
            continue;
        }
        let mut chunks: Vec<&str> = Vec::new();
        let mut suffix = response;
        while let Some(start) = suffix.find(&opener) {
            let body = &suffix[start + opener.len()..];
            // An unclosed fence runs to the end of the text (Python's find gives -1,
            // and slicing to -1 drops the last character; we keep it: see docs).
            match closing_fence(body) {
                Some(end) => {
                    chunks.push(&body[..end]);
                    suffix = &body[end + 3..];
                }
                None => {
                    chunks.push(body);
                    suffix = "";
                }
            }
        }
        return std::borrow::Cow::Owned(py_strip(&chunks.join("\n")).to_string());
    }
    std::borrow::Cow::Borrowed(response)
}

/// Where the fence that `body` (the text after an opener) is in closes: at the first
/// line that is only backticks (3 or more, indented by at most 3 spaces, as in
/// CommonMark), so that "```" inside the code (a string literal, a docstring) does not
/// cut the program short; failing that, at the first "```" anywhere, as pylintseq does
/// (it closes "print(1)```" too).
fn closing_fence(body: &str) -> Option<usize> {
    let mut line_start = 0;
    for line in body.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = line[indent..].trim_end();
        if line_start > 0 && indent <= 3 && rest.len() >= 3 && rest.bytes().all(|b| b == b'`') {
            return Some(line_start + indent);
        }
        line_start += line.len();
    }
    body.find("```")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_text_without_fences() {
        assert_eq!(strip_chain_of_thought("x = 1\n", &["python"]), "x = 1\n");
    }

    #[test]
    fn joins_all_fences_and_strips() {
        let text = "Sure:\n```python\nimport os\n```\nthen\n```python\nx = 1\n```\nbye";
        assert_eq!(strip_chain_of_thought(text, &["python"]), "import os\n\n\nx = 1");
    }

    #[test]
    fn backticks_inside_the_code_do_not_close_the_fence() {
        let text = "Here:\n```python\nMARK = b'```'\ndoc = \"\"\"\n```py\n\"\"\"\n```\nDone.";
        assert_eq!(strip_chain_of_thought(text, &["python"]), "MARK = b'```'\ndoc = \"\"\"\n```py\n\"\"\"");
        // A closing fence indented or longer still closes; text after it is dropped.
        assert_eq!(strip_chain_of_thought("```python\nx = 1\n  ````\nafter", &["python"]), "x = 1");
        // Without a fence line, the first backticks close it, as in pylintseq.
        assert_eq!(strip_chain_of_thought("```python\nprint(1)```\nbye", &["python"]), "print(1)");
    }

    #[test]
    fn unclosed_fence_keeps_the_rest() {
        assert_eq!(strip_chain_of_thought("```python\nx = 1\n", &["python"]), "x = 1");
    }
}
