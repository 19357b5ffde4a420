//! Limits checked on the parsed document, before validation and execution, beside the depth and
//! complexity limits async-graphql applies (`GRAPHQL_MAX_DEPTH`, `GRAPHQL_MAX_COMPLEXITY`):
//!
//! - at most `GRAPHQL_MAX_ALIASES` aliased fields in one document (aliases are how one request
//!   repeats an expensive field, e.g. a login mutation, many times).
//!
//! Batched requests (a JSON array of operations) are not accepted at all: see `http::graphql`.
//! Request bodies and WebSocket messages are bounded by `BODY_LIMIT_BYTES`.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use async_graphql::{
    ServerError, ServerResult, ValidationResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation},
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

use crate::config::Config;

pub struct QueryLimits {
    max_aliases: usize,
}

impl QueryLimits {
    pub fn new(config: &Config) -> Self {
        Self {
            max_aliases: config.security.graphql_max_aliases,
        }
    }
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryLimitsExtension {
            max_aliases: self.max_aliases,
            aliases: AtomicUsize::new(0),
        })
    }
}

/// One per request: counts at parse time, refuses after validation (so that the depth and
/// complexity errors, which say more, come first), before anything runs.
struct QueryLimitsExtension {
    max_aliases: usize,
    aliases: AtomicUsize,
}

#[async_graphql::async_trait::async_trait]
impl Extension for QueryLimitsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        self.aliases
            .store(count_aliases(&document), Ordering::Relaxed);
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let aliases = self.aliases.load(Ordering::Relaxed);
        if aliases > self.max_aliases {
            return Err(vec![ServerError::new(
                format!(
                    "Query uses {aliases} aliases; at most {} are allowed",
                    self.max_aliases
                ),
                None,
            )]);
        }
        Ok(result)
    }
}

/// Aliased fields written in the document (operations and fragment definitions).
fn count_aliases(document: &ExecutableDocument) -> usize {
    let operations: usize = document
        .operations
        .iter()
        .map(|(_, op)| in_selection_set(&op.node.selection_set.node))
        .sum();
    let fragments: usize = document
        .fragments
        .values()
        .map(|f| in_selection_set(&f.node.selection_set.node))
        .sum();
    operations + fragments
}

fn in_selection_set(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some())
                    + in_selection_set(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => {
                in_selection_set(&fragment.node.selection_set.node)
            }
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_aliases_everywhere() {
        let doc = async_graphql::parser::parse_query(
            "query { a: me { b: id ... on User { c: id } ...F } d: serverTime }
             fragment F on User { e: id f: username id }",
        )
        .expect("parse");
        assert_eq!(count_aliases(&doc), 6);
        let plain = async_graphql::parser::parse_query("{ me { id } }").expect("parse");
        assert_eq!(count_aliases(&plain), 0);
    }
}
