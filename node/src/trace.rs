//! The trace of spec/trace-format.md for a real node: JSON Lines of what its clients did and
//! what it delivered, on the wall clock. A cluster's nodes given the same start
//! (`--trace-start`) write traces that merge by time and check like a simulated run's
//! (`sift check`).

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Value, json};
use sift_core::{EventId, Micros, SubId};
use sift_matcher::Event;
use sift_scenarios::Trace;

use crate::peer_ids::{event_id_text, sub_id_text};

#[derive(Debug)]
pub(crate) struct TraceWriter {
    trace: Trace,
    node: String,
    /// Wall-clock microseconds since the epoch that count as `t = 0`.
    start: Micros,
}

impl TraceWriter {
    pub(crate) fn create(path: &Path, node: String, start: Micros) -> Result<Self> {
        let file = File::create(path)
            .with_context(|| format!("cannot write the trace to {}", path.display()))?;
        Ok(TraceWriter {
            trace: Trace::new(Some(Box::new(BufWriter::new(file)))),
            node,
            start,
        })
    }

    fn record(&mut self, now: Micros, kind: &str, fields: Value) {
        let t = now.saturating_sub(self.start);
        self.trace.record_named(t, Some(&self.node), kind, fields);
    }

    /// A subscription made, or renewed (with its new expiry).
    pub(crate) fn subscribe(
        &mut self,
        now: Micros,
        sub: &SubId,
        filter: &str,
        expires: Option<Micros>,
    ) {
        let expires = expires.map(|at| at.saturating_sub(self.start));
        self.record(
            now,
            "subscribe",
            json!({"sub": sub_id_text(sub), "filter": filter, "expires": expires}),
        );
    }

    pub(crate) fn unsubscribe(&mut self, now: Micros, sub: &SubId) {
        self.record(now, "unsubscribe", json!({"sub": sub_id_text(sub)}));
    }

    pub(crate) fn expire(&mut self, now: Micros, sub: &SubId) {
        self.record(now, "expire", json!({"sub": sub_id_text(sub)}));
    }

    pub(crate) fn publish(&mut self, now: Micros, id: &EventId, event: &Event) {
        self.record(
            now,
            "publish",
            json!({"event_id": event_id_text(id), "event": event}),
        );
    }

    pub(crate) fn deliver(&mut self, now: Micros, sub: &SubId, id: &EventId, published_at: Micros) {
        self.record(
            now,
            "deliver",
            json!({"sub": sub_id_text(sub), "event_id": event_id_text(id), "latency_us": now.saturating_sub(published_at)}),
        );
    }

    pub(crate) fn flush(&mut self) {
        if let Err(error) = self.trace.flush() {
            tracing::error!(%error, "the trace stopped: cannot write it");
        }
    }
}

impl Drop for TraceWriter {
    fn drop(&mut self) {
        self.flush();
    }
}
