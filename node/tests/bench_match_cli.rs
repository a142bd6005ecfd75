//! `sift bench match` end to end: the index and the naive scan find the same matches on every
//! workload, the report carries every documented key, and a user's own files are measured or
//! refused with the line at fault. Its figures are the benchmark's business, not a test's.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(["bench", "match"])
        .args(args)
        .output()
        .expect("the sift binary runs")
}

fn report(args: &[&str]) -> Value {
    let out = bench(&[args, &["--json"]].concat());
    assert!(
        out.status.success(),
        "sift bench match {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

/// Standard error of a run on the user's files that must fail.
fn refusal(filters: &str, events: &str) -> String {
    let out = bench(&["--subs-file", filters, "--events-file", events]);
    assert!(
        !out.status.success(),
        "sift bench match accepted {filters:?} and {events:?}"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A file in the temporary directory, removed when dropped (also when a test fails).
struct ScratchFile(PathBuf);

impl ScratchFile {
    fn new(name: &str, contents: &str) -> ScratchFile {
        let path =
            std::env::temp_dir().join(format!("sift-bench-match-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).expect("temp dir is writable");
        ScratchFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("temp paths are UTF-8")
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Every key the documentation names, with a number where one is due (memory is null where
/// the system does not report it).
fn check_keys(report: &Value, subscriptions: u64) {
    assert_eq!(report["subscriptions"], subscriptions, "{report}");
    let number = |key: &str| {
        report[key]
            .as_f64()
            .filter(|v| *v >= 0.0)
            .unwrap_or_else(|| panic!("{key} in {report}"))
    };
    for key in ["insert_us_per_sub", "match_us_mean", "matches_per_event"] {
        number(key);
    }
    assert!(number("match_us_p50") <= number("match_us_p99"), "{report}");
    let memory = &report["bytes_per_sub"];
    assert!(
        memory.is_null() || memory.as_f64().is_some_and(|v| v >= 0.0),
        "{report}"
    );
}

#[test]
fn the_index_and_the_naive_scan_agree_on_both_workloads() {
    for workload in ["interval", "realistic"] {
        let args = [
            "--workload",
            workload,
            "--subs",
            "3000",
            "--events",
            "60",
            "--seed",
            "7",
        ];
        let index = report(&args);
        let naive = report(&[&args[..], &["--naive"]].concat());
        check_keys(&index, 3000);
        check_keys(&naive, 3000);
        assert_eq!(index["engine"], "index");
        assert_eq!(naive["engine"], "naive");
        assert_eq!(
            index["matches_per_event"], naive["matches_per_event"],
            "{workload}: the index must find exactly the naive scan's matches"
        );
    }
}

#[test]
fn interval_parameters_shape_the_workload() {
    // Ranges as wide as the domain match every event; the narrowest match (almost) none.
    let wide = report(&[
        "--subs",
        "500",
        "--events",
        "20",
        "--width",
        "1",
        "--attrs",
        "4",
        "--constraints",
        "2",
    ]);
    assert_eq!(wide["matches_per_event"], 500.0, "{wide}");
    let narrow = report(&[
        "--subs",
        "500",
        "--events",
        "20",
        "--width",
        "0.000001",
        "--attrs",
        "4",
        "--constraints",
        "4",
    ]);
    assert!(
        narrow["matches_per_event"].as_f64().unwrap() < 1.0,
        "{narrow}"
    );

    let refused = bench(&["--subs", "10", "--attrs", "2", "--constraints", "3"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("bad interval workload"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

#[test]
fn a_user_s_own_files_are_measured_and_bad_lines_named() {
    let filters = ScratchFile::new(
        "filters.txt",
        "# alerts\nprice > 100\n\nsymbol == \"ACME\" && price < 50\nsymbol in [\"ACME\", \"XYZ\"]\n",
    );
    let events = ScratchFile::new(
        "events.jsonl",
        "{\"symbol\": \"ACME\", \"price\": 120}\n{\"symbol\": \"ACME\", \"price\": 10}\n{\"symbol\": \"QQQ\", \"price\": 1}\n",
    );
    let args = [
        "--subs-file",
        filters.path(),
        "--events-file",
        events.path(),
    ];
    let measured = report(&args);
    check_keys(&measured, 3);
    assert_eq!(measured["events"], 3);
    // Matches: 2 (price > 100, in-list), 2 (ACME under 50, in-list), 0.
    assert_eq!(measured["matches_per_event"], 4.0 / 3.0, "{measured}");
    let table = bench(&args);
    assert!(table.status.success());
    let table = String::from_utf8_lossy(&table.stdout);
    for line in [
        "subscriptions    3",
        "insert ",
        "match ",
        "matches/event    1.33",
    ] {
        assert!(table.contains(line), "{line:?} in\n{table}");
    }

    // Errors name the file and the line, counting the skipped ones.
    let bad = ScratchFile::new("bad.txt", "# header\nprice > 1\n\nprice >\n");
    let stderr = refusal(bad.path(), events.path());
    assert!(stderr.contains("bad.txt line 4: price >"), "{stderr}");
    let bad_events = ScratchFile::new("bad.jsonl", "{\"price\": 1}\n\n{\"price\": \n");
    let stderr = refusal(filters.path(), bad_events.path());
    assert!(stderr.contains("bad.jsonl line 3"), "{stderr}");
    let stderr = refusal("/nonexistent/filters.txt", events.path());
    assert!(
        stderr.contains("cannot open /nonexistent/filters.txt"),
        "{stderr}"
    );
}
