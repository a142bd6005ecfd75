//! `sift demo`, the README's first command: it must run on a fresh machine and come out exact.

use std::process::Command;

#[test]
fn the_demo_runs_and_every_subscription_gets_exactly_its_events() {
    for strategy in ["selective", "flood"] {
        let out = Command::new(env!("CARGO_BIN_EXE_sift"))
            .args([
                "demo",
                "--events",
                "8",
                "--interval-ms",
                "30",
                "--strategy",
                strategy,
            ])
            .output()
            .expect("the sift binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{strategy}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("got exactly the events its filter matches"),
            "{stdout}"
        );
        assert!(stdout.contains("-> ["), "no delivery shown: {stdout}");
    }
}
