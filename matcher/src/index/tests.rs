//! Differential tests: the index against evaluating every filter, on generated workloads small
//! enough for clusters to scan and large enough to rebuild range partitions, purge removed
//! slots and reuse them.

use std::collections::BTreeSet;

use rand::{RngExt, SeedableRng};

use super::{MatchBuffers, SubscriptionIndex};
use crate::event::Event;
use crate::filter::Filter;
use crate::workload::{IntervalWorkload, MarketWorkload, WorkloadRng};

/// Keys whose filter matches, by brute force.
fn expected(live: &[(u32, Filter)], event: &Event) -> BTreeSet<u32> {
    live.iter()
        .filter(|(_, f)| f.matches(event))
        .map(|(k, _)| *k)
        .collect()
}

/// Keys the index returns, both with fresh buffers and with `buffers`, which the caller keeps
/// across events and changes to the index: what one event leaves in them must not leak into
/// the next.
fn actual(
    index: &SubscriptionIndex<u32>,
    event: &Event,
    buffers: &mut MatchBuffers,
) -> BTreeSet<u32> {
    let keys = index.matches(event);
    let set: BTreeSet<u32> = keys.iter().map(|k| **k).collect();
    assert_eq!(set.len(), keys.len(), "a key was returned twice");
    let reused: Vec<u32> = index.matches_with(event, buffers).copied().collect();
    assert_eq!(reused.len(), keys.len(), "reused buffers, another count");
    assert_eq!(reused.into_iter().collect::<BTreeSet<u32>>(), set);
    set
}

/// Inserts `subs` filters from `make`, removes a third of them, inserts more (reusing purged
/// slots), and compares against brute force after each phase.
fn check_workload(
    subs: usize,
    mut make_filter: impl FnMut(&mut WorkloadRng) -> String,
    mut make_event: impl FnMut(&mut WorkloadRng) -> Event,
) {
    let mut rng = WorkloadRng::seed_from_u64(42);
    let mut index = SubscriptionIndex::new();
    let mut live: Vec<(u32, Filter)> = Vec::new();
    let events: Vec<Event> = (0..60).map(|_| make_event(&mut rng)).collect();
    let mut next_key = 0u32;
    let mut total_matches = 0;
    let mut buffers = MatchBuffers::default();
    for phase in 0..3 {
        let inserts = if phase == 1 { subs / 3 } else { subs };
        for _ in 0..inserts {
            let filter = Filter::parse(&make_filter(&mut rng)).expect("generated filters parse");
            index.insert(next_key, &filter);
            live.push((next_key, filter));
            next_key += 1;
        }
        if phase == 1 {
            for _ in 0..subs / 2 {
                let victim = rng.random_range(0..live.len());
                let (key, _) = live.swap_remove(victim);
                assert!(index.remove(&key));
                assert!(!index.remove(&key));
            }
        }
        assert_eq!(index.len(), live.len());
        for event in &events {
            let want = expected(&live, event);
            total_matches += want.len();
            assert_eq!(
                actual(&index, event, &mut buffers),
                want,
                "phase {phase}, event {event}"
            );
        }
    }
    assert!(
        total_matches > 0,
        "the workload never matched: the test would prove nothing"
    );
}

#[test]
fn interval_workload_matches_brute_force() {
    let workload = IntervalWorkload {
        attrs: 8,
        constraints: 3,
        domain: 1000,
        width: 0.5,
    };
    // 30 subscriptions stay below the scanning limit throughout; 50 cross it while phase 1
    // inserts, after removals freed slots; 3000 rebuild range partitions.
    for subs in [30, 50, 3000] {
        check_workload(
            subs,
            |rng| workload.subscription(rng),
            |rng| workload.event(rng),
        );
    }
}

#[test]
fn market_workload_matches_brute_force() {
    let market = MarketWorkload {
        symbols: 50,
        zipf: 1.0,
    }
    .build();
    let events = market.clone();
    check_workload(
        3000,
        move |rng| market.subscription(rng),
        move |rng| events.event(rng),
    );
}

#[test]
fn replacing_a_key_replaces_its_filter() {
    let mut index = SubscriptionIndex::new();
    index.insert("k", &Filter::parse("x > 5").unwrap());
    index.insert("k", &Filter::parse("x < 5").unwrap());
    let event = Event::from_json(r#"{"x": 3}"#, &Default::default()).unwrap();
    assert_eq!(index.matches(&event), vec![&"k"]);
    assert_eq!(index.len(), 1);
}

#[test]
fn edge_values_for_thresholds() {
    // Thresholds at float and integer edges, multi-valued and non-numeric attributes.
    let filters = [
        "x > 5",
        "x >= 5",
        "x < 5",
        "x <= 5",
        "x > 5.5",
        "x < -0.0",
        "x >= 9007199254740993",
        "x > 4503599627370495",
        "x < 1.0e300",
        "x > 1 && x < 2",
        "!(x > 5)",
        "x > 5 || y < 1",
        "true",
        "false",
        "x == 5",
        "x != 5",
    ];
    let mut index = SubscriptionIndex::new();
    let mut live = Vec::new();
    // Enough copies to build a partition with several groups.
    for copy in 0..200u32 {
        for (i, text) in filters.iter().enumerate() {
            let key = copy * 100 + i as u32;
            let filter = Filter::parse(text).unwrap();
            index.insert(key, &filter);
            live.push((key, filter));
        }
    }
    let events = [
        r#"{"x": 5}"#,
        r#"{"x": 5.0}"#,
        r#"{"x": 5.5}"#,
        r#"{"x": 4.999999999999999}"#,
        r#"{"x": -0.0}"#,
        r#"{"x": 0}"#,
        r#"{"x": 9007199254740993}"#,
        r#"{"x": 9007199254740992}"#,
        r#"{"x": 4503599627370496}"#,
        r#"{"x": 9223372036854775807}"#,
        r#"{"x": -9223372036854775808}"#,
        r#"{"x": [1.5, 7]}"#,
        r#"{"x": [5, 5.0]}"#,
        r#"{"x": "7"}"#,
        r#"{"x": true}"#,
        r#"{}"#,
        r#"{"y": 0}"#,
        r#"{"x": 1e300}"#,
        r#"{"x": [null, 6]}"#,
    ];
    let mut buffers = MatchBuffers::default();
    for text in events {
        let event = Event::from_json(text, &Default::default()).unwrap();
        assert_eq!(
            actual(&index, &event, &mut buffers),
            expected(&live, &event),
            "event {text}"
        );
    }
}

#[test]
fn patterns_of_removed_subscriptions_are_forgotten() {
    let mut index = SubscriptionIndex::new();
    let event = Event::from_json(r#"{"s": "p7x"}"#, &Default::default()).unwrap();
    for round in 0..5u32 {
        for i in 0..1000u32 {
            let filter = Filter::parse(&format!(r#"s =~ "^p{i}x{round}?$""#)).unwrap();
            index.insert(i, &filter);
        }
        assert_eq!(index.matches(&event).len(), 1, "round {round}");
        for i in 0..1000u32 {
            assert!(index.remove(&i));
        }
    }
    index.insert(0, &Filter::parse(r#"s =~ "^p7x$""#).unwrap());
    assert_eq!(index.matches(&event), vec![&0]);
    // One round's patterns in use at most, twice over, plus the new one.
    assert!(
        index.patterns.len() <= 2001,
        "{} patterns kept",
        index.patterns.len()
    );
}

/// A purge clears removed slots on every attribute of the cluster, including one whose
/// bitsets were last grown long before those slots existed.
#[test]
fn purge_reaches_slots_beyond_a_short_attribute() {
    let mut index = SubscriptionIndex::new();
    index.insert(0u32, &Filter::parse("k == 1 && b > 1").unwrap());
    for key in 1..=300u32 {
        index.insert(
            key,
            &Filter::parse(&format!("k == 1 && a > {key}")).unwrap(),
        );
    }
    for key in 150..=300u32 {
        assert!(index.remove(&key));
    }
    let event = Event::from_json(r#"{"k": 1, "a": 1000, "b": 5}"#, &Default::default()).unwrap();
    let mut matched: Vec<u32> = index.matches(&event).into_iter().copied().collect();
    matched.sort_unstable();
    assert_eq!(matched, (0..150).collect::<Vec<u32>>());
}

/// Thresholds set no presence bits in their cluster: the range filter alone must rule out a
/// slot whose attribute is absent or carries no number, in the unanchored cluster and in an
/// anchored one, once both are large enough to filter rather than scan.
#[test]
fn thresholds_fail_without_a_number_in_filtering_clusters() {
    let mut index = SubscriptionIndex::new();
    let mut live = Vec::new();
    for key in 0..1200u32 {
        let text = match key % 3 {
            0 => format!("y > {} && y <= {}", key % 50, 60 + key % 40),
            1 => format!("kind == \"a\" && y >= {}", key % 70),
            _ => format!("kind == \"a\" && y < {} && exists(z)", 10 + key % 80),
        };
        let filter = Filter::parse(&text).expect("test filters parse");
        index.insert(key, &filter);
        live.push((key, filter));
    }
    let events = [
        r#"{"kind": "a"}"#,
        r#"{"kind": "a", "y": "55", "z": 1}"#,
        r#"{"kind": "a", "y": [true, "x"], "z": 1}"#,
        r#"{"kind": "a", "y": 55, "z": 1}"#,
        r#"{"kind": "b", "y": 55}"#,
        r#"{"y": null, "z": 1}"#,
    ];
    let mut buffers = MatchBuffers::default();
    let mut matched = 0;
    for json in events {
        let event = Event::from_json(json, &Default::default()).expect("test events parse");
        let want = expected(&live, &event);
        matched += want.len();
        assert_eq!(actual(&index, &event, &mut buffers), want, "{json}");
    }
    assert!(
        matched > 0,
        "some event matches, so the comparison is not vacuous"
    );
}
