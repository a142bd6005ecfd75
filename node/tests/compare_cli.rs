//! `sift compare` from the command line: a sweep with its report, JSON results and charts;
//! real nodes beside the simulator; bad arguments refused with the reason.

use std::process::{Command, Output};

use serde_json::Value;

fn sift_compare(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sift"))
        .arg("compare")
        .args(args)
        .output()
        .expect("the sift binary runs")
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("sift-compare-cli-{}-{name}", std::process::id()))
}

#[test]
fn a_sweep_writes_a_report_results_and_charts() {
    let out_dir = temp_path("report");
    let out = sift_compare(&[
        "--nodes",
        "30",
        "--subs",
        "120",
        "--events",
        "60",
        "--sweep",
        "nodes=20,40",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("nodes = 20") && stdout.contains("nodes = 40"),
        "{stdout}"
    );
    for strategy in [
        "flood",
        "selective",
        "plumtree",
        "centralized",
        "hierarchical",
        "flat",
        "dht",
    ] {
        assert!(
            stdout.contains(strategy),
            "{strategy} missing from\n{stdout}"
        );
    }

    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("results.json")).unwrap())
            .unwrap();
    let runs = results["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2 * 11);
    assert_eq!(results["sweep"]["key"], "nodes");
    for run in runs {
        assert!(run["nodes"] == 20 || run["nodes"] == 40, "{run}");
        // The exact strategies are exact here: no faults, no loss.
        if !["rumor", "blind-counter"].contains(&run["strategy"].as_str().unwrap()) {
            assert_eq!(run["missing"], 0, "{run}");
        }
        assert_eq!(run["spurious"], 0, "{run}");
        assert!(run["messages_per_event"].as_f64().unwrap() > 0.0, "{run}");
    }

    let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(report.contains("## nodes = 40"), "{report}");
    for chart in [
        "messages.svg",
        "event-messages.svg",
        "busiest-node.svg",
        "busiest-event-node.svg",
        "busiest-matcher.svg",
        "load-nodes-20.svg",
        "events-nodes-20.svg",
        "filters-nodes-40.svg",
        "latency-nodes-40.svg",
    ] {
        assert!(report.contains(chart), "{chart} not linked from the report");
        let svg = std::fs::read_to_string(out_dir.join(chart)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("centralized"),
            "{chart}"
        );
    }
    std::fs::remove_dir_all(&out_dir).unwrap();
}

#[test]
fn real_nodes_stand_beside_the_simulator() {
    let out = sift_compare(&[
        "--strategies",
        "selective,flat",
        "--subs",
        "60",
        "--events",
        "40",
        "--settle-ms",
        "1500",
        "--real",
        "4",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Value = serde_json::from_slice(&out.stdout).unwrap();
    let real = results["real"].as_array().unwrap();
    let venues: Vec<(&str, &str)> = real
        .iter()
        .map(|r| {
            (
                r["strategy"].as_str().unwrap(),
                r["venue"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        venues,
        vec![
            ("selective", "simulated"),
            ("selective", "real"),
            ("flat", "simulated"),
            ("flat", "real"),
        ]
    );
    for run in real {
        assert_eq!(run["nodes"], 4, "{run}");
        assert!(run["owed"].as_u64().unwrap() > 0, "{run}");
        assert_eq!(run["missing"], 0, "{run}");
        assert_eq!(run["spurious"], 0, "{run}");
        assert_eq!(run["duplicates"], 0, "{run}");
    }
    // The real run's counters were read: it sent events and matched filters.
    assert!(real[3]["event_messages_per_event"].as_f64().unwrap() > 0.0);
    assert!(real[3]["filter_load"]["max"].as_u64().unwrap() > 0);
}

#[test]
fn bad_arguments_are_refused_with_the_reason() {
    for (args, needle) in [
        (vec!["--sweep", "degree=3,4"], "cannot sweep `degree`"),
        (vec!["--strategies", "flood,flood"], "names flood twice"),
        (vec!["--strategies", "gossip"], "unknown strategy"),
        (
            vec!["--strategies", "flat", "--brokers", "0"],
            "brokers and masters must be at least 1",
        ),
        (vec!["--real", "1"], "--real"),
        (vec!["--real", "4", "--ttl-s", "5"], "leave out ttl_s"),
    ] {
        let out = sift_compare(&args);
        assert!(!out.status.success(), "{args:?} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}
