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
            match body.find("```") {
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
    fn unclosed_fence_keeps_the_rest() {
        assert_eq!(strip_chain_of_thought("```python\nx = 1\n", &["python"]), "x = 1");
    }
}
