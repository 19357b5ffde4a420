//! Shared subscription payloads: when many sockets subscribe with the same document and
//! variables, an event is resolved once and every one of them is sent the same serialized
//! bytes (the renderings live with the event, see [`crate::realtime::renders`]).
//!
//! A payload is shared by everyone only when resolving it never read the viewer; the only way
//! to read it is [`ContextExt::viewer`](crate::graphql::ContextExt::viewer), which tells the
//! [`Sharing`] of the request. When it did, the payload is rendered once per viewer instead. A
//! resolution that added errors is not shared: each subscriber resolves it itself.
//!
//! The transport opts in by attaching an `Arc<Sharing>` to the request; without one, events
//! are resolved per subscriber as usual.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, Ordering},
};

use async_graphql::{
    ContextSelectionSet, OutputType, Positioned, ServerResult, Value, parser::types::Field,
};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::realtime::renders::{Rendering, Renders};

/// One subscription's part in sharing: its shape, whether the viewer was read while resolving,
/// and the serialized payload of the last event it was sent.
pub struct Sharing {
    shape: Arc<str>,
    read_viewer: AtomicBool,
    payload: Mutex<Option<Arc<str>>>,
}

impl Sharing {
    /// The shape of an operation: its document, operation name and variables.
    pub fn new(request: &async_graphql::Request) -> Self {
        let variables = serde_json::to_string(&request.variables).unwrap_or_default();
        let shape = format!(
            "{}\u{0}{}\u{0}{variables}",
            request.operation_name.as_deref().unwrap_or(""),
            request.query
        );
        Self {
            shape: shape.into(),
            read_viewer: AtomicBool::new(false),
            payload: Mutex::new(None),
        }
    }

    /// The viewer was read (by a resolver of this request).
    pub fn viewer_read(&self) {
        self.read_viewer.store(true, Ordering::Relaxed);
    }

    /// The payload (`{"data":…}`, serialized) of the response just produced, when it was
    /// shared; the transport sends these bytes instead of serializing the response again.
    pub fn take_payload(&self) -> Option<Arc<str>> {
        self.payload.lock().ok()?.take()
    }

    fn set_payload(&self, payload: Arc<str>) {
        if let Ok(mut slot) = self.payload.lock() {
            *slot = Some(payload);
        }
    }
}

/// One rendering of an event for one shape.
struct Rendered {
    value: Value,
    /// `None` when the resolution added errors: not shared.
    payload: Option<Arc<str>>,
    /// The viewer it was rendered for, when it read the viewer.
    viewer: Option<Uuid>,
}

/// The response's payload as the transport serializes a response (through `serde_json::Value`,
/// so byte for byte what it would have written).
fn payload(key: &str, value: &Value) -> Option<Arc<str>> {
    let value = serde_json::to_value(value).ok()?;
    let payload = serde_json::json!({ "data": { key: value } });
    Some(payload.to_string().into())
}

/// Resolves the event `make` builds for this subscriber, or reuses a rendering of it that
/// another subscriber with the same shape (and, where it matters, the same viewer) made.
pub async fn resolve<T: OutputType>(
    ctx: &ContextSelectionSet<'_>,
    field: &Positioned<Field>,
    renders: &Renders,
    make: impl Fn() -> T,
) -> ServerResult<Value> {
    let Some(sharing) = ctx.data_opt::<Arc<Sharing>>() else {
        return make().resolve(ctx, field).await;
    };
    let me = ctx
        .data_opt::<Viewer>()
        .and_then(|v| v.user.as_ref())
        .map_or(Uuid::nil(), |u| u.user_id);
    let (mine, rendered) = render(
        renders.slot(&sharing.shape, None),
        ctx,
        field,
        sharing,
        me,
        &make,
    )
    .await;
    if let Some(result) = mine {
        return result;
    }
    let rendered = match rendered.viewer {
        Some(viewer) if viewer != me => {
            // It depends on who asks: this viewer's own rendering.
            let (mine, rendered) = render(
                renders.slot(&sharing.shape, Some(me)),
                ctx,
                field,
                sharing,
                me,
                &make,
            )
            .await;
            if let Some(result) = mine {
                return result;
            }
            rendered
        }
        _ => rendered,
    };
    match &rendered.payload {
        Some(payload) => {
            sharing.set_payload(payload.clone());
            Ok(rendered.value.clone())
        }
        None => make().resolve(ctx, field).await,
    }
}

/// The rendering in `slot`, made here when nobody made it yet; then also this subscriber's own
/// result.
async fn render<T: OutputType>(
    slot: Arc<tokio::sync::OnceCell<Rendering>>,
    ctx: &ContextSelectionSet<'_>,
    field: &Positioned<Field>,
    sharing: &Sharing,
    me: Uuid,
    make: &impl Fn() -> T,
) -> (Option<ServerResult<Value>>, Arc<Rendered>) {
    let mut mine = None;
    let rendering = slot
        .get_or_init(|| async {
            let errors = || ctx.query_env.errors.lock().map_or(usize::MAX, |e| e.len());
            sharing.read_viewer.store(false, Ordering::Relaxed);
            let before = errors();
            let result = make().resolve(ctx, field).await;
            let clean = before != usize::MAX && errors() == before;
            let read_viewer = sharing.read_viewer.swap(false, Ordering::Relaxed);
            let rendered = match &result {
                Ok(value) => Rendered {
                    payload: clean
                        .then(|| payload(field.node.response_key().node.as_str(), value))
                        .flatten(),
                    value: value.clone(),
                    viewer: read_viewer.then_some(me),
                },
                Err(_) => Rendered {
                    value: Value::Null,
                    payload: None,
                    viewer: read_viewer.then_some(me),
                },
            };
            if let Some(payload) = &rendered.payload {
                sharing.set_payload(payload.clone());
            }
            mine = Some(result);
            Arc::new(rendered) as Rendering
        })
        .await
        .clone();
    let rendered = rendering.downcast::<Rendered>().unwrap_or_else(|_| {
        Arc::new(Rendered {
            value: Value::Null,
            payload: None,
            viewer: None,
        })
    });
    (mine, rendered)
}
