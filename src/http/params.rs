//! The GraphQL-over-HTTP request parameters (`query`, `operationName`, `variables`,
//! `extensions`), read the same way from a JSON body, a GET query string, a multipart
//! `operations` field and a WebSocket `subscribe` payload.

use async_graphql::{Request as GqlRequest, Variables};
use serde_json::Value;

/// Turns a JSON request body into a GraphQL request, checking each parameter's type.
pub fn request_from_json(value: Value) -> Result<GqlRequest, String> {
    let Value::Object(mut map) = value else {
        return Err(
            "The request body must be a JSON object (batched requests are not supported)".into(),
        );
    };
    let query = match map.remove("query") {
        Some(Value::String(q)) => q,
        None | Some(Value::Null) => return Err("The `query` parameter is required".into()),
        Some(_) => return Err("The `query` parameter must be a string".into()),
    };
    let mut request = GqlRequest::new(query);
    match map.remove("operationName") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => request = request.operation_name(name),
        Some(_) => return Err("The `operationName` parameter must be a string".into()),
    }
    match map.remove("variables") {
        None | Some(Value::Null) => {}
        Some(v @ Value::Object(_)) => request = request.variables(Variables::from_json(v)),
        Some(_) => return Err("The `variables` parameter must be an object".into()),
    }
    match map.remove("extensions") {
        None | Some(Value::Null) => {}
        Some(Value::Object(ext)) => {
            for (k, v) in ext {
                let v = async_graphql::Value::from_json(v)
                    .map_err(|_| "Invalid `extensions` value".to_owned())?;
                request.extensions.insert(k, v);
            }
        }
        Some(_) => return Err("The `extensions` parameter must be an object".into()),
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_type_checked() {
        assert!(request_from_json(serde_json::json!({ "query": "{ a }" })).is_ok());
        assert!(request_from_json(serde_json::json!({ "query": "{ a }", "variables": null, "extensions": null, "operationName": null })).is_ok());
        for bad in [
            serde_json::json!({ "notquery": "{ a }" }),
            serde_json::json!({ "query": 0 }),
            serde_json::json!({ "query": "{ a }", "variables": "x" }),
            serde_json::json!({ "query": "{ a }", "operationName": ["x"] }),
            serde_json::json!({ "query": "{ a }", "extensions": false }),
            serde_json::json!([{ "query": "{ a }" }]),
        ] {
            assert!(request_from_json(bad.clone()).is_err(), "{bad}");
        }
    }
}
