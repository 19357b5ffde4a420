//! The one error type. Each variant maps to one GraphQL `extensions.code` and one HTTP status.
//! Internal errors are logged (inside the request's span, so with its request id) and shown to
//! the client only as a generic message.

use async_graphql::ErrorExtensions;
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

pub type AppResult<T> = Result<T, AppError>;

/// Deliberately not `Display`: async-graphql converts any `Display` error into a bare message,
/// which would drop the code. Without it, `?` in a resolver goes through our `From` below.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated(String),
    Forbidden(String),
    NotFound(String),
    BadInput {
        field: Option<&'static str>,
        message: String,
    },
    Conflict {
        field: Option<&'static str>,
        message: String,
    },
    TooManyRequests {
        retry_after_secs: u64,
    },
    /// A resume point older than the server keeps: refetch, then subscribe afresh.
    CursorExpired(String),
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(err)
    }
}

impl AppError {
    pub fn unauthenticated(msg: impl Into<String>) -> Self {
        Self::Unauthenticated(msg.into())
    }
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::Forbidden(msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::NotFound(msg.into())
    }
    pub fn bad_input(field: &'static str, msg: impl Into<String>) -> Self {
        Self::BadInput {
            field: Some(field),
            message: msg.into(),
        }
    }
    pub fn conflict(field: &'static str, msg: impl Into<String>) -> Self {
        Self::Conflict {
            field: Some(field),
            message: msg.into(),
        }
    }

    /// The same error blamed on another input field: a parser shared by several arguments
    /// (`password`, `newPassword`) reports the one the caller passed.
    pub fn on_field(self, field: &'static str) -> Self {
        match self {
            Self::BadInput { message, .. } => Self::BadInput {
                field: Some(field),
                message,
            },
            Self::Conflict { message, .. } => Self::Conflict {
                field: Some(field),
                message,
            },
            other => other,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::Conflict { .. } => "CONFLICT",
            Self::TooManyRequests { .. } => "TOO_MANY_REQUESTS",
            Self::CursorExpired(_) => "CURSOR_EXPIRED",
            Self::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadInput { .. } => StatusCode::BAD_REQUEST,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::CursorExpired(_) => StatusCode::GONE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message a client may see: everything but internal errors, which are logged instead.
    pub fn public_message(&self) -> String {
        match self {
            Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::CursorExpired(m) => m.clone(),
            Self::BadInput { message, .. } | Self::Conflict { message, .. } => message.clone(),
            Self::TooManyRequests { retry_after_secs } => {
                format!("Too many requests; retry in {retry_after_secs} s")
            }
            Self::Internal(err) => {
                tracing::error!(error = ?err, "internal error");
                "Internal server error".to_owned()
            }
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Internal(err.into())
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.public_message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                Self::BadInput {
                    field: Some(field), ..
                }
                | Self::Conflict {
                    field: Some(field), ..
                } => ext.set("field", *field),
                Self::TooManyRequests { retry_after_secs } => {
                    ext.set("retryAfter", *retry_after_secs)
                }
                _ => {}
            }
        })
    }
}

/// For the plain HTTP routes: a JSON body `{ error: { code, message } }` with the variant's status.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::json!({ "error": { "code": self.code(), "message": self.public_message() } });
        let mut response = (status, axum::Json(body)).into_response();
        match &self {
            Self::TooManyRequests { retry_after_secs } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            Self::Unauthenticated(_) => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}
