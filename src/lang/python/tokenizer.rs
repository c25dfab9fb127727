//! A tokenizer that mirrors CPython's (to be written).
