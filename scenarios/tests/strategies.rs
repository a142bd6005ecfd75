//! Every strategy in the simulator: exact without faults, reproducible, and honest under loss.

use sift_core::StrategyKind;
use sift_scenarios::{Fault, FaultKind, Scenario, Summary, run};

fn small(strategy: StrategyKind, seed: u64) -> Scenario {
    Scenario {
        strategy,
        nodes: 60,
        subs: 300,
        events: 200,
        seed,
        settle_ms: 3_000,
        ..Scenario::default()
    }
}

fn play(scenario: &Scenario) -> Summary {
    run(scenario, 2, None, &mut |_, _| {}).expect("the scenario runs")
}

/// The strategies that promise exact delivery without faults (all but rumor mongering and
/// the blind counter, which leave a residue by design).
fn exact_strategies() -> impl Iterator<Item = StrategyKind> {
    StrategyKind::ALL
        .into_iter()
        .filter(|s| s.promises_exact_delivery())
}

#[test]
fn every_strategy_is_exact_without_faults_on_many_seeds() {
    for strategy in exact_strategies() {
        for seed in 1..=8 {
            let summary = play(&small(strategy, seed));
            assert_eq!(
                summary.overlay_components, 1,
                "{strategy} seed {seed}: {summary}"
            );
            assert!(summary.is_exact(), "{strategy} seed {seed}: {summary}");
            assert!(
                summary.owed_deliveries > 0,
                "{strategy} seed {seed}: nothing to check"
            );
            assert_eq!(
                summary.deliveries, summary.expected_deliveries,
                "{strategy} seed {seed}"
            );
        }
    }
}

#[test]
fn selective_routing_sends_events_only_where_they_are_wanted() {
    for seed in 1..=3 {
        let flood = play(&small(StrategyKind::Flood, seed));
        let selective = play(&small(StrategyKind::Selective, seed));
        // Flooding takes every event to every node at least once...
        assert!(flood.event_messages_per_event >= (flood.nodes - 1) as f64);
        // ...selective routing to the subscribers, past the root: a few per cent of that.
        assert!(
            selective.event_messages_per_event * 5.0 < flood.event_messages_per_event,
            "seed {seed}: selective {} vs flood {} event messages per event",
            selective.event_messages_per_event,
            flood.event_messages_per_event
        );
        assert!(selective.routing_entries.max > 0);
    }
}

/// The trace of `scenario` played on `threads` threads, and its summary as JSON.
fn played(scenario: &Scenario, threads: usize) -> (Vec<u8>, String) {
    let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let writer = SharedBuffer(buffer.clone());
    let summary = run(scenario, threads, Some(Box::new(writer)), &mut |_, _| {}).unwrap();
    let trace = buffer.lock().unwrap().clone();
    (trace, serde_json::to_string(&summary).unwrap())
}

#[test]
fn the_same_seed_writes_the_same_trace() {
    let trace_of = |seed| played(&small(StrategyKind::Selective, seed), 2).0;
    let first = trace_of(3);
    assert!(!first.is_empty());
    assert_eq!(first, trace_of(3));
    assert_ne!(first, trace_of(4));
    let text = String::from_utf8(first).unwrap();
    let last = text.lines().last().unwrap();
    let summary: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(summary["kind"], "summary");
    assert_eq!(summary["missing"], 0);
    for kind in ["subscribe", "publish", "deliver"] {
        assert!(
            text.contains(&format!(r#""kind":"{kind}""#)),
            "no {kind} record"
        );
    }
}

#[test]
fn loss_costs_deliveries_but_never_correctness() {
    for strategy in StrategyKind::ALL {
        let summary = play(&Scenario {
            loss: 0.2,
            degree: 2,
            ..small(strategy, 5)
        });
        assert!(summary.lost_messages > 0);
        assert!(
            summary.delivered_fraction < 1.0 && summary.delivered_fraction > 0.0,
            "{strategy}: {summary}"
        );
        assert_eq!(
            summary.spurious + summary.duplicates,
            0,
            "{strategy}: {summary}"
        );
    }
}

#[test]
fn expired_subscriptions_stop_receiving() {
    for strategy in StrategyKind::ALL {
        let summary = play(&Scenario {
            ttl_s: Some(0.5),
            ..small(strategy, 6)
        });
        // Every subscription expires long before the first event.
        assert_eq!(summary.expected_deliveries, 0);
        assert_eq!(summary.deliveries, 0, "{strategy}");
        if strategy == StrategyKind::Selective {
            // Expired filters leave the routing tables too.
            assert_eq!(summary.routing_entries.max, 0, "{summary}");
        }
    }
}

#[derive(Clone)]
struct SharedBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Threads step different nodes at once only where they cannot affect each other (see the
/// simulator's `window` module), so the run must not change with their number: here with
/// lost and doubled messages, expiry timers that fall inside the window that set them (3 ms
/// subscriptions, inside the 5 ms lookahead), gossip rounds shorter than the lookahead, one
/// latency for every message (ties everywhere), crashes and restarts, on strategies of every
/// family.
#[test]
fn a_run_is_the_same_on_any_number_of_threads() {
    let base = Scenario {
        nodes: 200,
        subs: 2_000,
        events: 200,
        settle_ms: 2_000,
        ..Scenario::default()
    };
    let crash_and_restart = vec![
        Fault {
            after_ms: 50.0,
            kind: FaultKind::Crash,
            fraction: Some(0.1),
            among: Default::default(),
        },
        Fault {
            after_ms: 120.0,
            kind: FaultKind::Restart,
            fraction: None,
            among: Default::default(),
        },
    ];
    let runs = [
        Scenario {
            strategy: StrategyKind::Flood,
            ttl_s: Some(0.003),
            loss: 0.05,
            duplicate: 0.05,
            ..base.clone()
        },
        Scenario {
            strategy: StrategyKind::Selective,
            ttl_s: Some(0.003),
            faults: crash_and_restart.clone(),
            ..base.clone()
        },
        Scenario {
            strategy: StrategyKind::Pbcast,
            faults: crash_and_restart,
            round_ms: 3.0,
            ..base.clone()
        },
        Scenario {
            strategy: StrategyKind::Plumtree,
            latency_ms: [5.0, 5.0],
            duplicate: 0.05,
            ..base.clone()
        },
        Scenario {
            strategy: StrategyKind::Hierarchical,
            loss: 0.02,
            ..base.clone()
        },
        Scenario {
            strategy: StrategyKind::Dht,
            ..base.clone()
        },
        Scenario {
            strategy: StrategyKind::Selective,
            latency_ms: [1.0, 2.0],
            ..base
        },
    ];
    for scenario in &runs {
        let (trace, summary) = played(scenario, 1);
        assert!(!trace.is_empty());
        for threads in [2, 3] {
            let (other_trace, other_summary) = played(scenario, threads);
            assert!(
                trace == other_trace && summary == other_summary,
                "{} on {threads} threads differs from one thread",
                scenario.strategy
            );
        }
    }
}

#[test]
fn the_overlay_stays_whole_when_control_messages_are_lost() {
    for seed in 1..=4 {
        let summary = play(&Scenario {
            nodes: 300,
            loss: 0.05,
            ..small(StrategyKind::Flood, seed)
        });
        assert_eq!(summary.overlay_components, 1, "seed {seed}: {summary}");
        assert!(summary.spread.coverage > 0.99, "seed {seed}: {summary}");
        assert!(summary.delivered_fraction > 0.95, "seed {seed}: {summary}");
        assert_eq!(summary.spurious + summary.duplicates, 0, "seed {seed}");
    }
}

#[test]
fn cancelled_and_expiring_subscriptions_and_duplicated_messages_keep_delivery_exact() {
    for strategy in StrategyKind::ALL {
        for seed in 1..=3 {
            let summary = play(&Scenario {
                unsubscribe: 0.3,
                ttl_s: Some(8.0),
                duplicate: 0.1,
                events: 400,
                publish_interval_ms: 10.0,
                ..small(strategy, seed)
            });
            assert!(summary.duplicated_messages > 0);
            assert_eq!(
                summary.spurious + summary.duplicates,
                0,
                "{strategy} seed {seed}: {summary}"
            );
            if strategy.promises_exact_delivery() {
                assert!(summary.is_exact(), "{strategy} seed {seed}: {summary}");
            }
            assert!(summary.owed_deliveries > 0, "{strategy} seed {seed}");
        }
    }
}

/// Scenarios drawn from the seed: sizes, degrees, latencies, churn. Every one must be exact.
#[test]
fn random_scenarios_are_exact() {
    use rand::{RngExt, SeedableRng};
    for seed in 1..=10u64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let low = rng.random_range(1.0..20.0);
        let base = Scenario {
            nodes: rng.random_range(10..80),
            subs: rng.random_range(50..400),
            events: rng.random_range(50..300),
            degree: rng.random_range(3..7),
            latency_ms: [low, low + rng.random_range(0.0..60.0)],
            unsubscribe: rng.random_range(0.0..0.4),
            seed,
            settle_ms: 4_000,
            ..Scenario::default()
        };
        for strategy in exact_strategies() {
            let scenario = Scenario {
                strategy,
                ..base.clone()
            };
            let summary = play(&scenario);
            assert!(summary.is_exact(), "{scenario:?}: {summary}");
        }
    }
}
