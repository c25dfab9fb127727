//! Batches -> kernel -> writer.
