//! Every gossip protocol keeps its per-event state within its bounds, whatever a flood of
//! publications and peers' messages asks of it, and collects it once it has aged out.

use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sift_core::strategy::build;
use sift_core::{
    EventId, Input, Message, NodeId, Outputs, Publication, StrategyConfig, StrategyKind, Timer,
};
use sift_matcher::{Event, EventLimits};

const BOUND: usize = 8;

fn publication(origin: NodeId, seq: u64, at: u64) -> Arc<Publication> {
    Arc::new(Publication {
        id: EventId { origin, seq },
        published_at: at,
        event: Event::from_json(r#"{"x": 1}"#, &EventLimits::default()).unwrap(),
    })
}

#[test]
fn per_event_state_stays_bounded_and_ages_out() {
    let mut config = StrategyConfig::default();
    let gossip = &mut config.gossip;
    gossip.store_capacity = BOUND;
    gossip.rumor.max_hot = BOUND;
    gossip.blind_counter.max_tracked = BOUND;
    gossip.plumtree.max_missing = BOUND;
    gossip.rumor.anti_entropy = Some(sift_core::gossip::Exchange::PushPull);
    let retention = gossip.retention;
    let me = NodeId::from_bytes([1; 32]);
    let peer = NodeId::from_bytes([2; 32]);
    for kind in [
        StrategyKind::Rumor,
        StrategyKind::BlindCounter,
        StrategyKind::AntiEntropy,
        StrategyKind::Pbcast,
        StrategyKind::Plumtree,
    ] {
        // Each protocol's tables: the events it keeps (twice for rumor backed by
        // anti-entropy), plus Plumtree's announced events and its two peer sets.
        let bound = match kind {
            StrategyKind::Rumor => 2 * BOUND,
            StrategyKind::Plumtree => 2 * BOUND + 2,
            _ => BOUND,
        };
        let mut node = build(kind, me, vec![peer], ChaCha8Rng::seed_from_u64(3), &config)
            .expect("a core strategy");
        let mut out = Outputs::default();
        node.handle(0, Input::Start, &mut out);
        let mut now = 1_000;
        for seq in 0..200 {
            now += 1_000;
            node.handle(now, Input::Publish(publication(me, seq, now)), &mut out);
            let theirs = publication(peer, seq, now);
            for msg in [
                Message::Gossip {
                    publication: Arc::clone(&theirs),
                    hops: 1,
                },
                Message::IHave {
                    events: vec![(
                        EventId {
                            origin: peer,
                            seq: 1_000 + seq,
                        },
                        2,
                    )],
                },
                Message::Repair {
                    publication: publication(peer, 5_000 + seq, now),
                    hops: 3,
                },
            ] {
                node.handle(now, Input::Message { from: peer, msg }, &mut out);
            }
            node.handle(now, Input::Timer(Timer::Gossip), &mut out);
            assert!(
                node.routing_entries() <= bound,
                "{kind}: {} entries after {seq} events",
                node.routing_entries()
            );
            out.clear();
        }
        // Long after the retention, with the rounds that collect it, nothing is left but
        // Plumtree's peer sets.
        for tick in 1..=200 {
            let later = now + retention + tick * 200_000;
            node.handle(later, Input::Timer(Timer::Gossip), &mut out);
            node.handle(later, Input::Timer(Timer::Membership), &mut out);
            out.clear();
        }
        let left = if kind == StrategyKind::Plumtree { 2 } else { 0 };
        assert!(
            node.routing_entries() <= left,
            "{kind}: {} entries left",
            node.routing_entries()
        );
    }
}

#[test]
fn events_past_their_retention_or_dated_ahead_are_refused() {
    let config = StrategyConfig::default();
    let retention = config.gossip.retention;
    let me = NodeId::from_bytes([1; 32]);
    let peer = NodeId::from_bytes([2; 32]);
    for kind in [
        StrategyKind::Flood,
        StrategyKind::Rumor,
        StrategyKind::BlindCounter,
        StrategyKind::Pbcast,
        StrategyKind::Plumtree,
    ] {
        let mut node = build(kind, me, vec![peer], ChaCha8Rng::seed_from_u64(5), &config)
            .expect("a core strategy");
        let mut out = Outputs::default();
        let now = 10 * retention;
        node.handle(now, Input::Start, &mut out);
        for (seq, published_at) in [(1, now - retention), (2, now + 60_000_000), (3, now - 5)] {
            let msg = match kind {
                StrategyKind::Flood => Message::Flood {
                    publication: publication(peer, seq, published_at),
                    hops: 1,
                },
                _ => Message::Gossip {
                    publication: publication(peer, seq, published_at),
                    hops: 1,
                },
            };
            node.handle(now, Input::Message { from: peer, msg }, &mut out);
        }
        let reached: Vec<u64> = out.reached.iter().map(|r| r.event.seq).collect();
        assert_eq!(reached, vec![3], "{kind}");
    }
}
