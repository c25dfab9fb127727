//! The semantic model: scopes, bindings and references (to be written).

use tree_sitter::Tree;

#[derive(Debug, Default)]
pub struct Model {}

impl Model {
    pub fn build(_source: &str, _tree: &Tree) -> Model {
        Model {}
    }
}
