//! The dissemination protocols in the simulator: how far events spread, what it costs, and
//! that each protocol's state stays bounded and goes quiet.

use sift_core::StrategyKind;
use sift_core::gossip::{Exchange, LossOfInterest};
use sift_scenarios::{Scenario, Summary, run};

fn play(scenario: &Scenario) -> Summary {
    run(scenario, 2, None, &mut |_, _| {}).expect("the scenario runs")
}

fn spreading(strategy: StrategyKind, nodes: usize, events: usize, seed: u64) -> Scenario {
    Scenario {
        strategy,
        nodes,
        subs: nodes,
        events,
        publish_interval_ms: 20.0,
        seed,
        ..Scenario::default()
    }
}

#[test]
fn plumtree_and_pbcast_reach_every_node_on_many_seeds() {
    for strategy in [StrategyKind::Plumtree, StrategyKind::Pbcast] {
        for seed in 1..=6 {
            let summary = play(&spreading(strategy, 200, 60, seed));
            assert_eq!(
                summary.spread.coverage, 1.0,
                "{strategy} seed {seed}: {summary}"
            );
            assert!(summary.is_exact(), "{strategy} seed {seed}: {summary}");
        }
    }
}

#[test]
fn plumtree_prunes_its_eager_links_to_a_tree() {
    // One event at a time: after the first has flooded and pruned, the eager links form a
    // tree, and every later event crosses each of its links once.
    let summary = play(&Scenario {
        publish_interval_ms: 1_500.0,
        ..spreading(StrategyKind::Plumtree, 300, 30, 3)
    });
    let flood = play(&Scenario {
        publish_interval_ms: 1_500.0,
        ..spreading(StrategyKind::Flood, 300, 30, 3)
    });
    assert_eq!(summary.spread.coverage, 1.0, "{summary}");
    assert!(flood.spread.rmr > 2.0, "{flood}");
    // The first event floods (RMR about that of flooding); the other 29 add almost nothing.
    assert!(
        summary.spread.rmr < flood.spread.rmr / 10.0,
        "plumtree {} vs flood {}",
        summary.spread.rmr,
        flood.spread.rmr
    );
}

#[test]
fn rumor_mongering_leaves_a_residue_that_shrinks_as_k_grows() {
    let residue = |k| {
        let summaries: Vec<Summary> = (1..=3)
            .map(|seed| {
                play(&Scenario {
                    k,
                    subs: 0,
                    ..spreading(StrategyKind::Rumor, 500, 20, seed)
                })
            })
            .collect();
        for summary in &summaries {
            assert_eq!(summary.spurious + summary.duplicates, 0, "{summary}");
            assert!(summary.spread.rounds.is_some_and(|r| r > 1.0), "{summary}");
        }
        summaries.iter().map(|s| s.spread.residue).sum::<f64>() / 3.0
    };
    let (k1, k4) = (residue(1), residue(4));
    assert!(k1 > 0.05, "k = 1 leaves {k1}");
    assert!(k4 < k1 / 4.0, "k = 1 leaves {k1}, k = 4 leaves {k4}");
}

#[test]
fn every_rumor_variant_goes_quiet_and_forgets_its_rumors() {
    for variant in [
        LossOfInterest::FeedbackCoin,
        LossOfInterest::FeedbackCounter,
        LossOfInterest::BlindCoin,
        LossOfInterest::BlindCounter,
    ] {
        let summary = play(&Scenario {
            rumor: variant,
            k: 3,
            settle_ms: 20_000,
            ..spreading(StrategyKind::Rumor, 300, 30, 2)
        });
        // Quiet well before the run ends (the last event is followed by 100 rounds): the
        // last node to lose interest does so some rounds after everyone heard the rumor.
        let rounds = summary.spread.rounds.expect("rumor works in rounds");
        assert!(rounds < 60.0, "{variant}: {summary}");
        // No hot rumor is left anywhere.
        assert_eq!(summary.routing_entries.max, 0, "{variant}: {summary}");
        assert!(summary.spread.coverage > 0.5, "{variant}: {summary}");
        assert_eq!(summary.spurious + summary.duplicates, 0, "{variant}");
    }
}

#[test]
fn anti_entropy_behind_rumors_reaches_everyone() {
    for seed in 1..=3 {
        let summary = play(&Scenario {
            k: 1,
            anti_entropy: Some(Exchange::PushPull),
            ..spreading(StrategyKind::Rumor, 300, 30, seed)
        });
        assert_eq!(summary.spread.coverage, 1.0, "seed {seed}: {summary}");
        assert!(summary.is_exact(), "seed {seed}: {summary}");
    }
}

#[test]
fn anti_entropy_spreads_in_logarithmic_rounds_every_way() {
    for mode in [Exchange::Push, Exchange::Pull, Exchange::PushPull] {
        let rounds = |nodes| {
            // Pushing reaches the last nodes slowly (a node learns only when a holder picks
            // it): the run goes on long enough for that.
            let summary = play(&Scenario {
                mode,
                subs: 0,
                settle_ms: 20_000,
                ..spreading(StrategyKind::AntiEntropy, nodes, 10, 4)
            });
            assert_eq!(summary.spread.coverage, 1.0, "{mode}: {summary}");
            summary.spread.rounds.expect("anti-entropy works in rounds")
        };
        let (small, large) = (rounds(64), rounds(512));
        // Eight times the nodes: three more doublings, not eight times the rounds.
        assert!(large > small, "{mode}: {small} then {large} rounds");
        assert!(large < small * 2.5, "{mode}: {small} then {large} rounds");
    }
}

#[test]
fn the_blind_counter_forwards_at_most_b_times_f_per_node() {
    let (b, f) = (2, 2);
    let summary = play(&Scenario {
        b,
        f,
        degree: 8,
        ..spreading(StrategyKind::BlindCounter, 400, 40, 5)
    });
    let flood = play(&Scenario {
        degree: 8,
        ..spreading(StrategyKind::Flood, 400, 40, 5)
    });
    // Each node forwards at most F times to B neighbours; the publisher B times more.
    let bound = (b * f as usize) as f64 + b as f64 / 400.0;
    assert!(summary.spread.messages_per_node <= bound, "{summary}");
    assert!(
        summary.spread.messages_per_node < flood.spread.messages_per_node * 0.7,
        "blind counter {} vs flood {}",
        summary.spread.messages_per_node,
        flood.spread.messages_per_node
    );
    assert!(summary.spread.coverage > 0.8, "{summary}");
    assert_eq!(summary.spurious + summary.duplicates, 0);
}

#[test]
fn pbcast_collects_its_buffers_by_age() {
    // A node gossips about an event for 20 rounds of 200 ms after taking it in, the last
    // node within about 1.5 s of the publication; the run goes on 8 s after the last.
    let summary = play(&Scenario {
        settle_ms: 8_000,
        ..spreading(StrategyKind::Pbcast, 200, 40, 7)
    });
    assert_eq!(summary.routing_entries.max, 0, "{summary}");
    assert!(
        summary.spread.rounds.is_some_and(|r| r <= 21.0),
        "{summary}"
    );
}

#[test]
fn pbcast_under_loss_and_crashes_stays_correct() {
    use sift_scenarios::{Fault, FaultKind};
    let summary = play(&Scenario {
        loss: 0.1,
        faults: vec![Fault {
            after_ms: 0.0,
            kind: FaultKind::Crash,
            fraction: Some(0.1),
            among: Default::default(),
        }],
        ..spreading(StrategyKind::Pbcast, 300, 60, 8)
    });
    assert_eq!(summary.spurious + summary.duplicates, 0, "{summary}");
    assert!(summary.spread.coverage > 0.8, "{summary}");
    // Events whose publisher had crashed were never published.
    let published = summary.spread.coverage_histogram.iter().sum::<u64>();
    assert!((50..=60).contains(&published), "{published} events");
}

#[test]
fn a_single_event_without_subscriptions_is_a_valid_run() {
    for strategy in StrategyKind::ALL {
        let summary = play(&Scenario {
            subs: 0,
            events: 1,
            ..spreading(strategy, 50, 1, 1)
        });
        assert_eq!(summary.expected_deliveries, 0);
        assert!(summary.spread.coverage > 0.0, "{strategy}: {summary}");
    }
}
