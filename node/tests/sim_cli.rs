//! `sift sim` from the command line: a scenario file with flags over it, the JSON summary, the
//! trace file, and the exit status for a bad scenario.

use std::process::{Command, Output};

fn sift_sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sift"))
        .arg("sim")
        .args(args)
        .output()
        .expect("the sift binary runs")
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("sift-sim-cli-{}-{name}", std::process::id()))
}

#[test]
fn a_scenario_file_with_flags_over_it_runs_and_writes_its_trace() {
    let scenario = temp_path("scenario.toml");
    let trace = temp_path("trace.jsonl");
    std::fs::write(
        &scenario,
        "# a small run\nnodes = 500\nsubs = 40\nevents = 30\n",
    )
    .unwrap();
    let out = sift_sim(&[
        scenario.to_str().unwrap(),
        "--strategy",
        "selective",
        "--nodes",
        "25",
        "--latency-ms",
        "1..10",
        "--trace",
        trace.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["strategy"], "selective");
    assert_eq!(summary["nodes"], 25, "the flag overrides the file");
    assert_eq!(
        summary["events"], 30,
        "the file's keys stand where no flag is given"
    );
    assert_eq!(summary["missing"], 0);
    let written = std::fs::read_to_string(&trace).unwrap();
    let last: serde_json::Value = serde_json::from_str(written.lines().last().unwrap()).unwrap();
    assert_eq!(last["kind"], "summary");
    assert_eq!(last["deliveries"], summary["deliveries"]);
    std::fs::remove_file(&scenario).ok();
    std::fs::remove_file(&trace).ok();
}

#[test]
fn a_bad_scenario_exits_2_and_says_what_is_wrong() {
    let out = sift_sim(&["--loss", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loss must be a probability"));
    let out = sift_sim(&["--strategy", "gossip"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown strategy"));
    let out = sift_sim(&["/nonexistent/scenario.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read scenario file"));
}
