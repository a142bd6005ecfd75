//! Fuzz target bodies, one per parser of untrusted bytes: the filter language and event decoding
//! from JSON and CBOR.
//!
//! The cargo-fuzz project in `matcher/fuzz/` calls these with the fuzzer's inputs, and
//! `tests/fuzz_smoke.rs` calls them with generated and hand-written inputs so that CI exercises
//! them without a fuzzer (docs/fuzzing.md). Each accepts any bytes and panics only when an
//! invariant breaks, which is what the fuzzer reports as a crash:
//!
//! - refusing an input is an error value, never a panic, and a filter error names an offset
//!   inside the text, on a character boundary;
//! - a filter that parses prints to canonical text that parses back to an equal filter, and
//!   that text is a fixed point of printing; its normal form matches the same sample events;
//! - an event that decodes re-encodes (as JSON and as CBOR) to bytes that decode to an equal
//!   event.
//!
//! Re-parsing and re-decoding lift the limit on the encoded length, since the canonical forms may
//! be longer than the input (a filter gains spaces and escapes; `1E3` in JSON prints as
//! `1000.0`). Every other limit applies unchanged to what was accepted once; in particular the
//! canonical text is never nested deeper than the text it came from (`!(p)` counts as one level).

use std::sync::OnceLock;

use crate::event::{Event, EventLimits};
use crate::filter::{Filter, FilterLimits};
use crate::normal::NormalForm;
use crate::value::Value;

/// Parses `data` (lossily decoded as UTF-8) as a filter.
pub fn filter_text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let filter = match Filter::parse(&text) {
        Ok(filter) => filter,
        Err(error) => {
            assert!(
                error.offset <= text.len() && text.is_char_boundary(error.offset),
                "error offset {} is not a boundary of the {}-byte text: {error}",
                error.offset,
                text.len()
            );
            let _ = error.to_string();
            return;
        }
    };
    let printed = filter.to_string();
    // The canonical text may be longer than the input (spaces, escapes), never deeper.
    let limits = FilterLimits {
        max_len: usize::MAX,
        ..FilterLimits::default()
    };
    let reparsed = match Filter::parse_with(&printed, &limits) {
        Ok(reparsed) => reparsed,
        Err(error) => panic!("{text:?} printed as {printed:?}, which does not parse: {error}"),
    };
    assert_eq!(reparsed, filter, "{text:?} printed as {printed:?}");
    assert_eq!(
        reparsed.to_string(),
        printed,
        "printing is not a fixed point"
    );
    let normal = NormalForm::of(&filter);
    for event in sample_events() {
        assert_eq!(
            normal.matches(event),
            filter.matches(event),
            "the normal form of {printed} disagrees on {event}"
        );
    }
}

/// Decodes `data` (lossily decoded as UTF-8) as a JSON event.
pub fn event_json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match Event::from_json(&text, &EventLimits::default()) {
        Ok(event) => check_reencoding(&event),
        Err(error) => {
            let _ = error.to_string();
        }
    }
}

/// Decodes `data` as a CBOR event.
pub fn event_cbor(data: &[u8]) {
    match Event::from_cbor(data, &EventLimits::default()) {
        Ok(event) => check_reencoding(&event),
        Err(error) => {
            let _ = error.to_string();
        }
    }
}

fn check_reencoding(event: &Event) {
    let limits = EventLimits {
        max_encoded_size: usize::MAX,
        ..EventLimits::default()
    };
    let json = event.to_string();
    match Event::from_json(&json, &limits) {
        Ok(again) => assert_eq!(&again, event, "re-encoded as JSON {json}"),
        Err(error) => panic!("{event:?} re-encodes as JSON {json}, which does not decode: {error}"),
    }
    let cbor = event.to_cbor();
    match Event::from_cbor(&cbor, &limits) {
        Ok(again) => assert_eq!(&again, event, "re-encoded as CBOR {cbor:02x?}"),
        Err(error) => {
            panic!("{event:?} re-encodes as CBOR {cbor:02x?}, which does not decode: {error}")
        }
    }
}

/// A few events over short names, for checking that a parsed filter evaluates consistently.
fn sample_events() -> &'static [Event] {
    static EVENTS: OnceLock<Vec<Event>> = OnceLock::new();
    EVENTS.get_or_init(|| {
        let events: [&[(&str, &[Value])]; 5] = [
            &[],
            &[("a", &[Value::Int(1)]), ("b", &[Value::Str("ab".into())])],
            &[
                ("a", &[Value::Float(1.5), Value::Str("a".into())]),
                ("x.y", &[Value::Bool(true)]),
                ("c", &[Value::Int(-1), Value::Int(0)]),
            ],
            &[("x", &[Value::Str("".into())]), ("y", &[Value::Float(0.0)])],
            &[(
                "b",
                &[Value::Int(0), Value::Bool(false), Value::Str("ba".into())],
            )],
        ];
        events
            .iter()
            .map(|attributes| {
                let attributes = attributes.iter().map(|(n, vs)| (*n, vs.to_vec()));
                Event::from_attributes(attributes, &EventLimits::default())
                    .expect("the sample events are valid")
            })
            .collect()
    })
}
