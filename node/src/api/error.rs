//! API errors: a status and a JSON body `{"error": {"code", "message", "offset"?}}`.

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::node::NodeError;

#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Byte offset into the filter text, for a filter error.
    offset: Option<usize>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            offset: None,
        }
    }

    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn unknown_subscription() -> Self {
        ApiError::from(NodeError::UnknownSubscription)
    }
}

impl From<NodeError> for ApiError {
    fn from(error: NodeError) -> Self {
        let message = error.to_string();
        match error {
            NodeError::Filter(parse) => ApiError {
                offset: Some(parse.offset),
                ..ApiError::bad_request("bad_filter", message)
            },
            NodeError::Event(_) => ApiError::bad_request("bad_event", message),
            NodeError::ExpiryInThePast => ApiError::bad_request("bad_expiry", message),
            NodeError::TooManySubscriptions { .. } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_subscriptions",
                message,
            ),
            NodeError::UnknownSubscription => {
                ApiError::new(StatusCode::NOT_FOUND, "unknown_subscription", message)
            }
            NodeError::Stopped => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "stopped", message)
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::BytesRejection(bytes) => ApiError::from(bytes),
            other => ApiError::new(other.status(), "bad_json", other.body_text()),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "too_large"
        } else {
            "bad_body"
        };
        ApiError::new(status, code, rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(offset) = self.offset {
            error["offset"] = json!(offset);
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see docs/http-api.md",
    )
}

pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; see docs/http-api.md",
    )
}
