//! The broker architectures in the simulator: exact under subscription churn, routed around a
//! dead worker or broker, stopped by a dead central broker or master until it returns, and
//! with the load shapes each design is known for.

use sift_core::StrategyKind;
use sift_scenarios::{Among, Fault, FaultKind, Scenario, Summary, WorkloadKind, run};

const ARCHITECTURES: [StrategyKind; 3] = [
    StrategyKind::Centralized,
    StrategyKind::Hierarchical,
    StrategyKind::Flat,
];

fn play(scenario: &Scenario) -> Summary {
    run(scenario, 2, None, &mut |_, _| {}).expect("the scenario runs")
}

fn market(strategy: StrategyKind, seed: u64) -> Scenario {
    Scenario {
        strategy,
        nodes: 150,
        subs: 1_500,
        events: 1_000,
        seed,
        workload: WorkloadKind::Market,
        settle_ms: 3_000,
        ..Scenario::default()
    }
}

fn crash(after_ms: f64, fraction: f64, among: Among) -> Fault {
    Fault {
        after_ms,
        kind: FaultKind::Crash,
        fraction: Some(fraction),
        among,
    }
}

#[test]
fn exact_under_churn_duplication_and_expiry_on_many_seeds() {
    for strategy in ARCHITECTURES {
        for seed in 1..=4 {
            let summary = play(&Scenario {
                duplicate: 0.1,
                unsubscribe: 0.3,
                ttl_s: Some(8.0),
                lease_s: 6.0,
                publish_interval_ms: 5.0,
                ..market(strategy, seed)
            });
            assert!(summary.is_exact(), "{strategy} seed {seed}: {summary}");
            assert!(summary.owed_deliveries > 50, "{strategy}: {summary}");
            assert_eq!(summary.stale_routing_entries, 0, "{strategy}: {summary}");
        }
    }
}

#[test]
fn a_dead_worker_or_broker_is_routed_around() {
    for strategy in [StrategyKind::Hierarchical, StrategyKind::Flat] {
        for seed in 1..=2 {
            let summary = play(&Scenario {
                events: 4_000,
                publish_interval_ms: 5.0,
                recovery_ms: 5_000,
                faults: vec![crash(5_000.0, 0.25, Among::Brokers)],
                ..market(strategy, seed)
            });
            let what = format!("{strategy} seed {seed}: {summary}");
            assert!(summary.owed_after_faults > 100, "{what}");
            assert_eq!(summary.missing_after_faults, 0, "{what}");
            assert_eq!(summary.spurious + summary.duplicates, 0, "{what}");
            // Only events sent to the dead brokers before anyone noticed are lost.
            assert!(summary.delivered_fraction > 0.99, "{what}");
        }
    }
}

#[test]
fn a_dead_central_broker_or_master_stops_delivery_until_it_returns() {
    for (strategy, among) in [
        (StrategyKind::Centralized, Among::Brokers),
        (StrategyKind::Hierarchical, Among::Master),
    ] {
        let scenario = Scenario {
            events: 4_000,
            publish_interval_ms: 5.0,
            recovery_ms: 5_000,
            ..market(strategy, 1)
        };
        let down = play(&Scenario {
            faults: vec![crash(5_000.0, 1.0, among)],
            ..scenario.clone()
        });
        // Only subscribers on the publisher's own node still get its events.
        let after = 1.0 - down.missing_after_faults as f64 / down.owed_after_faults as f64;
        assert!(after < 0.05, "{strategy}: {after} delivered: {down}");

        let back = play(&Scenario {
            faults: vec![
                crash(5_000.0, 1.0, among),
                Fault {
                    after_ms: 8_000.0,
                    kind: FaultKind::Restart,
                    fraction: None,
                    among: Among::All,
                },
            ],
            ..scenario
        });
        assert!(back.owed_after_faults > 100, "{strategy}: {back}");
        assert_eq!(back.missing_after_faults, 0, "{strategy}: {back}");
        assert_eq!(back.stale_routing_entries, 0, "{strategy}: {back}");
    }
}

#[test]
fn with_a_standby_the_nodes_move_to_it() {
    for (strategy, among) in [
        (StrategyKind::Centralized, Among::Brokers),
        (StrategyKind::Hierarchical, Among::Master),
    ] {
        let summary = play(&Scenario {
            brokers: (strategy == StrategyKind::Centralized).then_some(2),
            masters: 2,
            events: 4_000,
            publish_interval_ms: 5.0,
            recovery_ms: 5_000,
            // This seed's draws take down the active one of the two (the first by id), not
            // the standby: events sent to it before the nodes noticed are missing.
            faults: vec![crash(5_000.0, 0.5, among)],
            ..market(strategy, 2)
        });
        assert!(
            summary.missing > 0,
            "{strategy}: the standby was crashed: {summary}"
        );
        assert_eq!(summary.missing_after_faults, 0, "{strategy}: {summary}");
        assert!(summary.delivered_fraction > 0.98, "{strategy}: {summary}");
    }
}

#[test]
fn each_design_has_its_load_shape() {
    let runs: Vec<Summary> = ARCHITECTURES
        .into_iter()
        .map(|strategy| play(&market(strategy, 3)))
        .collect();
    let [central, hierarchical, flat] = &runs[..] else {
        unreachable!()
    };
    // One node evaluates every filter for every event.
    assert!(
        central.filter_load.max as f64 > 0.95 * central.matching_ops as f64,
        "{central}"
    );
    // The master handles every event, the busiest worker a share of them.
    assert!(
        hierarchical.node_load.max >= hierarchical.events as u64,
        "{hierarchical}"
    );
    assert!(
        (hierarchical.filter_load.max as f64) < 0.5 * hierarchical.matching_ops as f64,
        "{hierarchical}"
    );
    // No node sees every event in flat; its busiest broker is less busy than the master.
    assert!(flat.node_load.max < hierarchical.node_load.max, "{flat}");
    assert!(
        (flat.filter_load.max as f64) < 0.5 * flat.matching_ops as f64,
        "{flat}"
    );
}
