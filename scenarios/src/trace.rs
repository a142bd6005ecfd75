//! Writing the trace of spec/trace-format.md as the run goes.

use std::io::{self, Write};

use serde_json::{Value, json};
use sift_core::Micros;

/// A JSON Lines sink for trace records; without a writer, records cost nothing. The first
/// write error stops the trace and is reported when the run ends (or by [`Trace::flush`]).
pub struct Trace {
    out: Option<Box<dyn Write + Send>>,
    error: Option<io::Error>,
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trace")
            .field("writing", &self.out.is_some())
            .finish()
    }
}

pub(crate) fn node_name(node: u32) -> String {
    format!("n{node}")
}

impl Trace {
    pub fn new(out: Option<Box<dyn Write + Send>>) -> Self {
        Trace { out, error: None }
    }

    pub(crate) fn is_on(&self) -> bool {
        self.out.is_some()
    }

    /// Writes one record of simulated node `node` (see [`Trace::record_named`]).
    pub(crate) fn record(&mut self, t: Micros, node: Option<u32>, kind: &str, fields: Value) {
        self.record_named(t, node.map(node_name).as_deref(), kind, fields);
    }

    /// Writes one record: `t`, `node`, `kind`, then `fields` (an object).
    pub fn record_named(&mut self, t: Micros, node: Option<&str>, kind: &str, fields: Value) {
        let Some(out) = &mut self.out else {
            return;
        };
        let mut record = json!({ "t": t, "node": node, "kind": kind });
        if let (Some(record), Value::Object(fields)) = (record.as_object_mut(), fields) {
            record.extend(fields);
        }
        let written = serde_json::to_writer(&mut *out, &record)
            .map_err(io::Error::from)
            .and_then(|()| out.write_all(b"\n"));
        if let Err(error) = written {
            self.error = Some(error);
            self.out = None;
        }
    }

    /// Flushes what was written so far; returns the first error the trace met, after which
    /// it writes nothing more.
    pub fn flush(&mut self) -> io::Result<()> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        let Some(out) = &mut self.out else {
            return Ok(());
        };
        let flushed = out.flush();
        if flushed.is_err() {
            self.out = None;
        }
        flushed
    }

    /// Flushes the trace; returns the first error it met.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        match &mut self.out {
            Some(out) => out.flush(),
            None => Ok(()),
        }
    }
}
