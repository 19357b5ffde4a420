//! Typed access to what every resolver needs: the app state and the viewer.

use async_graphql::Context;

use crate::auth::Viewer;
use crate::error::AppError;
use crate::state::AppState;

pub trait ContextExt {
    fn state(&self) -> Result<&AppState, AppError>;
    /// The request's viewer; anonymous when the transport attached none.
    fn viewer(&self) -> Viewer;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> Result<&AppState, AppError> {
        self.data::<AppState>()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("AppState missing from schema data")))
    }

    fn viewer(&self) -> Viewer {
        self.data_opt::<Viewer>().cloned().unwrap_or_default()
    }
}
