//! Checking traces that real nodes wrote (spec/trace-format.md): the traces of a cluster's
//! nodes merged by time, and every delivery checked against the ground truth the records
//! themselves give (who subscribed to what and when, what was published when) by the same
//! checker the simulator uses.

use std::collections::HashMap;
use std::io::BufRead;

use serde::Serialize;
use serde_json::Value;
use sift_core::Micros;
use sift_matcher::{Event, EventLimits, Filter};

use crate::check::Checker;
use crate::summary::Latency;

/// What a merged trace came to.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TraceReport {
    pub nodes: usize,
    pub subscriptions: usize,
    pub events: usize,
    pub expected_deliveries: u64,
    pub owed_deliveries: u64,
    pub deliveries: u64,
    pub missing: u64,
    pub duplicates: u64,
    pub spurious: u64,
    pub latency_us: Latency,
    /// Every delivery's latency, sorted.
    #[serde(skip)]
    pub latencies_us: Vec<Micros>,
}

impl TraceReport {
    /// No owed delivery missing, none twice, none where the filter does not match.
    pub fn is_exact(&self) -> bool {
        self.missing == 0 && self.duplicates == 0 && self.spurious == 0
    }
}

/// A trace that cannot be checked, with where.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}, line {line}: {message}")]
pub struct TraceError {
    pub source_name: String,
    pub line: usize,
    pub message: String,
}

/// One record, with where it came from for error messages.
struct Located {
    record: Value,
    t: Micros,
    source: usize,
    line: usize,
}

/// Merges the traces (each in time order, as the format requires) and checks them with the
/// settle period `settle`.
pub fn check_traces(
    traces: Vec<(String, Box<dyn BufRead>)>,
    settle: Micros,
) -> Result<TraceReport, TraceError> {
    let mut names = Vec::new();
    let mut records = Vec::new();
    for (source, (name, reader)) in traces.into_iter().enumerate() {
        for (index, line) in reader.lines().enumerate() {
            let fail = |message: String| TraceError {
                source_name: name.clone(),
                line: index + 1,
                message,
            };
            let line = line.map_err(|e| fail(format!("cannot read: {e}")))?;
            if line.trim().is_empty() {
                continue;
            }
            let record: Value =
                serde_json::from_str(&line).map_err(|e| fail(format!("not JSON: {e}")))?;
            let t = record["t"]
                .as_u64()
                .ok_or_else(|| fail("no time `t`".into()))?;
            records.push(Located {
                record,
                t,
                source,
                line: index + 1,
            });
        }
        names.push(name);
    }
    // Stable: records of one trace at the same time keep their order.
    records.sort_by_key(|r| r.t);
    let mut feed = Feed {
        checker: Checker::new(settle),
        nodes: HashMap::new(),
        subs: HashMap::new(),
        events: HashMap::new(),
    };
    for located in &records {
        feed.record(located).map_err(|message| TraceError {
            source_name: names[located.source].clone(),
            line: located.line,
            message,
        })?;
    }
    let (tally, mut latencies) = feed.checker.finish(Micros::MAX);
    latencies.sort_unstable();
    Ok(TraceReport {
        nodes: feed.nodes.len(),
        subscriptions: feed.subs.len(),
        events: feed.events.len(),
        expected_deliveries: tally.expected,
        owed_deliveries: tally.owed,
        deliveries: tally.deliveries,
        missing: tally.missing,
        duplicates: tally.duplicates,
        spurious: tally.spurious,
        latency_us: Latency::of(&latencies),
        latencies_us: latencies,
    })
}

/// The checker, and the dense numbers it knows nodes, subscriptions and events by.
struct Feed {
    checker: Checker,
    nodes: HashMap<String, u32>,
    subs: HashMap<String, u32>,
    events: HashMap<String, u32>,
}

fn text<'v>(record: &'v Value, field: &str) -> Result<&'v str, String> {
    record[field]
        .as_str()
        .ok_or_else(|| format!("a `{}` record without a `{field}`", record["kind"]))
}

/// A subscription's or event's id: a string (the daemon's) or a whole number (the
/// simulator's); the contract says only that it is unique in the run.
fn id(record: &Value, field: &str) -> Result<String, String> {
    match &record[field] {
        Value::String(text) => Ok(text.clone()),
        Value::Number(n) if n.is_u64() => Ok(n.to_string()),
        _ => Err(format!(
            "a `{}` record without a `{field}` (a string or a whole number)",
            record["kind"]
        )),
    }
}

fn number(map: &mut HashMap<String, u32>, key: &str) -> u32 {
    let next = map.len() as u32;
    *map.entry(key.to_owned()).or_insert(next)
}

impl Feed {
    fn record(&mut self, located: &Located) -> Result<(), String> {
        let record = &located.record;
        let t = located.t;
        // Records about the run as a whole (the summary, most faults) name no node.
        let node = match record["node"].as_str() {
            Some(name) => Some(number(&mut self.nodes, name)),
            None => None,
        };
        let at_node =
            || node.ok_or_else(|| format!("a `{}` record without a `node`", record["kind"]));
        match text(record, "kind")? {
            "subscribe" => {
                let filter = Filter::parse(text(record, "filter")?)
                    .map_err(|e| format!("bad filter at byte {}: {}", e.offset, e.message))?;
                let sub = number(&mut self.subs, &id(record, "sub")?);
                let expires = record["expires"].as_u64();
                self.checker.subscribe(sub, at_node()?, &filter, t, expires);
            }
            "unsubscribe" | "expire" => {
                let sub = number(&mut self.subs, &id(record, "sub")?);
                self.checker.unsubscribe(sub, t);
            }
            "publish" => {
                let event = Event::from_json(&record["event"].to_string(), &EventLimits::default())
                    .map_err(|e| format!("bad event: {e}"))?;
                let event_id = number(&mut self.events, &id(record, "event_id")?);
                self.checker.publish(event_id, &event, t);
            }
            "deliver" => {
                let sub = number(&mut self.subs, &id(record, "sub")?);
                let event = number(&mut self.events, &id(record, "event_id")?);
                let latency = record["latency_us"].as_u64().unwrap_or(0);
                self.checker.deliver(event, sub, latency);
            }
            // A node's own record, or the simulator's, which names the nodes it crashed.
            "fault" if record["fault"] == "crash" => match record["nodes"].as_array() {
                Some(names) => {
                    for name in names.iter().filter_map(Value::as_str) {
                        let crashed = number(&mut self.nodes, name);
                        self.checker.crash(crashed, t);
                    }
                }
                None => self.checker.crash(at_node()?, t),
            },
            // Other faults and the summary carry nothing the check needs.
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(lines: &[&str]) -> (String, Box<dyn BufRead>) {
        let text = lines.join("\n");
        (
            "trace".to_owned(),
            Box::new(std::io::Cursor::new(text.into_bytes())),
        )
    }

    #[test]
    fn two_nodes_traces_merge_and_check() {
        let a = trace(&[
            r#"{"t":0,"node":"a","kind":"subscribe","sub":"s1","filter":"x > 1","expires":null}"#,
            r#"{"t":5000000,"node":"a","kind":"deliver","sub":"s1","event_id":"e1","latency_us":900}"#,
        ]);
        let b = trace(&[
            r#"{"t":4999100,"node":"b","kind":"publish","event_id":"e1","event":{"x":2}}"#,
            r#"{"t":5000000,"node":"b","kind":"publish","event_id":"e2","event":{"x":0}}"#,
            r#"{"t":6000000,"node":"b","kind":"publish","event_id":"e3","event":{"x":3}}"#,
        ]);
        let report = check_traces(vec![a, b], 1_000_000).unwrap();
        assert_eq!(report.nodes, 2);
        assert_eq!(report.events, 3);
        assert_eq!(report.deliveries, 1);
        assert_eq!(report.missing, 1, "e3 was owed");
        assert!(!report.is_exact());
    }

    /// The simulator numbers its subscriptions and events, and writes records about the run
    /// as a whole (faults, the summary) without a node; the daemons name everything.
    #[test]
    fn numbered_ids_check_as_named_ones() {
        let run = trace(&[
            r#"{"t":0,"node":"n1","kind":"subscribe","sub":0,"filter":"x > 1","expires":null}"#,
            r#"{"t":4000000,"node":"n2","kind":"publish","event_id":0,"event":{"x":2}}"#,
            r#"{"t":4000900,"node":"n1","kind":"deliver","sub":0,"event_id":0,"latency_us":900}"#,
            // The simulator's crash names its nodes; a crashed subscriber is owed nothing.
            r#"{"t":5000000,"node":null,"kind":"fault","fault":"crash","nodes":["n1"]}"#,
            r#"{"t":9000000,"node":"n2","kind":"publish","event_id":1,"event":{"x":3}}"#,
            r#"{"t":9500000,"node":null,"kind":"summary","nodes":2}"#,
        ]);
        let report = check_traces(vec![run], 1_000_000).unwrap();
        assert_eq!((report.deliveries, report.missing), (1, 0));
        assert!(report.is_exact());
        let negative = trace(&[
            r#"{"t":0,"node":"n1","kind":"subscribe","sub":-1,"filter":"x > 1","expires":null}"#,
        ]);
        let error = check_traces(vec![negative], 0).unwrap_err();
        assert!(error.message.contains("whole number"), "{error}");
    }

    #[test]
    fn a_broken_record_is_named_by_line() {
        let bad = trace(&[
            r#"{"t":1,"node":"a","kind":"subscribe","sub":"s","filter":"x >","expires":null}"#,
        ]);
        let error = check_traces(vec![bad], 0).unwrap_err();
        assert_eq!(error.line, 1);
        assert!(error.message.contains("bad filter"), "{error}");
    }
}
