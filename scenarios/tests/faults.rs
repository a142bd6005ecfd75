//! Faults in the simulator: crashes, restarts, partitions. Delivery becomes exact again once
//! the overlay has recovered, and the routing state of vanished subscribers ages out.

use sift_core::StrategyKind;
use sift_scenarios::{Fault, FaultKind, Scenario, Summary, run};

fn fault(after_ms: f64, kind: FaultKind, fraction: Option<f64>) -> Fault {
    Fault {
        after_ms,
        kind,
        fraction,
        among: Default::default(),
    }
}

/// 100 nodes, events over 24 s, leases of 6 s. The central broker and the master have a
/// standby each: a crash of either would stop delivery for good otherwise (that case is
/// tests/brokers.rs's).
fn faulty(strategy: StrategyKind, seed: u64, faults: Vec<Fault>) -> Scenario {
    Scenario {
        brokers: (strategy == StrategyKind::Centralized).then_some(2),
        masters: 2,
        strategy,
        nodes: 100,
        subs: 500,
        events: 480,
        publish_interval_ms: 50.0,
        seed,
        settle_ms: 3_000,
        lease_s: 6.0,
        recovery_ms: 10_000,
        faults,
        ..Scenario::default()
    }
}

fn play(scenario: &Scenario) -> Summary {
    run(scenario, 2, None, &mut |_, _| {}).expect("the scenario runs")
}

fn assert_recovered(summary: &Summary, what: &str) {
    assert!(
        summary.owed_after_faults > 0,
        "{what}: nothing owed after the faults"
    );
    assert_eq!(summary.missing_after_faults, 0, "{what}: {summary}");
    assert_eq!(
        summary.spurious + summary.duplicates,
        0,
        "{what}: {summary}"
    );
    assert_eq!(summary.stale_routing_entries, 0, "{what}: {summary}");
}

#[test]
fn after_crashes_delivery_is_exact_again_and_dead_subscribers_age_out() {
    for strategy in StrategyKind::ALL
        .into_iter()
        .filter(|s| s.promises_exact_delivery())
    {
        for seed in 1..=3 {
            let summary = play(&faulty(
                strategy,
                seed,
                vec![fault(2_000.0, FaultKind::Crash, Some(0.1))],
            ));
            assert_recovered(&summary, &format!("{strategy} seed {seed}"));
            assert_eq!(summary.overlay_components, 1, "{summary}");
        }
    }
}

#[test]
fn crashed_nodes_that_restart_rejoin() {
    for strategy in StrategyKind::ALL
        .into_iter()
        .filter(|s| s.promises_exact_delivery())
    {
        let summary = play(&faulty(
            strategy,
            4,
            vec![
                fault(1_000.0, FaultKind::Crash, Some(0.2)),
                fault(4_000.0, FaultKind::Restart, None),
            ],
        ));
        assert_recovered(&summary, &format!("{strategy}"));
        assert_eq!(summary.overlay_components, 1, "{summary}");
    }
}

#[test]
fn after_a_partition_heals_routing_converges_again() {
    for strategy in StrategyKind::ALL
        .into_iter()
        .filter(|s| s.promises_exact_delivery())
    {
        for seed in 1..=2 {
            let summary = play(&faulty(
                strategy,
                seed,
                vec![
                    fault(1_000.0, FaultKind::Partition, Some(0.4)),
                    fault(5_000.0, FaultKind::Heal, None),
                ],
            ));
            assert_recovered(&summary, &format!("{strategy} seed {seed}"));
            assert_eq!(summary.overlay_components, 1, "{summary}");
            // During the partition, events could not cross it. Anti-entropy hands them all
            // over once it heals (it keeps events 30 s); pbcast those it still gossips about
            // (4 s after taking them in); the others lose them.
            match strategy {
                StrategyKind::AntiEntropy => assert_eq!(summary.missing, 0, "{summary}"),
                StrategyKind::Pbcast => {}
                _ => assert!(
                    summary.missing > 0,
                    "{strategy}: the partition cut nothing off"
                ),
            }
        }
    }
}
