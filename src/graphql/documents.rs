//! Parsed documents by their text: clients send the same few operations over and over, and
//! parsing one (`{ serverTime }` included) cost more than running it. A parse is a pure function
//! of the text, so a cached one is the same document. Bounded: past [`MAX_DOCUMENTS`] the cache
//! starts over, and long texts are never kept.

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use dashmap::DashMap;

/// Most documents kept.
pub const MAX_DOCUMENTS: usize = 1024;
/// Longest text kept, in bytes.
pub const MAX_TEXT: usize = 8 * 1024;

#[derive(Clone, Default)]
pub struct Documents(Arc<DashMap<Box<str>, ExecutableDocument>>);

impl Documents {
    pub fn get(&self, text: &str) -> Option<ExecutableDocument> {
        self.0.get(text).map(|doc| doc.clone())
    }

    pub fn keep(&self, text: &str, document: &ExecutableDocument) {
        if text.len() > MAX_TEXT {
            return;
        }
        if self.0.len() >= MAX_DOCUMENTS {
            self.0.clear();
        }
        self.0.insert(text.into(), document.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_short_texts_within_bounds() {
        let docs = Documents::default();
        let text = "{ serverTime }";
        let parsed = async_graphql::parser::parse_query(text).expect("parse");
        assert!(docs.get(text).is_none());
        docs.keep(text, &parsed);
        assert!(docs.get(text).is_some());
        let long = format!("{{ serverTime }}{}", " ".repeat(MAX_TEXT));
        docs.keep(&long, &parsed);
        assert!(docs.get(&long).is_none(), "too long to keep");
        for i in 0..MAX_DOCUMENTS {
            docs.keep(&format!("{{ a{i}: serverTime }}"), &parsed);
        }
        assert!(docs.0.len() <= MAX_DOCUMENTS);
    }
}
