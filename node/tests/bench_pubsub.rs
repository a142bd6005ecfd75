//! `sift bench pubsub` runs end to end and accounts for every delivery (its speed is the
//! benchmark's business, not a test's).

use std::process::Command;

use serde_json::Value;

#[test]
fn the_pubsub_benchmark_delivers_every_event_to_every_subscriber() {
    let out = Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(["bench", "pubsub", "--events", "300", "--batch", "50"])
        .args([
            "--subscribers",
            "20",
            "--symbols",
            "4",
            "--no-nats",
            "--json",
        ])
        .output()
        .expect("the sift binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sift = &runs[0];
    assert_eq!(sift["system"], "sift");
    assert_eq!(sift["expected_deliveries"], 300 * 20 / 4);
    assert_eq!(sift["deliveries"], sift["expected_deliveries"]);
}
