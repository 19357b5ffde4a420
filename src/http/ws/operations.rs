//! The operations running on one connection, polled by the connection's own loop: each is the
//! stream of the protocol messages it sends (`next`…, then `complete`; or one `error`), keyed
//! by the client's operation id. No task or channel per operation: the loop takes what is ready
//! from all of them, writes it with one flush, and only polls them again once the socket took
//! it, so a slow reader holds up its own operations, which then lag on the event bus (and
//! resync) instead of queueing here.

use std::{
    future::{Future, poll_fn},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use async_graphql::Response as GqlResponse;
use futures_util::{Stream, stream::BoxStream};
use tokio_stream::StreamMap;

use super::protocol::{Protocol, ServerMessage, encode, encode_next};
use crate::graphql::shared::Sharing;

/// Messages taken from the operations before one flush, at most.
const MAX_BATCH: usize = 64;

/// One operation: its responses, encoded as the messages for the socket.
pub struct Operation {
    id: Arc<str>,
    protocol: Protocol,
    responses: BoxStream<'static, GqlResponse>,
    sharing: Arc<Sharing>,
    first: bool,
    finished: bool,
}

impl Operation {
    pub fn new(
        id: &str,
        protocol: Protocol,
        responses: BoxStream<'static, GqlResponse>,
        sharing: Arc<Sharing>,
    ) -> Self {
        Self {
            id: id.into(),
            protocol,
            responses,
            sharing,
            first: true,
            finished: false,
        }
    }

    /// A first result with no data at all (a refused subscription, a validation error) is sent
    /// as `error` and ends the operation; otherwise each result is a `next`.
    fn message(&mut self, response: &GqlResponse) -> String {
        let first = std::mem::replace(&mut self.first, false);
        // A payload shared with other subscribers was serialized once, when it was resolved.
        let shared = self.sharing.take_payload();
        if let Some(payload) = shared.filter(|_| response.errors.is_empty()) {
            encode_next(self.protocol, &self.id, &payload)
        } else if first && is_failure(response) {
            self.finished = true;
            encode(
                self.protocol,
                ServerMessage::Error {
                    id: &self.id,
                    errors: &response.errors,
                },
            )
        } else {
            encode(
                self.protocol,
                ServerMessage::Next {
                    id: &self.id,
                    response,
                },
            )
        }
    }
}

impl Stream for Operation {
    type Item = String;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<String>> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(None);
        }
        match this.responses.as_mut().poll_next(cx) {
            Poll::Ready(Some(response)) => Poll::Ready(Some(this.message(&response))),
            Poll::Ready(None) => {
                this.finished = true;
                Poll::Ready(Some(encode(
                    this.protocol,
                    ServerMessage::Complete { id: &this.id },
                )))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

fn is_failure(response: &GqlResponse) -> bool {
    response.data == async_graphql::Value::Null && !response.errors.is_empty()
}

/// The running operations by id. An operation leaves when its stream ends (after its
/// `complete` or `error`), when the client completes it, or with the connection.
#[derive(Default)]
pub struct Operations {
    running: StreamMap<Arc<str>, Operation>,
}

impl Operations {
    pub fn len(&self) -> usize {
        self.running.len()
    }

    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.running.contains_key(id)
    }

    pub fn start(&mut self, operation: Operation) {
        self.running.insert(operation.id.clone(), operation);
    }

    /// Stops the operation `id` (nothing more is sent for it).
    pub fn stop(&mut self, id: &str) {
        self.running.remove(id);
    }

    /// What the operations have ready, at least one message unless the last of them ended
    /// with nothing more to send; up to [`MAX_BATCH`].
    pub fn next_batch(&mut self) -> impl Future<Output = Vec<String>> + '_ {
        poll_fn(move |cx| {
            let mut batch = Vec::new();
            while batch.len() < MAX_BATCH {
                match Pin::new(&mut self.running).poll_next(cx) {
                    Poll::Ready(Some((_, text))) => batch.push(text),
                    Poll::Ready(None) => break,
                    Poll::Pending if batch.is_empty() => return Poll::Pending,
                    Poll::Pending => break,
                }
            }
            Poll::Ready(batch)
        })
    }
}
