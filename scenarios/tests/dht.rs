//! The `dht` strategy in the simulator: exact at 2,000 nodes, routes of about log N hops, the
//! hot spot a popular key makes and how replicas spread it, and recovery from a crash of a
//! tenth of the nodes within one renewal period (and the time to notice and re-join).

use sift_core::StrategyKind;
use sift_scenarios::{Fault, FaultKind, Scenario, Summary, WorkloadKind, run};

fn play(scenario: &Scenario) -> Summary {
    run(scenario, 2, None, &mut |_, _| {}).expect("the scenario runs")
}

fn dht(nodes: usize, seed: u64) -> Scenario {
    Scenario {
        strategy: StrategyKind::Dht,
        nodes,
        subs: 2_000,
        events: 300,
        seed,
        workload: WorkloadKind::Market,
        join_interval_ms: 1.0,
        settle_ms: 3_000,
        ..Scenario::default()
    }
}

#[test]
fn exact_at_two_thousand_nodes_on_many_seeds() {
    for seed in 1..=3 {
        let summary = play(&dht(2_000, seed));
        assert!(summary.is_exact(), "seed {seed}: {summary}");
        assert!(summary.owed_deliveries > 100, "{summary}");
        let hops = summary.hops.expect("dht reports its hops");
        assert!(
            hops.mean <= (2_000f64).log2() + 2.0,
            "seed {seed}: {hops:?}"
        );
    }
}

#[test]
fn replicas_spread_a_popular_keys_events() {
    let single = play(&Scenario {
        events: 1_000,
        publish_interval_ms: 2.0,
        ..dht(300, 5)
    });
    let spread = play(&Scenario {
        events: 1_000,
        publish_interval_ms: 2.0,
        replicas: 4,
        ..dht(300, 5)
    });
    assert!(single.is_exact() && spread.is_exact(), "{single}\n{spread}");
    let (one, four) = (
        single.rendezvous_load.expect("rendezvous load").max,
        spread.rendezvous_load.expect("rendezvous load").max,
    );
    // Every event visits the wildcard key and its attributes' names: with one replica their
    // rendezvous nodes take every event. With four, a node is the rendezvous of a quarter of
    // them, or of two such keys' quarters when it is closest to both (among 300 nodes, some
    // are).
    assert!(one >= 1_000, "{single}");
    assert!(four * 2 <= one, "one replica {one}, four {four}");
    // The price: subscriptions join four trees.
    assert!(spread.routing_entries.mean > 2.0 * single.routing_entries.mean);
}

#[test]
fn a_crash_of_a_tenth_of_the_nodes_heals_within_a_renewal_period() {
    for seed in 1..=2 {
        let summary = play(&Scenario {
            events: 1_500,
            publish_interval_ms: 10.0,
            lease_s: 9.0,
            // Exact delivery is owed from one renewal period (a third of the lease) after the
            // crash, and a second to notice the dead and to re-join: a child learns that its
            // parent died when it renews.
            recovery_ms: 4_000,
            faults: vec![Fault {
                after_ms: 2_000.0,
                kind: FaultKind::Crash,
                fraction: Some(0.1),
                among: Default::default(),
            }],
            ..dht(1_000, seed)
        });
        assert!(summary.owed_after_faults > 300, "{summary}");
        assert_eq!(summary.missing_after_faults, 0, "seed {seed}: {summary}");
        assert_eq!(summary.spurious + summary.duplicates, 0, "{summary}");
    }
}
