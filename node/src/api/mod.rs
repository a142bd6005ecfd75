//! The HTTP API (`/v1`, JSON), as docs/http-api.md describes it.

mod error;
mod events;
mod status;
mod subscriptions;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub(crate) use error::ApiError;

use crate::node::Client;

/// What every handler reaches the node through.
#[derive(Clone, Debug)]
pub(crate) struct ApiState {
    pub(crate) client: Client,
    pub(crate) peer_id: String,
    pub(crate) name: String,
}

pub(crate) fn router(state: ApiState) -> Router {
    let max_body = state.client.limits.max_body;
    Router::new()
        .route("/healthz", get(status::healthz))
        .route("/metrics", get(status::metrics))
        .route("/v1/peers", get(status::peers))
        .route("/v1/stats", get(status::stats))
        .route("/v1/events", post(events::publish))
        .route("/v1/events/batch", post(events::publish_batch))
        .route(
            "/v1/subscriptions",
            post(subscriptions::create).get(subscriptions::list),
        )
        .route(
            "/v1/subscriptions/{id}",
            get(subscriptions::show).delete(subscriptions::cancel),
        )
        .route("/v1/subscriptions/{id}/renew", post(subscriptions::renew))
        .route("/v1/subscriptions/{id}/stream", get(subscriptions::stream))
        .route("/v1/subscriptions/{id}/events", get(subscriptions::pull))
        .route("/v1/subscriptions/{id}/ack", post(subscriptions::ack))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}
