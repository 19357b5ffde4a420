//! Typed access to what every resolver needs: the app state and the viewer.

use std::sync::Arc;

use async_graphql::Context;

use crate::auth::Viewer;
use crate::error::AppError;
use crate::graphql::shared::Sharing;
use crate::state::AppState;

pub trait ContextExt {
    fn state(&self) -> Result<&AppState, AppError>;
    /// The request's viewer; anonymous when the transport attached none. Resolvers read the
    /// viewer only through this: a subscription payload that never does is shared by every
    /// subscriber (see [`shared`](crate::graphql::shared)).
    fn viewer(&self) -> Viewer;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> Result<&AppState, AppError> {
        self.data::<AppState>()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("AppState missing from schema data")))
    }

    fn viewer(&self) -> Viewer {
        if let Some(sharing) = self.data_opt::<Arc<Sharing>>() {
            sharing.viewer_read();
        }
        self.data_opt::<Viewer>().cloned().unwrap_or_default()
    }
}
