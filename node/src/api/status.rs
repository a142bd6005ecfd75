//! The node's health, peers, counters and Prometheus metrics.

use std::fmt::Write;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::{ApiError, ApiState};

pub(crate) async fn healthz() -> &'static str {
    "ok\n"
}

pub(crate) async fn peers(State(state): State<ApiState>) -> Result<Json<Value>, ApiError> {
    let status = state.client.status().await?;
    Ok(Json(json!({ "peers": status.peers })))
}

pub(crate) async fn stats(State(state): State<ApiState>) -> Result<Json<Value>, ApiError> {
    let status = state.client.status().await?;
    Ok(Json(json!({
        "name": state.name,
        "peer_id": state.peer_id,
        "subscriptions": state.client.registry.len(),
        "connected_peers": status.peers.len(),
        "neighbours": status.peers.iter().filter(|p| p.neighbour).count(),
        "routing_entries": status.routing_entries,
        "counters": status.counters,
    })))
}

/// The counters in Prometheus' text format.
pub(crate) async fn metrics(State(state): State<ApiState>) -> Result<impl IntoResponse, ApiError> {
    let status = state.client.status().await?;
    let counters = &status.counters;
    let mut text = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
        let _ = writeln!(
            text,
            "# HELP sift_{name} {help}\n# TYPE sift_{name} {kind}\nsift_{name} {value}"
        );
    };
    metric(
        "messages_sent_total",
        "counter",
        "Messages sent to peers.",
        counters.messages_sent,
    );
    metric(
        "bytes_sent_total",
        "counter",
        "Encoded bytes of the messages sent to peers.",
        counters.bytes_sent,
    );
    metric(
        "event_messages_sent_total",
        "counter",
        "Messages sent to peers that carried an event.",
        counters.event_messages_sent,
    );
    metric(
        "messages_received_total",
        "counter",
        "Messages received from peers.",
        counters.messages_received,
    );
    metric(
        "event_messages_received_total",
        "counter",
        "Messages received from peers that carried an event.",
        counters.event_messages_received,
    );
    metric(
        "messages_dropped_total",
        "counter",
        "Messages not delivered to a peer.",
        counters.messages_dropped,
    );
    metric(
        "messages_refused_total",
        "counter",
        "Peer messages that did not decode.",
        counters.messages_refused,
    );
    metric(
        "events_published_total",
        "counter",
        "Events published at this node.",
        counters.events_published,
    );
    metric(
        "deliveries_total",
        "counter",
        "Events delivered to local subscriptions.",
        counters.deliveries,
    );
    metric(
        "subscriptions_expired_total",
        "counter",
        "Local subscriptions that expired.",
        counters.subscriptions_expired,
    );
    metric(
        "matching_ops_total",
        "counter",
        "Filter evaluations: the filters in each table an event was matched against.",
        counters.matching_ops,
    );
    metric(
        "subscriptions",
        "gauge",
        "Local subscriptions.",
        state.client.registry.len() as u64,
    );
    metric(
        "connected_peers",
        "gauge",
        "Peers with an open connection.",
        status.peers.len() as u64,
    );
    metric(
        "routing_entries",
        "gauge",
        "Routing state entries.",
        status.routing_entries as u64,
    );
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text))
}
