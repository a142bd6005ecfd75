//! `sift match` as the contract defines it: exit 0 and `match`, exit 1 and `no match`, exit 2
//! with the error on standard error; `-` reads the event from standard input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `sift match FILTER EVENT`, feeding `stdin` to the process when given.
fn sift_match(filter: &str, event: &str, stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(["match", filter, event])
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sift binary runs");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("piped stdin");
        // The child may stop reading early (an oversize event); a broken pipe is fine then.
        let _ = pipe.write_all(input);
    }
    child.wait_with_output().expect("sift match finishes")
}

/// What a run should produce: exit status, exact standard output, and text that standard error
/// must contain (empty when it must be empty).
struct Want {
    status: i32,
    stdout: &'static str,
    stderr: &'static [&'static str],
}

const MATCH: Want = Want {
    status: 0,
    stdout: "match\n",
    stderr: &[],
};

const NO_MATCH: Want = Want {
    status: 1,
    stdout: "no match\n",
    stderr: &[],
};

const fn error(parts: &'static [&'static str]) -> Want {
    Want {
        status: 2,
        stdout: "",
        stderr: parts,
    }
}

fn check(what: &str, output: &Output, want: &Want) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(want.status),
        "{what}: stderr {stderr}"
    );
    assert_eq!(stdout, want.stdout, "{what}");
    if want.stderr.is_empty() {
        assert_eq!(stderr, "", "{what}");
    }
    for part in want.stderr {
        assert!(
            stderr.contains(part),
            "{what}: {stderr:?} should contain {part:?}"
        );
    }
}

#[test]
fn event_as_an_argument() {
    let cases: &[(&str, &str, Want)] = &[
        (
            r#"price > 100 && symbol == "ACME""#,
            r#"{"price": 120, "symbol": "ACME"}"#,
            MATCH,
        ),
        (
            r#"price > 100 && symbol == "ACME""#,
            r#"{"price": 80, "symbol": "ACME"}"#,
            NO_MATCH,
        ),
        (r#"tags == "urgent""#, r#"{"tags": ["x", "urgent"]}"#, MATCH),
        ("geo.lat > 41.5", r#"{"geo": {"lat": 41.9}}"#, MATCH),
        ("x != 5", "{}", NO_MATCH),
        ("!(x == 5)", "{}", MATCH),
        ("n == 1", r#"{"n": 1.0}"#, MATCH),
        ("true", "{}", MATCH),
        // Bad filters: the parse error with its offset.
        (
            "quantity>",
            "{}",
            error(&["bad filter", "error at 9: expected a literal after '>'"]),
        ),
        (
            "x in []",
            "{}",
            error(&["error at 6:", "at least one literal"]),
        ),
        ("x > true", "{}", error(&["error at 4:", "'==' or '!='"])),
        ("(x == 1", "{}", error(&["error at 7:", "expected ')'"])),
        ("in == 3", "{}", error(&["error at 0:", "backquotes"])),
        // A bad filter is reported even when the event is bad too.
        ("x ==", "not json", error(&["bad filter", "error at 4:"])),
        // Bad events.
        (
            "true",
            "[1, 2]",
            error(&["bad event", "must be a JSON object", "an array"]),
        ),
        ("true", "not json", error(&["bad event", "invalid JSON"])),
        ("true", "", error(&["bad event", "invalid JSON"])),
        (
            "true",
            r#"{"a": [{"b": 1}]}"#,
            error(&["bad event", "attribute `a`"]),
        ),
        (
            "true",
            r#"{"a.b": 1, "a": {"b": 2}}"#,
            error(&["bad event", "`a.b` is given twice"]),
        ),
        (
            "exists(x)",
            r#"{"x": 18446744073709551616}"#,
            error(&["bad event", "does not fit a 64-bit signed integer"]),
        ),
    ];
    for (filter, event, want) in cases {
        let output = sift_match(filter, event, None);
        check(&format!("sift match {filter:?} {event:?}"), &output, want);
    }
}

#[test]
fn event_from_standard_input() {
    let oversize = format!("{{\"s\": \"{}\"}}", "a".repeat(300 * 1024));
    // Over the limit with the cut inside a two-byte character: still reported as too large.
    let oversize_wide = format!("{{\"s\": \"{}\"}}", "é".repeat(140 * 1024));
    let cases: &[(&str, &[u8], Want)] = &[
        (
            r#"tags == "urgent""#,
            br#"{"tags": ["x", "urgent"]}"#,
            MATCH,
        ),
        (r#"tags == "urgent""#, b"{\"tags\": [\"x\"]}\n", NO_MATCH),
        ("exists(a.b)", b"{\n  \"a\": {\"b\": null}\n}\n", NO_MATCH),
        ("true", b"[]", error(&["bad event", "an array"])),
        ("true", b"", error(&["bad event", "invalid JSON"])),
        ("true", b"{\"s\": \"\xff\"}", error(&["bad event", "UTF-8"])),
        (
            "true",
            oversize.as_bytes(),
            error(&["bad event", "over the limit of 262144 bytes"]),
        ),
        (
            "true",
            oversize_wide.as_bytes(),
            error(&["bad event", "over the limit of 262144 bytes"]),
        ),
        ("x >", b"{}", error(&["bad filter", "error at 3:"])),
    ];
    for (filter, input, want) in cases {
        let output = sift_match(filter, "-", Some(input));
        let shown = String::from_utf8_lossy(&input[..input.len().min(40)]);
        check(
            &format!("sift match {filter:?} - <<< {shown:?}"),
            &output,
            want,
        );
    }
}
