//! Who a request acts as. Resolved once per HTTP request or WebSocket connection and carried as
//! request data; resolvers read it through [`Viewer::require`].

use uuid::Uuid;

use super::{TokenService, tokens::bearer};
use crate::error::{AppError, AppResult};

#[derive(Clone, Debug, Default)]
pub struct Viewer {
    pub user: Option<SignedIn>,
}

#[derive(Clone, Copy, Debug)]
pub struct SignedIn {
    pub user_id: Uuid,
    pub session_id: Uuid,
    /// Unix seconds at which the access token stops being valid.
    pub expires_at: i64,
}

impl Viewer {
    pub fn anonymous() -> Self {
        Self { user: None }
    }

    /// From an `Authorization` value. `None` is anonymous; a present but bad value is an error,
    /// never silently anonymous, so that clients know to refresh.
    pub fn from_authorization(tokens: &TokenService, value: Option<&str>) -> AppResult<Self> {
        let Some(value) = value else {
            return Ok(Self::anonymous());
        };
        let token = bearer(value).ok_or_else(|| {
            AppError::unauthenticated("Authorization must be `Bearer <accessToken>`")
        })?;
        let claims = tokens.verify_access(token)?;
        Ok(Self {
            user: Some(SignedIn {
                user_id: claims.sub,
                session_id: claims.sid,
                expires_at: claims.exp,
            }),
        })
    }

    pub fn user_id(&self) -> Option<Uuid> {
        self.user.map(|u| u.user_id)
    }

    pub fn require(&self) -> AppResult<SignedIn> {
        self.user
            .ok_or_else(|| AppError::unauthenticated("Sign in first"))
    }
}
