//! Writing the trace of spec/trace-format.md as the run goes.

use std::io::{self, Write};

use serde_json::{Value, json};
use sift_core::Micros;

/// A JSON Lines sink for trace records; without a writer, records cost nothing. The first
/// write error stops the trace and is reported when the run ends.
pub(crate) struct Trace {
    out: Option<Box<dyn Write>>,
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
    pub(crate) fn new(out: Option<Box<dyn Write>>) -> Self {
        Trace { out, error: None }
    }

    pub(crate) fn is_on(&self) -> bool {
        self.out.is_some()
    }

    /// Writes one record: `t`, `node`, `kind`, then `fields`.
    pub(crate) fn record(&mut self, t: Micros, node: Option<u32>, kind: &str, fields: Value) {
        let Some(out) = &mut self.out else {
            return;
        };
        let mut record = json!({ "t": t, "node": node.map(node_name), "kind": kind });
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
