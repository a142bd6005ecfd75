//! Events as spec/filter-language.md defines them: JSON decoding (flattening, arrays, null),
//! what is refused and why, every limit, and the CBOR form peers exchange.

use ciborium::value::{Integer, Value as Cbor};
use sift_matcher::{Event, EventError, EventLimits, Value};

/// Recognizes the error a case expects.
type Check = fn(&EventError) -> bool;

/// `None` if the input is accepted, else the error's check and part of its message.
type Refusal = Option<(Check, &'static str)>;

fn decode(json: &str) -> Event {
    Event::from_json(json, &EventLimits::default())
        .unwrap_or_else(|e| panic!("{json} should decode: {e}"))
}

fn cbor_bytes(value: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).expect("CBOR into memory");
    out
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_string())
}

/// A CBOR map with text keys.
fn map(entries: Vec<(&str, Cbor)>) -> Cbor {
    Cbor::Map(entries.into_iter().map(|(k, v)| (text(k), v)).collect())
}

/// `n` JSON object members `"a0": 0, "a1": 1, ...`.
fn members(n: usize) -> String {
    let members: Vec<String> = (0..n).map(|i| format!("\"a{i}\": {i}")).collect();
    members.join(", ")
}

/// An object of `n` attributes as JSON text.
fn wide_object(n: usize) -> String {
    format!("{{{}}}", members(n))
}

/// `levels` objects nested inside each other (the outermost included), the innermost holding
/// `"v": 1`, so the attribute is `k.k...v`.
fn nested_object(levels: usize) -> String {
    let mut json = "{\"v\": 1}".to_string();
    for _ in 1..levels {
        json = format!("{{\"k\": {json}}}");
    }
    json
}

#[test]
fn json_flattens_to_dotted_names() {
    // (input, the event as flattened JSON: names sorted, one value inline, several as an array)
    let cases = [
        ("{}", "{}"),
        (" {\n \"a\" : 1 } \n", r#"{"a":1}"#),
        (
            r#"{"geo": {"lat": 41.9, "lon": 12.5}}"#,
            r#"{"geo.lat":41.9,"geo.lon":12.5}"#,
        ),
        (
            r#"{"a": {"b": {"c": "x"}}, "d": true}"#,
            r#"{"a.b.c":"x","d":true}"#,
        ),
        (
            r#"{"b": 2, "a": 1, "c": {"a": 0}}"#,
            r#"{"a":1,"b":2,"c.a":0}"#,
        ),
        (r#"{"a.b": 1}"#, r#"{"a.b":1}"#),
        (r#"{"a": {"b.c": 1}}"#, r#"{"a.b.c":1}"#),
        (r#"{"with space": {"é": "ü"}}"#, r#"{"with space.é":"ü"}"#),
        // Arrays of scalars are multi-valued; nulls inside are skipped.
        (r#"{"tags": ["x", "urgent"]}"#, r#"{"tags":["x","urgent"]}"#),
        (
            r#"{"t": [1, null, "a", true, 2.5]}"#,
            r#"{"t":[1,"a",true,2.5]}"#,
        ),
        (r#"{"t": [null, 5, null]}"#, r#"{"t":5}"#),
        (r#"{"t": [1, 1]}"#, r#"{"t":[1,1]}"#),
        (r#"{"a": {"t": [false]}}"#, r#"{"a.t":false}"#),
        // null, an empty array, an array of nulls and an empty object are all absent.
        (r#"{"a": null}"#, "{}"),
        (r#"{"a": []}"#, "{}"),
        (r#"{"a": [null, null]}"#, "{}"),
        (r#"{"a": {}}"#, "{}"),
        (r#"{"a": {"b": null}, "c": 1}"#, r#"{"c":1}"#),
        // Numbers keep their kind: a float with no fraction stays a float.
        (
            r#"{"x": 1.0, "y": 1, "z": 1e2}"#,
            r#"{"x":1.0,"y":1,"z":100.0}"#,
        ),
        (
            r#"{"max": 9223372036854775807, "min": -9223372036854775808}"#,
            r#"{"max":9223372036854775807,"min":-9223372036854775808}"#,
        ),
        (
            r#"{"big": 1e19, "neg": -0.0}"#,
            r#"{"big":1e+19,"neg":-0.0}"#,
        ),
        (r#"{"s": "a\"b\u00e9\n"}"#, r#"{"s":"a\"bé\n"}"#),
    ];
    for (json, flattened) in cases {
        let event = decode(json);
        assert_eq!(event.to_string(), flattened, "{json}");
        // The flattened form decodes to the same event.
        assert_eq!(decode(flattened), event, "{flattened}");
    }
}

#[test]
fn values_have_the_types_of_the_contract() {
    let event = decode(
        r#"{"i": -3, "f": 2.5, "s": "x", "b": false, "m": [1, 2.0, "3", true, null],
            "geo": {"lat": 41.9}, "one": [7], "u": 9223372036854775807}"#,
    );
    let cases: [(&str, Option<Vec<Value>>); 10] = [
        ("i", Some(vec![Value::Int(-3)])),
        ("f", Some(vec![Value::Float(2.5)])),
        ("s", Some(vec![Value::from("x")])),
        ("b", Some(vec![Value::Bool(false)])),
        (
            "m",
            Some(vec![
                Value::Int(1),
                Value::Float(2.0),
                Value::from("3"),
                Value::Bool(true),
            ]),
        ),
        ("geo.lat", Some(vec![Value::Float(41.9)])),
        ("one", Some(vec![Value::Int(7)])),
        ("u", Some(vec![Value::Int(i64::MAX)])),
        ("geo", None),
        ("missing", None),
    ];
    for (name, want) in cases {
        assert_eq!(event.get(name).map(<[Value]>::to_vec), want, "{name}");
    }
    assert_eq!(event.len(), 8);
    let names: Vec<&str> = event.attributes().iter().map(|a| a.name()).collect();
    assert_eq!(names, ["b", "f", "geo.lat", "i", "m", "one", "s", "u"]);
    assert!(decode("{}").is_empty());
}

#[test]
fn refused_json() {
    let cases: &[(&str, Check, &str)] = &[
        // The top level must be an object.
        (
            "[]",
            |e| matches!(e, EventError::NotAnObject { .. }),
            "found an array",
        ),
        (
            r#"[{"a": 1}]"#,
            |e| matches!(e, EventError::NotAnObject { .. }),
            "found an array",
        ),
        (
            r#""s""#,
            |e| matches!(e, EventError::NotAnObject { .. }),
            "found a string",
        ),
        (
            "1",
            |e| matches!(e, EventError::NotAnObject { .. }),
            "found an integer",
        ),
        (
            "1.5",
            |e| matches!(e, EventError::NotAnObject { .. }),
            "found a float",
        ),
        (
            "true",
            |e| matches!(e, EventError::NotAnObject { .. }),
            "found a bool",
        ),
        (
            "null",
            |e| matches!(e, EventError::NotAnObject { .. }),
            "found null",
        ),
        // Not JSON at all.
        ("", |e| matches!(e, EventError::Json(_)), "invalid JSON"),
        ("{", |e| matches!(e, EventError::Json(_)), "invalid JSON"),
        (
            r#"{"a": 1,}"#,
            |e| matches!(e, EventError::Json(_)),
            "invalid JSON",
        ),
        (
            "{'a': 1}",
            |e| matches!(e, EventError::Json(_)),
            "invalid JSON",
        ),
        (
            "{a: 1}",
            |e| matches!(e, EventError::Json(_)),
            "invalid JSON",
        ),
        (
            r#"{"a": 1} {"b": 2}"#,
            |e| matches!(e, EventError::Json(_)),
            "trailing characters",
        ),
        (
            r#"{"a": 1e400}"#,
            |e| matches!(e, EventError::Json(_)),
            "out of range",
        ),
        (
            r#"{"a": NaN}"#,
            |e| matches!(e, EventError::Json(_)),
            "invalid JSON",
        ),
        // Arrays may hold scalars and nulls only.
        (
            r#"{"a": [{"b": 1}]}"#,
            |e| matches!(e, EventError::NonScalarElement { name, .. } if name == "a"),
            "attribute `a`: an array may hold only numbers, strings, bools and nulls, found an object",
        ),
        (
            r#"{"a": [1, [2]]}"#,
            |e| matches!(e, EventError::NonScalarElement { .. }),
            "found an array",
        ),
        (
            r#"{"x": {"y": [null, {}]}}"#,
            |e| matches!(e, EventError::NonScalarElement { name, .. } if name == "x.y"),
            "attribute `x.y`",
        ),
        (
            r#"{"a": [[]]}"#,
            |e| matches!(e, EventError::NonScalarElement { .. }),
            "found an array",
        ),
        // Two ways to write the same flattened name.
        (
            r#"{"a.b": 1, "a": {"b": 2}}"#,
            |e| matches!(e, EventError::DuplicateName { name } if name == "a.b"),
            "attribute `a.b` is given twice",
        ),
        (
            r#"{"a": {"b": 2}, "a.b": 1}"#,
            |e| matches!(e, EventError::DuplicateName { name } if name == "a.b"),
            "given twice",
        ),
        (
            r#"{"a": 1, "a": 2}"#,
            |e| matches!(e, EventError::DuplicateName { name } if name == "a"),
            "attribute `a` is given twice",
        ),
        (
            r#"{"a": {"b": 1}, "a": {"b": 1}}"#,
            |e| matches!(e, EventError::DuplicateName { name } if name == "a.b"),
            "given twice",
        ),
        // Integers must fit i64, however far out of range they are.
        (
            r#"{"x": 9223372036854775808}"#,
            |e| matches!(e, EventError::IntegerOutOfRange { name, value } if name == "x" && value == "9223372036854775808"),
            "attribute `x`: 9223372036854775808 does not fit a 64-bit signed integer",
        ),
        (
            r#"{"x": -9223372036854775809}"#,
            |e| matches!(e, EventError::IntegerOutOfRange { name, .. } if name == "x"),
            "-9223372036854775809 does not fit",
        ),
        (
            r#"{"x": 18446744073709551616}"#,
            |e| matches!(e, EventError::IntegerOutOfRange { name, .. } if name == "x"),
            "18446744073709551616 does not fit",
        ),
        (
            r#"{"ok": 1e19, "n": {"x": [1, 100000000000000000000000]}}"#,
            |e| matches!(e, EventError::IntegerOutOfRange { name, .. } if name == "n.x"),
            "attribute `n.x`: 100000000000000000000000 does not fit",
        ),
        (
            r#"{"s": "1e19 \"k\": 1", "k\"": {"x": -99999999999999999999}}"#,
            |e| matches!(e, EventError::IntegerOutOfRange { name, .. } if name == "k\".x"),
            "-99999999999999999999 does not fit",
        ),
        (
            r#"{"x": [18446744073709551615]}"#,
            |e| matches!(e, EventError::IntegerOutOfRange { name, .. } if name == "x"),
            "18446744073709551615 does not fit",
        ),
    ];
    for &(json, check, message) in cases {
        let error = Event::from_json(json, &EventLimits::default()).expect_err(json);
        assert!(check(&error), "{json}: wrong error {error:?}");
        assert!(
            error.to_string().contains(message),
            "{json}: {error} should contain {message:?}"
        );
    }
}

#[test]
fn default_limits() {
    let limits = EventLimits::default();
    assert_eq!(
        (
            limits.max_attributes,
            limits.max_depth,
            limits.max_name_len,
            limits.max_encoded_size
        ),
        (256, 8, 256, 256 * 1024)
    );
    let size_at_limit = format!("{{\"s\": \"{}\"}}", "a".repeat(256 * 1024 - 9));
    let size_over = format!("{{\"s\": \"{}\"}}", "a".repeat(256 * 1024 - 8));
    let padded_over = format!("{}{}", " ".repeat(256 * 1024 - 1), "{}");
    let name_at_limit = format!("{{\"{}\": 1}}", "n".repeat(256));
    let name_over = format!("{{\"{}\": 1}}", "n".repeat(257));
    let wide_name_over = format!("{{\"{}\": 1}}", "é".repeat(129));
    let wide_name_at_limit = format!("{{\"{}\": 1}}", "é".repeat(128));
    let flat_name_over = format!("{{\"{}\": {{\"{}\": 1}}}}", "p".repeat(200), "q".repeat(56));
    let flat_name_at_limit = format!("{{\"{}\": {{\"{}\": 1}}}}", "p".repeat(200), "q".repeat(55));
    let nested_too_many = format!("{{\"o\": {}}}", wide_object(257));
    let array_counts_once = format!("{{{}, \"m\": [1, 2, 3]}}", members(255));
    let nulls_do_not_count = format!("{{{}, \"n\": null, \"e\": []}}", members(256));
    let cases: Vec<(&str, String, Refusal)> = vec![
        ("256 attributes", wide_object(256), None),
        (
            "257 attributes",
            wide_object(257),
            Some((
                |e| matches!(e, EventError::TooManyAttributes { limit: 256 }),
                "more than 256 attributes",
            )),
        ),
        (
            "257 attributes after flattening",
            nested_too_many,
            Some((
                |e| matches!(e, EventError::TooManyAttributes { .. }),
                "more than 256 attributes",
            )),
        ),
        ("an array is one attribute", array_counts_once, None),
        ("absent attributes do not count", nulls_do_not_count, None),
        ("depth 8", nested_object(8), None),
        (
            "depth 9",
            nested_object(9),
            Some((
                |e| matches!(e, EventError::TooDeep { name, limit: 8 } if name == "k.k.k.k.k.k.k.k"),
                "nests objects deeper than 8 levels",
            )),
        ),
        ("a name of 256 bytes", name_at_limit, None),
        (
            "a name of 257 bytes",
            name_over,
            Some((
                |e| matches!(e, EventError::NameTooLong { limit: 256, .. }),
                "longer than 256 bytes",
            )),
        ),
        (
            "a name of 256 bytes in 128 characters",
            wide_name_at_limit,
            None,
        ),
        (
            "a name of 258 bytes in 129 characters",
            wide_name_over,
            Some((
                |e| matches!(e, EventError::NameTooLong { .. }),
                "longer than 256 bytes",
            )),
        ),
        ("a flattened name of 256 bytes", flat_name_at_limit, None),
        (
            "a flattened name of 257 bytes",
            flat_name_over,
            Some((
                |e| matches!(e, EventError::NameTooLong { .. }),
                "longer than 256 bytes",
            )),
        ),
        ("256 KiB of text", size_at_limit, None),
        (
            "256 KiB and one byte of text",
            size_over,
            Some((
                |e| {
                    matches!(
                        e,
                        EventError::TooLarge {
                            size: 262145,
                            limit: 262144
                        }
                    )
                },
                "the event is 262145 bytes, over the limit of 262144 bytes",
            )),
        ),
        (
            "white space counts",
            padded_over,
            Some((
                |e| matches!(e, EventError::TooLarge { .. }),
                "over the limit",
            )),
        ),
    ];
    for (what, json, want) in cases {
        match (Event::from_json(&json, &limits), want) {
            (Ok(_), None) => {}
            (Err(error), Some((check, message))) => {
                assert!(check(&error), "{what}: wrong error {error:?}");
                assert!(error.to_string().contains(message), "{what}: {error}");
            }
            (got, _) => panic!("{what}: unexpected {:?}", got.map(|e| e.len())),
        }
    }
    // A refused name is quoted only in part, so the message stays short.
    let error = Event::from_json(&format!("{{\"{}\": 1}}", "n".repeat(10_000)), &limits)
        .expect_err("long name");
    assert!(error.to_string().len() < 200, "{error}");
}

#[test]
fn custom_limits() {
    let limits = EventLimits {
        max_attributes: 2,
        max_depth: 2,
        max_name_len: 3,
        max_encoded_size: 30,
    };
    let cases: &[(&str, Refusal)] = &[
        (r#"{"a": 1, "b": [1, 2]}"#, None),
        (
            r#"{"a": 1, "b": 2, "c": 3}"#,
            Some((
                |e| matches!(e, EventError::TooManyAttributes { limit: 2 }),
                "more than 2 attributes",
            )),
        ),
        (r#"{"a": {"b": 1}}"#, None),
        (
            r#"{"a": {"b": {"c": 1}}}"#,
            Some((
                |e| matches!(e, EventError::TooDeep { limit: 2, .. }),
                "deeper than 2 levels",
            )),
        ),
        (r#"{"abc": 1}"#, None),
        (
            r#"{"abcd": 1}"#,
            Some((
                |e| matches!(e, EventError::NameTooLong { limit: 3, .. }),
                "longer than 3 bytes",
            )),
        ),
        (
            r#"{"a": {"bc": 1}}"#,
            Some((
                |e| matches!(e, EventError::NameTooLong { .. }),
                "`a.b…` is longer than 3 bytes",
            )),
        ),
        (r#"{"a":"0123456789abcdefghijkl"}"#, None),
        (
            r#"{"a": "0123456789abcdefghijkl"}"#,
            Some((
                |e| {
                    matches!(
                        e,
                        EventError::TooLarge {
                            size: 31,
                            limit: 30
                        }
                    )
                },
                "31 bytes",
            )),
        ),
    ];
    for &(json, want) in cases {
        let result = Event::from_json(json, &limits);
        match (result, want) {
            (Ok(event), None) => assert_eq!(decode(json), event, "{json}"),
            (Err(error), Some((check, message))) => {
                assert!(check(&error), "{json}: wrong error {error:?}");
                assert!(error.to_string().contains(message), "{json}: {error}");
                assert!(
                    Event::from_json(json, &EventLimits::default()).is_ok(),
                    "{json}"
                );
            }
            (got, _) => panic!("{json}: unexpected {got:?}"),
        }
    }
}

#[test]
fn cbor_round_trip() {
    let long = "ü".repeat(3000) + &"x".repeat(5000);
    let events = [
        "{}".to_string(),
        r#"{"a": 1, "b": -2.5, "c": "s", "d": true, "e": false}"#.to_string(),
        r#"{"geo": {"lat": 41.9, "lon": 12.5}, "tags": ["x", "urgent", null]}"#.to_string(),
        r#"{"m": [1, 2.0, "3", true], "z": 0.0, "neg": -0.0}"#.to_string(),
        r#"{"max": 9223372036854775807, "min": -9223372036854775808, "f": 1e300}"#.to_string(),
        r#"{"k.with.dots": {"and space": "é😀"}}"#.to_string(),
        // Strings longer than the CBOR decoder's 4 KiB scratch buffer, multi-byte included.
        format!(r#"{{"long": "{long}", "many": ["{long}", "{long}"]}}"#),
        format!(r#"{{"{}": 1}}"#, "é".repeat(128)),
        wide_object(256),
        nested_object(8),
    ];
    for json in &events {
        let event = decode(json);
        let bytes = event.to_cbor();
        let back = Event::from_cbor(&bytes, &EventLimits::default())
            .unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(back, event, "{json}");
        assert_eq!(back.to_cbor(), bytes, "{json}: encoding is not stable");
    }
    // The long strings survived whole.
    let event = decode(&events[6]);
    let back = Event::from_cbor(&event.to_cbor(), &EventLimits::default()).expect("decodes");
    assert_eq!(back.get("long"), Some(&[Value::from(long.as_str())][..]));
    assert_eq!(back.get("many").map(<[Value]>::len), Some(2));
}

#[test]
fn cbor_decodes_like_json() {
    // Nested maps flatten and arrays are multi-valued in CBOR exactly as in JSON.
    let cases = [
        (
            map(vec![
                ("geo", map(vec![("lat", Cbor::Float(41.9))])),
                (
                    "tags",
                    Cbor::Array(vec![text("x"), Cbor::Null, text("urgent")]),
                ),
                ("gone", Cbor::Null),
                ("n", Cbor::Integer(Integer::from(-3))),
            ]),
            r#"{"geo": {"lat": 41.9}, "tags": ["x", null, "urgent"], "gone": null, "n": -3}"#,
        ),
        (map(vec![("e", Cbor::Array(vec![]))]), "{}"),
        (map(vec![("b", Cbor::Bool(true))]), r#"{"b": true}"#),
        (
            map(vec![("a.b", Cbor::Integer(1.into())), ("c", map(vec![]))]),
            r#"{"a": {"b": 1}}"#,
        ),
    ];
    for (value, json) in cases {
        let event = Event::from_cbor(&cbor_bytes(&value), &EventLimits::default())
            .unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(event, decode(json), "{json}");
    }
}

#[test]
fn refused_cbor() {
    let one_attribute = cbor_bytes(&map(vec![("a", Cbor::Integer(1.into()))]));
    let trailing_bytes = [one_attribute.as_slice(), &[0x01]].concat();
    let truncated = {
        let mut bytes = cbor_bytes(&map(vec![("a", text("hello"))]));
        bytes.pop();
        bytes
    };
    let cases: Vec<(&str, Vec<u8>, Check, &str)> = vec![
        (
            "byte string",
            cbor_bytes(&map(vec![("b", Cbor::Bytes(vec![1, 2]))])),
            |e| matches!(e, EventError::UnsupportedValue { name, .. } if name == "b"),
            "attribute `b`: a byte string is not a value an event can hold",
        ),
        (
            "long byte string",
            cbor_bytes(&map(vec![("b", Cbor::Bytes(vec![0; 10_000]))])),
            |e| matches!(e, EventError::UnsupportedValue { .. }),
            "a byte string",
        ),
        (
            "byte string in an array",
            cbor_bytes(&map(vec![(
                "b",
                Cbor::Array(vec![Cbor::Integer(1.into()), Cbor::Bytes(vec![])]),
            )])),
            |e| matches!(e, EventError::UnsupportedValue { name, .. } if name == "b"),
            "a byte string",
        ),
        (
            "NaN",
            cbor_bytes(&map(vec![("f", Cbor::Float(f64::NAN))])),
            |e| matches!(e, EventError::NonFiniteFloat { name } if name == "f"),
            "attribute `f`: a float must be finite",
        ),
        (
            "infinity",
            cbor_bytes(&map(vec![(
                "g",
                map(vec![("f", Cbor::Float(f64::INFINITY))]),
            )])),
            |e| matches!(e, EventError::NonFiniteFloat { name } if name == "g.f"),
            "a float must be finite",
        ),
        (
            "negative infinity in an array",
            cbor_bytes(&map(vec![(
                "f",
                Cbor::Array(vec![Cbor::Float(1.0), Cbor::Float(f64::NEG_INFINITY)]),
            )])),
            |e| matches!(e, EventError::NonFiniteFloat { name } if name == "f"),
            "a float must be finite",
        ),
        (
            "u64 beyond i64",
            cbor_bytes(&map(vec![("u", Cbor::Integer(u64::MAX.into()))])),
            |e| matches!(e, EventError::IntegerOutOfRange { name, .. } if name == "u"),
            "18446744073709551615 does not fit",
        ),
        (
            "negative beyond i64",
            cbor_bytes(&map(vec![(
                "u",
                Cbor::Array(vec![Cbor::Integer(
                    Integer::try_from(-(1i128 << 64)).expect("fits CBOR"),
                )]),
            )])),
            |e| matches!(e, EventError::IntegerOutOfRange { name, .. } if name == "u"),
            "-18446744073709551616 does not fit",
        ),
        (
            "top-level array",
            cbor_bytes(&Cbor::Array(vec![map(vec![])])),
            |e| matches!(e, EventError::NotAnObject { .. }),
            "found an array",
        ),
        (
            "top-level text",
            cbor_bytes(&text("event")),
            |e| matches!(e, EventError::NotAnObject { .. }),
            "found a string",
        ),
        (
            "an object in an array",
            cbor_bytes(&map(vec![("a", Cbor::Array(vec![map(vec![])]))])),
            |e| matches!(e, EventError::NonScalarElement { .. }),
            "found an object",
        ),
        (
            "a duplicate after flattening",
            cbor_bytes(&map(vec![
                ("a.b", Cbor::Integer(1.into())),
                ("a", map(vec![("b", Cbor::Integer(2.into()))])),
            ])),
            |e| matches!(e, EventError::DuplicateName { name } if name == "a.b"),
            "given twice",
        ),
        (
            "a key that is not text",
            cbor_bytes(&Cbor::Map(vec![(
                Cbor::Integer(1.into()),
                Cbor::Integer(1.into()),
            )])),
            |e| matches!(e, EventError::Cbor(_)),
            "invalid CBOR",
        ),
        (
            "a tagged value",
            cbor_bytes(&map(vec![(
                "t",
                Cbor::Tag(1, Box::new(Cbor::Integer(0.into()))),
            )])),
            |e| matches!(e, EventError::Cbor(_)),
            "invalid CBOR",
        ),
        (
            "truncated",
            truncated,
            |e| matches!(e, EventError::Cbor(_)),
            "invalid CBOR",
        ),
        (
            "empty",
            vec![],
            |e| matches!(e, EventError::Cbor(_)),
            "invalid CBOR",
        ),
        (
            "trailing bytes",
            trailing_bytes,
            |e| matches!(e, EventError::Cbor(_)),
            "1 trailing bytes",
        ),
        // A header that claims a 4 GiB string: refused at the end of the input, not allocated.
        (
            "lying length",
            vec![0xa1, 0x61, b'a', 0x7a, 0xff, 0xff, 0xff, 0xff, b'x'],
            |e| matches!(e, EventError::Cbor(_)),
            "invalid CBOR",
        ),
        (
            "over 256 KiB",
            cbor_bytes(&map(vec![("s", text(&"a".repeat(256 * 1024)))])),
            |e| matches!(e, EventError::TooLarge { limit: 262144, .. }),
            "over the limit of 262144 bytes",
        ),
    ];
    for (what, bytes, check, message) in cases {
        let error = Event::from_cbor(&bytes, &EventLimits::default()).expect_err(what);
        assert!(check(&error), "{what}: wrong error {error:?}");
        assert!(
            error.to_string().contains(message),
            "{what}: {error} should contain {message:?}"
        );
    }
    // The same map without the trailing byte is fine.
    assert!(Event::from_cbor(&one_attribute, &EventLimits::default()).is_ok());
}

#[test]
fn cbor_limits() {
    let limits = EventLimits {
        max_attributes: 2,
        max_depth: 2,
        max_name_len: 3,
        max_encoded_size: 64,
    };
    let one = || Cbor::Integer(1.into());
    let cases: Vec<(Cbor, Option<Check>)> = vec![
        (
            map(vec![("a", one()), ("b", Cbor::Array(vec![one(), one()]))]),
            None,
        ),
        (
            map(vec![("a", one()), ("b", one()), ("c", one())]),
            Some(|e| matches!(e, EventError::TooManyAttributes { limit: 2 })),
        ),
        (map(vec![("a", map(vec![("b", one())]))]), None),
        (
            map(vec![("a", map(vec![("b", map(vec![("c", one())]))]))]),
            Some(|e| matches!(e, EventError::TooDeep { limit: 2, .. })),
        ),
        (
            map(vec![("abcd", one())]),
            Some(|e| matches!(e, EventError::NameTooLong { limit: 3, .. })),
        ),
        (
            map(vec![("s", text(&"x".repeat(64)))]),
            Some(|e| matches!(e, EventError::TooLarge { limit: 64, .. })),
        ),
    ];
    for (value, want) in cases {
        let result = Event::from_cbor(&cbor_bytes(&value), &limits);
        match (result, want) {
            (Ok(_), None) => {}
            (Err(error), Some(check)) => assert!(check(&error), "{value:?}: wrong error {error:?}"),
            (got, _) => panic!("{value:?}: unexpected {got:?}"),
        }
    }
}
