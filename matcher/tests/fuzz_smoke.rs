//! The fuzz target bodies of `sift_matcher::fuzzing`, run over generated and hand-written inputs
//! so that CI exercises them without a fuzzer (docs/fuzzing.md runs the real thing).
//!
//! Random bytes alone rarely get past the first byte of a parser, so most inputs are built from
//! the input language's own tokens, or are valid encodings with a few bytes changed.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::Config;
use sift_matcher::fuzzing::{event_cbor, event_json, filter_text};
use sift_matcher::{Event, EventLimits, Filter};

/// `cases` per property, unless `PROPTEST_CASES` asks for more (or fewer) for a deeper search.
fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

const FILTER_TOKENS: &[&str] = &[
    "a",
    "b.c",
    "x-1",
    "`in`",
    "`x y`",
    "`a.b`",
    " ",
    "(",
    ")",
    "!",
    "not ",
    "&&",
    "||",
    " and ",
    " or ",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=~",
    " in ",
    "[",
    "]",
    ",",
    " prefix ",
    " suffix ",
    " contains ",
    "exists",
    "true",
    "false",
    "0",
    "-2",
    "1.5",
    "1.0e3",
    "-0.0",
    "1e5",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "1.0e999",
    "\"a\"",
    "\"a+\"",
    "\"(?i)é\"",
    "\"\\u{e9}\"",
    "\"\\u{110000}\"",
    "\"\\q\"",
    "\"\\\"\"",
    "\"[\"",
    "\"",
    "`",
    ".",
    "é",
    "\u{0}",
    "\t",
    "&",
    "|",
    "=",
];

const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"a\"",
    "\"a.b\"",
    "\"\"",
    "\"é\"",
    "0",
    "-1",
    "1.5",
    "1e400",
    "-0",
    "1E3",
    "18446744073709551616",
    "-9223372036854775809",
    "9223372036854775807",
    "true",
    "null",
    "\"\\ud800\"",
    "\"\\u0000\"",
    "\"",
    " ",
];

fn token_soup(tokens: &'static [&'static str]) -> BoxedStrategy<Vec<u8>> {
    vec(select(tokens), 0..40)
        .prop_map(|parts| parts.concat().into_bytes())
        .boxed()
}

/// JSON values of every kind, nested a few levels, with keys that flatten into each other.
fn json_value() -> BoxedStrategy<serde_json::Value> {
    use serde_json::Value as J;
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(J::from),
        any::<u64>().prop_map(J::from),
        any::<f64>().prop_map(J::from),
        "[ab.]{0,3}".prop_map(J::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(J::Array),
            btree_map("[ab.]{0,2}", inner, 0..4).prop_map(|m| J::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Mostly objects, as events are.
fn json_event() -> BoxedStrategy<serde_json::Value> {
    prop_oneof![
        4 => btree_map("[ab.]{0,2}", json_value(), 0..5)
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        1 => json_value(),
    ]
    .boxed()
}

fn cbor_of(value: &serde_json::Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).expect("CBOR encoding into memory");
    out
}

/// `bytes` with up to three bytes replaced and maybe cut short.
fn mutated(bytes: BoxedStrategy<Vec<u8>>) -> BoxedStrategy<Vec<u8>> {
    (
        bytes,
        vec((any::<Index>(), any::<u8>()), 0..3),
        proptest::option::of(any::<Index>()),
    )
        .prop_map(|(mut bytes, changes, cut)| {
            if !bytes.is_empty() {
                for (at, byte) in changes {
                    let i = at.index(bytes.len());
                    bytes[i] = byte;
                }
                if let Some(cut) = cut {
                    bytes.truncate(cut.index(bytes.len()));
                }
            }
            bytes
        })
        .boxed()
}

fn bytes() -> BoxedStrategy<Vec<u8>> {
    vec(any::<u8>(), 0..200).boxed()
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn filter_text_holds_on_generated_inputs(
        data in prop_oneof![1 => bytes(), 4 => mutated(token_soup(FILTER_TOKENS))],
    ) {
        filter_text(&data);
    }

    #[test]
    fn event_json_holds_on_generated_inputs(
        data in prop_oneof![
            1 => bytes(),
            2 => mutated(token_soup(JSON_TOKENS)),
            3 => mutated(json_event().prop_map(|v| v.to_string().into_bytes()).boxed()),
        ],
    ) {
        event_json(&data);
    }

    #[test]
    fn event_cbor_holds_on_generated_inputs(
        data in prop_oneof![
            1 => bytes(),
            4 => mutated(json_event().prop_map(|v| cbor_of(&v)).boxed()),
        ],
    ) {
        event_cbor(&data);
    }
}

fn repeat(parts: &[&str]) -> Vec<u8> {
    parts.concat().into_bytes()
}

#[test]
fn nasty_filters() {
    let long = "x".repeat(4000);
    let inputs: Vec<Vec<u8>> = vec![
        "(".repeat(100_000).into_bytes(),
        "(".repeat(3000).into_bytes(),
        repeat(&[&"(".repeat(32), "a == 1", &")".repeat(32)]),
        repeat(&[&"!".repeat(32), "a == 1"]),
        repeat(&[&"!".repeat(31), "(a == 1)"]),
        repeat(&[&"not ".repeat(5000), "a == 1"]),
        repeat(&["a == ", &"9".repeat(1000)]),
        repeat(&["a == 1.", &"9".repeat(1000), "e99999999999999999999"]),
        b"a == -9223372036854775809".to_vec(),
        b"a == 1.0e309 || b == -1.0e309".to_vec(),
        repeat(&["a == \"", &long, "\""]),
        repeat(&["a == \"", &"\\u{1}".repeat(800), "\""]),
        repeat(&["`", &long, "` == 1"]),
        repeat(&["a =~ \"", &"(".repeat(300), "a", &")".repeat(300), "\""]),
        b"a =~ \"(a{1000}){1000}\"".to_vec(),
        b"a =~ \"\\\\p{L}{100}{100}\"".to_vec(),
        b"a =~ \"[\"".to_vec(),
        b"a in []".to_vec(),
        b"a in [1, \"b\", true, 2.5,]".to_vec(),
        b"a < true".to_vec(),
        b"a == \"\\u{110000}\" || b == \"\\u{ffffffffffffffffffff}\" || c == \"\\u{d800}\""
            .to_vec(),
        b"a == \"\xff\xfe\" && b\xc3 == 1".to_vec(),
        b"\xe2\x80\xa8a\xe2\x80\xa8==\xc2\xa01".to_vec(),
        b"`unterminated == 1".to_vec(),
        b"exists(``)".to_vec(),
        repeat(&[&vec!["a == 1"; 65].join(" && ")]),
        repeat(&[&vec!["`in`.`x y`.c-d prefix \"\\\"\""; 64].join(" || ")]),
        Vec::new(),
    ];
    for input in &inputs {
        filter_text(input);
    }
    let refused = [
        "(".repeat(100_000),
        "(".repeat(40) + "a == 1" + &")".repeat(40),
        "a == ".to_string() + &"9".repeat(30),
        "a =~ \"(a{1000}){1000}\"".to_string(),
        vec!["a == 1"; 65].join(" && "),
        "a in []".to_string(),
    ];
    for text in &refused {
        assert!(Filter::parse(text).is_err(), "{text:.40} parsed");
    }
}

#[test]
fn nasty_json_events() {
    let long = "x".repeat(300 * 1024);
    let inputs: Vec<Vec<u8>> = vec![
        "[".repeat(100_000).into_bytes(),
        repeat(&["{\"a\":", &"[".repeat(10_000)]),
        repeat(&["{\"a\":", &"[".repeat(100), "1", &"]".repeat(100), "}"]),
        repeat(&[&"{\"a\":".repeat(10_000), "1", &"}".repeat(10_000)]),
        repeat(&[&"{\"a\":".repeat(9), "1", &"}".repeat(9)]),
        b"{\"a\": 1e400}".to_vec(),
        b"{\"a\": -1e400}".to_vec(),
        b"{\"a\": 99999999999999999999999}".to_vec(),
        b"{\"a\": -9223372036854775809}".to_vec(),
        b"{\"a\": [1, 18446744073709551616]}".to_vec(),
        b"{\"a\": 1E3, \"b\": -0, \"c\": -0.0, \"d\": 5e-324}".to_vec(),
        repeat(&["{\"a\": \"", &long, "\"}"]),
        repeat(&["{\"", &"k".repeat(300), "\": 1}"]),
        repeat(&["{\"a\": [", &vec!["1"; 100_000].join(","), "]}"]),
        repeat(&[
            "{",
            &(0..300)
                .map(|i| format!("\"a{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(","),
            "}",
        ]),
        b"{\"a\": \"\\ud800\"}".to_vec(),
        b"{\"a\": \"\xff\"}".to_vec(),
        b"{\"a.b\": 1, \"a\": {\"b\": 2}}".to_vec(),
        b"{\"a\": [null, {\"b\": 1}]}".to_vec(),
        b"{\"a\": {}} trailing".to_vec(),
        b"[]".to_vec(),
        b"\"event\"".to_vec(),
        Vec::new(),
    ];
    for input in &inputs {
        event_json(input);
    }
    for text in [
        "[".repeat(100_000),
        "{\"a\": ".to_string() + &"[".repeat(10_000),
        "{\"a\": 1e400}".to_string(),
        "{\"a\": 99999999999999999999999}".to_string(),
        "{\"a\": \"".to_string() + &long + "\"}",
    ] {
        assert!(
            Event::from_json(&text, &EventLimits::default()).is_err(),
            "{text:.40} decoded"
        );
    }
}

#[test]
fn nasty_cbor_events() {
    let map_a = |value: &[u8]| [&[0xa1, 0x61, b'a'][..], value].concat();
    let long_text = {
        let mut bytes = vec![0x7a, 0x00, 0x04, 0xb0, 0x00]; // text of 300 KiB
        bytes.resize(bytes.len() + 300 * 1024, b'x');
        map_a(&bytes)
    };
    let inputs: Vec<Vec<u8>> = vec![
        vec![0x81; 100_000],
        map_a(&vec![0x81; 10_000]),
        map_a(&vec![0x9f; 10_000]),
        [[0xa1, 0x61, b'a'].repeat(5000), vec![0x01]].concat(),
        map_a(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        map_a(&[0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        map_a(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        vec![0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        map_a(&[0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        map_a(&[0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        map_a(&[0xc2, 0x49, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
        map_a(&[0xc3, 0x49, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
        map_a(&[0xc2, 0x41, 1]),
        map_a(&[0xf9, 0x7e, 0x00]),
        map_a(&[0xf9, 0x7c, 0x00]),
        map_a(&[0xfb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0]),
        map_a(&[0xf9, 0x00, 0x01]),
        map_a(&[0x62, 0xff, 0xfe]),
        map_a(&[0x42, 0x01, 0x02]),
        map_a(&[0xf7]),
        map_a(&[0xf0]),
        map_a(&[0xd9, 0xd9, 0xf7, 0x01]),
        map_a(&[0x7f, 0x61, b'x', 0x61, b'y', 0xff]),
        map_a(&[0x82, 0xf6, 0xa0]),
        vec![0xa1, 0x01, 0x01],
        vec![0xbf, 0x61, b'a', 0x01, 0xff],
        vec![0xbf, 0x61, b'a', 0x01],
        [map_a(&[0x01]), vec![0x00]].concat(),
        long_text.clone(),
        vec![0x80],
        vec![0xff],
        Vec::new(),
    ];
    for input in &inputs {
        event_cbor(input);
    }
    for bytes in [
        vec![0x81; 100_000],
        map_a(&vec![0x81; 10_000]),
        map_a(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        map_a(&[0xf9, 0x7e, 0x00]),
        map_a(&[0x62, 0xff, 0xfe]),
        long_text,
    ] {
        assert!(
            Event::from_cbor(&bytes, &EventLimits::default()).is_err(),
            "{:02x?} decoded",
            &bytes[..bytes.len().min(16)]
        );
    }
}
