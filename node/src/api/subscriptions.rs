//! Subscriptions: create, list, show, renew, cancel; and their callbacks, the Server-Sent
//! Events stream and the pull queue.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::Stream;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sift_core::Micros;

use super::{ApiError, ApiState};
use crate::clock;
use crate::peer_ids::event_id_text;
use crate::pull::PullQueue;
use crate::sinks::{Callback, LocalSub, delivery_json};

/// The longest a blocking get may wait.
const MAX_WAIT: Duration = Duration::from_secs(60);
/// Events one get returns at most.
const MAX_BATCH: usize = 1_000;
/// Visibility timeout when the consumer names none.
const DEFAULT_VISIBILITY: Duration = Duration::from_secs(30);

/// When a subscription ends: after `ttl` (`"90s"`, `"15m"`), at `expires_at` (RFC 3339), or
/// never if neither is given.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Expiry {
    ttl: Option<String>,
    expires_at: Option<String>,
}

impl Expiry {
    fn resolve(&self) -> Result<Option<Micros>, ApiError> {
        match (&self.ttl, &self.expires_at) {
            (Some(_), Some(_)) => Err(ApiError::bad_request(
                "bad_expiry",
                "give either ttl or expires_at, not both",
            )),
            (Some(ttl), None) => {
                let ttl = humantime::parse_duration(ttl).map_err(|error| {
                    ApiError::bad_request(
                        "bad_expiry",
                        format!("ttl `{ttl}`: {error} (e.g. \"90s\", \"15m\")"),
                    )
                })?;
                Ok(Some(clock::now().saturating_add(clock::micros(ttl))))
            }
            (None, Some(at)) => {
                let at = humantime::parse_rfc3339_weak(at).map_err(|error| {
                    ApiError::bad_request(
                        "bad_expiry",
                        format!("expires_at `{at}`: {error} (e.g. \"2026-12-31T23:59:59Z\")"),
                    )
                })?;
                let since_epoch = at.duration_since(std::time::UNIX_EPOCH).map_err(|_| {
                    ApiError::bad_request("bad_expiry", "expires_at is before 1970")
                })?;
                Ok(Some(clock::micros(since_epoch)))
            }
            (None, None) => Ok(None),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum CallbackRequest {
    Stream,
    Pull,
    Webhook { url: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRequest {
    filter: String,
    #[serde(flatten)]
    expiry: Expiry,
    callback: Option<CallbackRequest>,
}

/// A subscription as the API shows it.
#[derive(Debug, Serialize)]
pub(crate) struct View {
    id: String,
    filter: String,
    callback: &'static str,
    created_at: String,
    expires_at: Option<String>,
    delivered: u64,
    dropped: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    waiting: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unacked: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook: Option<WebhookView>,
}

#[derive(Debug, Serialize)]
struct WebhookView {
    url: String,
    failed_attempts: u64,
    given_up: u64,
}

fn view(sub: &LocalSub) -> View {
    let counts = sub.pull_queue().map(PullQueue::counts);
    View {
        id: sub.id.seq.to_string(),
        filter: sub.filter.clone(),
        callback: sub.callback.kind(),
        created_at: clock::rfc3339(sub.created),
        expires_at: sub.expires().map(clock::rfc3339),
        delivered: sub.delivered.load(Ordering::Relaxed),
        dropped: sub.dropped.load(Ordering::Relaxed),
        waiting: counts.map(|c| c.waiting),
        unacked: counts.map(|c| c.unacked),
        webhook: sub.webhook().map(|w| WebhookView {
            url: w.url.clone(),
            failed_attempts: w.counts.failed_attempts.load(Ordering::Relaxed),
            given_up: w.counts.given_up.load(Ordering::Relaxed),
        }),
    }
}

fn find(state: &ApiState, id: &str) -> Result<Arc<LocalSub>, ApiError> {
    state
        .client
        .registry
        .find(id)
        .ok_or_else(ApiError::unknown_subscription)
}

pub(crate) async fn create(
    State(state): State<ApiState>,
    request: Result<Json<CreateRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<View>), ApiError> {
    let Json(request) = request?;
    let expires = request.expiry.resolve()?;
    let limits = &state.client.limits;
    let callback = match request.callback.unwrap_or(CallbackRequest::Stream) {
        CallbackRequest::Stream => Callback::channel(limits.max_stream_backlog),
        CallbackRequest::Pull => Callback::Pull(PullQueue::new(limits.max_pending)),
        CallbackRequest::Webhook { url } => Callback::Webhook(
            state
                .client
                .webhooks
                .start(&url, limits.max_stream_backlog)
                .map_err(|message| ApiError::bad_request("bad_webhook", message))?,
        ),
    };
    let sub = state
        .client
        .subscribe(&request.filter, expires, callback)
        .await?;
    Ok((StatusCode::CREATED, Json(view(&sub))))
}

pub(crate) async fn list(State(state): State<ApiState>) -> Json<Vec<View>> {
    Json(
        state
            .client
            .registry
            .all()
            .iter()
            .map(|s| view(s))
            .collect(),
    )
}

pub(crate) async fn show(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<View>, ApiError> {
    let sub = find(&state, &id)?;
    Ok(Json(view(&sub)))
}

pub(crate) async fn cancel(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let sub = find(&state, &id)?;
    if state.client.unsubscribe(sub.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::unknown_subscription())
    }
}

pub(crate) async fn renew(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    request: Result<Json<Expiry>, JsonRejection>,
) -> Result<Json<View>, ApiError> {
    let Json(expiry) = request?;
    let Some(expires) = expiry.resolve()? else {
        return Err(ApiError::bad_request(
            "bad_expiry",
            "give the new expiry: ttl or expires_at",
        ));
    };
    let sub = find(&state, &id)?;
    state.client.renew(sub.id, expires).await?;
    Ok(Json(view(&sub)))
}

/// The subscription's events as Server-Sent Events (`event: event`), ending with an
/// `event: end` once the subscription expires or is cancelled. One consumer at a time: a
/// second gets 409 until the first disconnects.
pub(crate) async fn stream(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let sub = find(&state, &id)?;
    let Some(receiver) = sub.lend_receiver() else {
        let (code, message) = match sub.callback {
            Callback::Pull(_) => (
                "not_a_stream",
                "this subscription's callback is a pull queue; GET its events",
            ),
            Callback::Webhook(_) => ("not_a_stream", "this subscription's callback is a webhook"),
            Callback::Channel { .. } => ("stream_taken", "the stream already has a consumer"),
        };
        return Err(ApiError::new(StatusCode::CONFLICT, code, message));
    };
    drop(sub);
    let events = futures::stream::unfold(Some(receiver), |receiver| async move {
        let mut receiver = receiver?;
        let item = match receiver.recv().await {
            Some(publication) => {
                let event = SseEvent::default()
                    .event("event")
                    .id(event_id_text(&publication.id))
                    .json_data(delivery_json(&publication))
                    .unwrap_or_else(|_| SseEvent::default().event("event"));
                (Ok(event), Some(receiver))
            }
            None => (
                Ok(SseEvent::default()
                    .event("end")
                    .data("the subscription ended")),
                None,
            ),
        };
        Some(item)
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PullQuery {
    /// How long to wait for a first event: `0s` polls.
    wait: Option<String>,
    max: Option<usize>,
    visibility: Option<String>,
}

fn duration_param(name: &str, text: Option<&str>, default: Duration) -> Result<Duration, ApiError> {
    text.map_or(Ok(default), |text| {
        humantime::parse_duration(text).map_err(|error| {
            ApiError::bad_request(
                "bad_parameter",
                format!("{name} `{text}`: {error} (e.g. \"5s\")"),
            )
        })
    })
}

pub(crate) async fn pull(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) =
        query.map_err(|rejection| ApiError::bad_request("bad_parameter", rejection.body_text()))?;
    let wait = duration_param("wait", query.wait.as_deref(), Duration::ZERO)?.min(MAX_WAIT);
    let visibility = duration_param(
        "visibility",
        query.visibility.as_deref(),
        DEFAULT_VISIBILITY,
    )?;
    let max = query.max.unwrap_or(1).clamp(1, MAX_BATCH);
    let sub = find(&state, &id)?;
    let Some(queue) = sub.pull_queue() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_a_pull_queue",
            "this subscription's callback is not a pull queue",
        ));
    };
    let pulled = queue.get(max, visibility, wait).await;
    let events: Vec<Value> = pulled
        .iter()
        .map(|p| {
            let mut delivery = delivery_json(&p.publication);
            delivery["receipt"] = json!(p.receipt.to_string());
            delivery["redeliveries"] = json!(p.redeliveries);
            delivery
        })
        .collect();
    Ok(Json(json!({ "events": events })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AckRequest {
    receipts: Vec<String>,
}

pub(crate) async fn ack(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    request: Result<Json<AckRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(request) = request?;
    let receipts = request
        .receipts
        .iter()
        .map(|r| {
            r.parse::<u64>().map_err(|_| {
                ApiError::bad_request("bad_receipt", format!("`{r}` is not a receipt"))
            })
        })
        .collect::<Result<Vec<u64>, ApiError>>()?;
    let sub = find(&state, &id)?;
    let queue = sub.pull_queue().ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "not_a_pull_queue",
            "only a pull queue's events are acknowledged",
        )
    })?;
    Ok(Json(json!({ "acked": queue.ack(&receipts) })))
}
