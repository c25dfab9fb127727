//! JSON text exactly as pylintseq writes it: Python's `json.dumps` with
//! `ensure_ascii=False` and separators `", "` / `": "`. serde_json escapes the same
//! characters as Python does (`"`, `\`, and U+0000..U+001F, with the short forms
//! `\b \f \n \r \t`, lower-case `\u00XX` otherwise), so only the separators differ.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

/// serde_json's compact output with Python's default separators.
#[derive(Debug, Default, Clone, Copy)]
pub struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { writer.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { writer.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }
}

/// Appends `text` as a JSON string.
pub fn write_str(out: &mut Vec<u8>, text: &str) {
    serde_json::to_writer(out, text).expect("writing to a Vec");
}

/// Appends any serializable value in Python's layout.
pub fn write_value<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, PythonFormatter);
    value.serialize(&mut serializer).expect("writing to a Vec");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python_separators_and_escapes() {
        let value = serde_json::json!({"a": [1, "x\ny\u{1}\u{7f}é\"\\"], "b": {}, "c": []});
        let mut out = Vec::new();
        write_value(&mut out, &value);
        // json.dumps(v, ensure_ascii=False) in Python gives exactly this.
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"a\": [1, \"x\\ny\\u0001\u{7f}é\\\"\\\\\"], \"b\": {}, \"c\": []}"
        );
    }
}
