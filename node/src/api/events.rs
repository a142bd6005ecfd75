//! Publishing: one event as a JSON object, or a batch as JSON lines.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use serde_json::{Value, json};
use sift_matcher::{Event, EventLimits};

use super::{ApiError, ApiState};
use crate::peer_ids::event_id_text;

fn parse_event(text: &str) -> Result<Event, ApiError> {
    Event::from_json(text, &EventLimits::default())
        .map_err(|error| ApiError::bad_request("bad_event", format!("bad event: {error}")))
}

fn utf8(body: &Bytes) -> Result<&str, ApiError> {
    std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("bad_body", "the body is not UTF-8"))
}

pub(crate) async fn publish(
    State(state): State<ApiState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = body?;
    let event = parse_event(utf8(&body)?)?;
    let id = state.client.publish(event).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": event_id_text(&id) })),
    ))
}

/// Every line is checked before any is published: a bad line fails the whole batch, naming
/// the line, and publishes nothing.
pub(crate) async fn publish_batch(
    State(state): State<ApiState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = body?;
    let mut events = Vec::new();
    for (number, line) in utf8(&body)?.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let event = parse_event(line).map_err(|error| {
            ApiError::bad_request(
                "bad_event",
                format!("line {}: {}", number + 1, error.message()),
            )
        })?;
        events.push(event);
    }
    let mut ids = Vec::with_capacity(events.len());
    for event in events {
        ids.push(event_id_text(&state.client.publish(event).await?));
    }
    Ok((StatusCode::ACCEPTED, Json(json!({ "ids": ids }))))
}
