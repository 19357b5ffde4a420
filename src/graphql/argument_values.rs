//! The GraphQL spec's "Values of Correct Type" rule, held to what the resolvers will accept.
//!
//! async-graphql's own check of argument values asks each scalar whether a value *looks*
//! right: any whole number passes for `Int`, any string for `UUID`. A value that then fails to
//! parse is only noticed while the operation runs, after earlier mutation fields have already
//! run. This check parses every argument value (literals, and variables substituted, defaults
//! included) with the scalar's real parser before anything runs, and refuses the document with
//! `BAD_USER_INPUT` naming the argument.
//!
//! `Upload` values are checked the same way: each must name a file that the multipart request
//! carried, and each file may be used by one argument only (so one staged file is never
//! probed twice, and a JSON string posing as a file reference never reaches a resolver).

use std::collections::HashSet;

use async_graphql::{
    ErrorExtensionValues, InputType, Name, Pos, ServerError, Upload, Value, Variables,
    parser::types::{
        DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
        SelectionSet,
    },
    registry::{MetaType, MetaTypeName, Registry},
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Prefix async-graphql gives the variable values that stand for multipart files.
const FILE_REFERENCE: &str = "#__graphql_file__:";

/// What the request brings besides its document.
pub struct RequestInputs<'a> {
    pub variables: &'a Variables,
    pub operation_name: Option<&'a str>,
    /// How many files the multipart request carried.
    pub uploads: usize,
}

/// The first argument whose value would not parse, as a `BAD_USER_INPUT` error.
pub fn check(
    registry: &Registry,
    document: &ExecutableDocument,
    inputs: &RequestInputs<'_>,
) -> Option<ServerError> {
    let selected = selected_operation(document, inputs.operation_name);
    let mut walk = Walk {
        registry,
        variables: selected.map(|op| Bindings {
            values: inputs.variables,
            operation: op,
        }),
        uploads: inputs.uploads,
        used_uploads: HashSet::new(),
    };
    for (_, operation) in document.operations.iter() {
        let root = match operation.node.ty {
            OperationType::Query => Some(registry.query_type.as_str()),
            OperationType::Mutation => registry.mutation_type.as_deref(),
            OperationType::Subscription => registry.subscription_type.as_deref(),
        };
        let is_selected = selected.is_some_and(|s| std::ptr::eq(s, &operation.node));
        if let Some(root) = root
            && let Err(e) =
                walk.selection_set(root, &operation.node.selection_set.node, is_selected)
        {
            return Some(e);
        }
    }
    for fragment in document.fragments.values() {
        let on = fragment.node.type_condition.node.on.node.as_str();
        if let Err(e) = walk.selection_set(on, &fragment.node.selection_set.node, true) {
            return Some(e);
        }
    }
    None
}

fn selected_operation<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<&'d OperationDefinition> {
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// The selected operation's variables: the values sent, else the declared defaults.
struct Bindings<'a> {
    values: &'a Variables,
    operation: &'a OperationDefinition,
}

impl Bindings<'_> {
    fn get(&self, name: &Name) -> Option<Value> {
        if let Some(value) = self.values.get(name) {
            return Some(value.clone());
        }
        self.operation
            .variable_definitions
            .iter()
            .find(|d| d.node.name.node == *name)
            .and_then(|d| d.node.default_value.as_ref())
            .map(|v| v.node.clone())
    }
}

struct Walk<'a> {
    registry: &'a Registry,
    variables: Option<Bindings<'a>>,
    uploads: usize,
    used_uploads: HashSet<usize>,
}

impl Walk<'_> {
    /// `bound`: whether variables are those of this selection's operation (fragments are only
    /// used by the selected one; other operations' variables are not known).
    fn selection_set(
        &mut self,
        parent: &str,
        set: &SelectionSet,
        bound: bool,
    ) -> Result<(), ServerError> {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let Some(meta) = self
                        .registry
                        .types
                        .get(parent)
                        .and_then(|t| t.field_by_name(&field.node.name.node))
                    else {
                        // An unknown field is reported by the standard validation.
                        continue;
                    };
                    for (name, value) in &field.node.arguments {
                        let Some(arg) = meta.args.get(name.node.as_str()) else {
                            continue;
                        };
                        let value = value.node.clone().into_const_with(|var| {
                            match self.variables.as_ref().filter(|_| bound) {
                                Some(bindings) => bindings.get(&var).ok_or(()),
                                None => Err(()),
                            }
                        });
                        // A value that cannot be resolved is a variable the standard
                        // validation reports (undefined), or one of an unselected operation.
                        let Ok(value) = value else { continue };
                        if let Err(reason) = self.value(&arg.ty, &value) {
                            return Err(refusal(&arg.name, &reason, name.pos));
                        }
                    }
                    let child = MetaTypeName::concrete_typename(&meta.ty);
                    self.selection_set(child, &field.node.selection_set.node, bound)?;
                }
                Selection::InlineFragment(fragment) => {
                    let on = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(parent, |c| c.node.on.node.as_str());
                    self.selection_set(on, &fragment.node.selection_set.node, bound)?;
                }
                // Fragment definitions are walked once each, on their own.
                Selection::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }

    fn value(&mut self, ty: &str, value: &Value) -> Result<(), String> {
        match MetaTypeName::create(ty) {
            MetaTypeName::NonNull(inner) => self.value(inner, value),
            MetaTypeName::List(inner) => match value {
                Value::List(items) => items.iter().try_for_each(|item| self.value(inner, item)),
                other => self.value(inner, other),
            },
            MetaTypeName::Named(_) if *value == Value::Null => Ok(()),
            MetaTypeName::Named(name) => match self.registry.types.get(name) {
                Some(MetaType::Scalar { .. }) => self.scalar(name, value),
                Some(MetaType::InputObject { input_fields, .. }) => {
                    let Value::Object(fields) = value else {
                        return Ok(());
                    };
                    for (key, field_value) in fields {
                        if let Some(field) = input_fields.get(key.as_str()) {
                            self.value(&field.ty, field_value)
                                .map_err(|reason| format!("{key}: {reason}"))?;
                        }
                    }
                    Ok(())
                }
                _ => Ok(()),
            },
        }
    }

    fn scalar(&mut self, name: &str, value: &Value) -> Result<(), String> {
        match name {
            "Int" => parses::<i32>(value),
            "Float" => parses::<f64>(value),
            "UUID" => parses::<Uuid>(value),
            "DateTime" => parses::<DateTime<Utc>>(value),
            "Upload" => self.upload(value),
            // String, Boolean, ID and JSON: async-graphql's own check is exact.
            _ => Ok(()),
        }
    }

    fn upload(&mut self, value: &Value) -> Result<(), String> {
        let index = match value {
            Value::String(s) => s
                .strip_prefix(FILE_REFERENCE)
                .and_then(|n| n.parse::<usize>().ok()),
            _ => None,
        };
        let Some(index) = index.filter(|i| *i < self.uploads) else {
            return Err(
                "expected a file sent in this multipart request (GraphQL multipart request spec)"
                    .into(),
            );
        };
        if !self.used_uploads.insert(index) {
            return Err("each uploaded file may be given to one argument only".into());
        }
        // Only now is async-graphql's own parser safe to call on it.
        parses::<Upload>(value)
    }
}

fn parses<T: InputType>(value: &Value) -> Result<(), String> {
    T::parse(Some(value.clone()))
        .map(|_| ())
        .map_err(|e| e.into_server_error(Pos::default()).message)
}

fn refusal(argument: &str, reason: &str, pos: Pos) -> ServerError {
    let mut error = ServerError::new(
        format!("Invalid value for argument \"{argument}\": {reason}"),
        Some(pos),
    );
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    extensions.set("field", argument);
    error.extensions = Some(extensions);
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(query: &str, variables: serde_json::Value, uploads: usize) -> Option<String> {
        let registry = &registry();
        let document = async_graphql::parser::parse_query(query).expect("parses");
        let variables = Variables::from_json(variables);
        let inputs = RequestInputs {
            variables: &variables,
            operation_name: None,
            uploads,
        };
        check(registry, &document, &inputs).map(|e| {
            let field = e
                .extensions
                .as_ref()
                .and_then(|x| x.get("field").cloned())
                .map(|v| v.to_string())
                .unwrap_or_default();
            format!("{field} {}", e.message)
        })
    }

    fn registry() -> Registry {
        use async_graphql::OutputType;
        let mut registry = Registry {
            query_type: "Query".into(),
            mutation_type: Some("Mutation".into()),
            ..Registry::default()
        };
        crate::graphql::QueryRoot::create_type_info(&mut registry);
        crate::graphql::MutationRoot::create_type_info(&mut registry);
        registry
    }

    #[test]
    fn literals_are_parsed_as_the_resolver_would() {
        assert!(
            refused(
                "{ tracks(first: 5) { totalCount } }",
                serde_json::json!({}),
                0
            )
            .is_none()
        );
        let big = refused(
            "{ tracks(first: 99999999999) { totalCount } }",
            serde_json::json!({}),
            0,
        )
        .expect("out of range");
        assert!(big.starts_with("\"first\""), "{big}");
        let uuid =
            refused("{ track(id: \"nope\") { id } }", serde_json::json!({}), 0).expect("bad uuid");
        assert!(uuid.starts_with("\"id\""), "{uuid}");
    }

    #[test]
    fn variables_and_defaults_are_parsed_too() {
        let q =
            "query($n: Int, $id: UUID!) { tracks(first: $n) { totalCount } track(id: $id) { id } }";
        let good = serde_json::json!({ "n": 3, "id": "6b1f5a3e-7c1d-4b8e-9a55-2f0e5b7d9c11" });
        assert!(refused(q, good, 0).is_none());
        let bad = serde_json::json!({ "n": 3, "id": "6b1f5a3e" });
        assert!(refused(q, bad, 0).is_some());
        let default = "query($n: Int = 99999999999) { tracks(first: $n) { totalCount } }";
        assert!(refused(default, serde_json::json!({}), 0).is_some());
    }

    #[test]
    fn inside_input_objects_and_fragments() {
        let q = "mutation { updatePlayback(input: { trackId: \"x\", positionMs: 0, isPlaying: true }) { version } }";
        assert!(refused(q, serde_json::json!({}), 0).is_some());
        let f = "query { ...F } fragment F on Query { track(id: \"x\") { id } }";
        assert!(refused(f, serde_json::json!({}), 0).is_some());
    }

    #[test]
    fn uploads_must_be_files_of_the_request_each_used_once() {
        let q = "mutation($f: Upload!, $i: UploadTrackInput!) { uploadTrack(input: $i, file: $f) { id } }";
        let input =
            serde_json::json!({ "name": "a", "artistId": "6b1f5a3e-7c1d-4b8e-9a55-2f0e5b7d9c11" });
        let vars = |f: &str| serde_json::json!({ "f": f, "i": input });
        assert!(refused(q, vars("#__graphql_file__:0"), 1).is_none());
        assert!(
            refused(q, vars("#__graphql_file__:0"), 0).is_some(),
            "no file sent"
        );
        assert!(
            refused(q, vars("#__graphql_file__:x"), 1).is_some(),
            "not an index"
        );
        assert!(refused(q, vars("plain text"), 1).is_some());
        let twice = "mutation($f: Upload!, $i: UploadTrackInput!) { a: uploadTrack(input: $i, file: $f) { id } b: uploadTrack(input: $i, file: $f) { id } }";
        let reason = refused(twice, vars("#__graphql_file__:0"), 1).expect("used twice");
        assert!(reason.contains("one argument"), "{reason}");
    }
}
