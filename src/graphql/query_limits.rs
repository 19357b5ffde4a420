//! Limits checked before anything runs, beside the depth limit async-graphql applies
//! (`GRAPHQL_MAX_DEPTH`):
//!
//! - **Cost** (`GRAPHQL_MAX_COMPLEXITY`): every field costs 1 plus what its selection costs,
//!   and a list costs its length times its selection: a connection its `first` (or `last`; 20
//!   when omitted, at most 100), a list without paging its bound (a room's members 50, its queue
//!   500; see [`crate::graphql::connection`]). `{ tracks(first: 100) { nodes { id } } }` costs 1 + 100 × 2.
//! - At most `GRAPHQL_MAX_ALIASES` aliased fields in one document (aliases are how one request
//!   repeats an expensive field, e.g. a login mutation, many times).
//! - Every argument value parses as its resolver will parse it ([`crate::graphql::argument_values`]).
//!
//! A refused document gets errors and no `data`. Batched requests (a JSON array of operations)
//! are not accepted at all: see `http::graphql`. Request bodies and WebSocket messages are
//! bounded by `BODY_LIMIT_BYTES`.

use std::sync::{Arc, Mutex};

use async_graphql::{
    ErrorExtensionValues, Request, ServerError, ServerResult, ValidationResult, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
        NextValidation,
    },
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

use crate::config::Config;
use crate::graphql::argument_values::{self, RequestInputs};
use crate::graphql::documents::Documents;

pub struct QueryLimits {
    max_aliases: usize,
    max_complexity: usize,
    documents: Documents,
}

impl QueryLimits {
    pub fn new(config: &Config) -> Self {
        Self {
            max_aliases: config.security.graphql_max_aliases,
            max_complexity: config.graphql_max_complexity,
            documents: Documents::default(),
        }
    }
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryLimitsExtension {
            max_aliases: self.max_aliases,
            max_complexity: self.max_complexity,
            documents: self.documents.clone(),
            found: Mutex::default(),
        })
    }
}

/// One per request: inspects the document when it is parsed, refuses after validation (so that
/// the standard validation errors come first, but for a bad argument value), before anything
/// runs.
struct QueryLimitsExtension {
    max_aliases: usize,
    max_complexity: usize,
    /// Documents parsed before (this is the only extension that sees parsing).
    documents: Documents,
    found: Mutex<Found>,
}

#[derive(Default)]
struct Found {
    operation_name: Option<String>,
    uploads: usize,
    aliases: usize,
    bad_argument: Option<ServerError>,
}

impl QueryLimitsExtension {
    fn found(&self) -> std::sync::MutexGuard<'_, Found> {
        self.found.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for QueryLimitsExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        {
            let mut found = self.found();
            found.operation_name = request.operation_name.clone();
            found.uploads = request.uploads.len();
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = match self.documents.get(query) {
            Some(document) => document,
            None => {
                let document = next.run(ctx, query, variables).await?;
                self.documents.keep(query, &document);
                document
            }
        };
        let mut found = self.found();
        found.aliases = count_aliases(&document);
        let inputs = RequestInputs {
            variables,
            operation_name: found.operation_name.as_deref(),
            uploads: found.uploads,
        };
        found.bad_argument = argument_values::check(&ctx.schema_env.registry, &document, &inputs);
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await;
        let mut found = self.found();
        // Before the standard errors: the cost rule parses `first` too, and says less.
        if let Some(error) = found.bad_argument.take() {
            return Err(vec![error]);
        }
        let result = result?;
        if result.complexity > self.max_complexity {
            return Err(vec![refusal(format!(
                "Query is too complex: it costs {} and at most {} is allowed (each field costs 1 \
                 plus its selection, a list its page size, `first` or 20, times its \
                 selection); ask for smaller pages or fewer nested lists",
                result.complexity, self.max_complexity
            ))]);
        }
        if found.aliases > self.max_aliases {
            return Err(vec![refusal(format!(
                "Query uses {} aliases; at most {} are allowed",
                found.aliases, self.max_aliases
            ))]);
        }
        Ok(result)
    }
}

fn refusal(message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    error.extensions = Some(extensions);
    error
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
