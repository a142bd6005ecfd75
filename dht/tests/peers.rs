//! The `dht` state machine against what peers can send it: forged joins that would take over
//! another node's route or name this node's own subscriptions, a replaced filter whose
//! messages arrive out of order, and arbitrary message sequences, which must leave its tables
//! within their bounds and never panic.

use std::sync::Arc;

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sift_core::Strategy as _;
use sift_core::dht::Discovery;
use sift_core::keyspace::Key;
use sift_core::routes::{RouteAnnouncement, RouteId};
use sift_core::selective::Announcement;
use sift_core::{
    EventId, Input, Message, NodeId, Outputs, Publication, StrategyConfig, SubId, Subscription,
};
use sift_dht::Dht;
use sift_dht::content::filter_keys;
use sift_matcher::{Event, Filter};

fn config() -> StrategyConfig {
    let mut config = StrategyConfig::default();
    config.dht.discovery = Discovery::Driver;
    config
}

fn key_of(filter: &str) -> Key {
    filter_keys(&Filter::parse(filter).unwrap(), 1)[0]
}

/// A child `x` and its parent `p` toward `key`: `p` is the closer to it.
fn child_and_parent(key: &Key, rng: &mut ChaCha8Rng) -> (NodeId, NodeId) {
    loop {
        let (a, b) = (NodeId::random(rng), NodeId::random(rng));
        if Key::of_node(&b).distance(key) < Key::of_node(&a).distance(key) {
            return (a, b);
        }
    }
}

fn started(me: NodeId, peers: &[NodeId]) -> Dht {
    let mut node = Dht::new(me, peers.to_vec(), ChaCha8Rng::seed_from_u64(1), &config());
    node.handle(0, Input::Start, &mut Outputs::default());
    node
}

fn sends(node: &mut Dht, now: u64, input: Input) -> Vec<(NodeId, Message)> {
    let mut out = Outputs::default();
    node.handle(now, input, &mut out);
    out.sends.into_iter().map(|s| (s.to, s.msg)).collect()
}

fn subscription(origin: NodeId, seq: u64, filter: &str) -> Subscription {
    Subscription {
        id: SubId { origin, seq },
        filter: Filter::parse(filter).unwrap(),
        expires: None,
    }
}

fn join(key: Key, origin: NodeId, seq: u64, filter: &str) -> Message {
    Message::Join {
        routes: vec![RouteAnnouncement {
            key,
            sub: Announcement {
                id: SubId { origin, seq },
                filter: filter.into(),
                expires_in: None,
                tag: None,
            },
        }],
    }
}

fn publication(origin: NodeId, json: &str) -> Arc<Publication> {
    Arc::new(Publication {
        id: EventId { origin, seq: 1 },
        published_at: 0,
        event: Event::from_json(json, &Default::default()).unwrap(),
    })
}

fn routed_to(sends: &[(NodeId, Message)], to: NodeId) -> bool {
    sends
        .iter()
        .any(|(t, m)| *t == to && matches!(m, Message::Routed { .. }))
}

/// `x` subscribes and its joins reach `p`.
fn subscribed(x: &mut Dht, p: &mut Dht, xid: NodeId, pid: NodeId, filter: &str) {
    for (to, msg) in sends(x, 10, Input::Subscribe(subscription(xid, 1, filter))) {
        if to == pid {
            sends(p, 20, Input::Message { from: xid, msg });
        }
    }
}

#[test]
fn another_peer_cannot_take_over_a_route() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let key = key_of(r#"symbol == "A""#);
    let (x, p) = child_and_parent(&key, &mut rng);
    let z = NodeId::random(&mut rng);
    let (mut xn, mut pn) = (started(x, &[p]), started(p, &[x]));
    subscribed(&mut xn, &mut pn, x, p, r#"symbol == "A""#);
    assert_eq!(pn.routing_entries(), 1);
    sends(
        &mut pn,
        30,
        Input::Message {
            from: z,
            msg: join(key, x, 1, "nothing == 1"),
        },
    );
    let out = sends(
        &mut pn,
        50,
        Input::Publish(publication(p, r#"{"symbol": "A"}"#)),
    );
    assert!(routed_to(&out, x), "the route still leads to its holder");
}

#[test]
fn joins_naming_this_nodes_subscriptions_are_refused() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let key = key_of(r#"symbol == "A""#);
    let (x, p) = child_and_parent(&key, &mut rng);
    let z = NodeId::random(&mut rng);
    let mut xn = started(x, &[p]);
    // A subscription x has not made yet: nothing is held or passed on.
    let out = sends(
        &mut xn,
        5,
        Input::Message {
            from: z,
            msg: join(key, x, 7, "nothing == 1"),
        },
    );
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(xn.routing_entries(), 0);
    // When x makes it, its own filter is joined.
    let out = sends(
        &mut xn,
        10,
        Input::Subscribe(subscription(x, 7, r#"symbol == "A""#)),
    );
    assert!(
        out.iter().any(|(to, m)| *to == p
            && matches!(m, Message::Join { routes } if &**routes[0].sub.filter.text() == r#"symbol == "A""#)),
        "{out:?}"
    );
}

#[test]
fn a_replaced_filter_is_joined_without_a_leave_that_could_overtake_it() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let key = key_of(r#"symbol == "A""#);
    let (x, p) = child_and_parent(&key, &mut rng);
    let (mut xn, mut pn) = (started(x, &[p]), started(p, &[x]));
    subscribed(&mut xn, &mut pn, x, p, r#"symbol == "A""#);
    let replaced = sends(
        &mut xn,
        30,
        Input::Subscribe(subscription(x, 1, r#"symbol == "A" && price > 1"#)),
    );
    assert!(
        !replaced
            .iter()
            .any(|(_, m)| matches!(m, Message::Leave { .. })),
        "{replaced:?}"
    );
    for (to, msg) in replaced {
        if to == p {
            sends(&mut pn, 40, Input::Message { from: x, msg });
        }
    }
    assert_eq!(pn.routing_entries(), 1);
    let out = sends(
        &mut pn,
        50,
        Input::Publish(publication(p, r#"{"symbol": "A", "price": 5}"#)),
    );
    assert!(routed_to(&out, x));
    let out = sends(
        &mut pn,
        60,
        Input::Publish(Arc::new(Publication {
            id: EventId { origin: p, seq: 2 },
            published_at: 0,
            event: Event::from_json(r#"{"symbol": "A", "price": 0}"#, &Default::default()).unwrap(),
        })),
    );
    assert!(!routed_to(&out, x), "the old filter is gone");
}

fn peer_message(peers: Vec<NodeId>) -> impl Strategy<Value = (usize, Message)> {
    let n = peers.len();
    let key = any::<[u8; 32]>().prop_map(Key);
    let route = (0..n, any::<u64>(), key.clone()).prop_map(move |(o, seq, key)| RouteId {
        sub: SubId {
            origin: peers[o],
            seq: seq % 4,
        },
        key,
    });
    let filter = prop::sample::select(vec![
        "price > 1",
        r#"symbol == "A""#,
        "!(price > 3)",
        "((",
        "x in [1, 2]",
    ]);
    let message = prop_oneof![
        (prop::collection::vec((route.clone(), filter, any::<Option<u64>>()), 0..4)).prop_map(
            |routes| Message::Join {
                routes: routes
                    .into_iter()
                    .map(|(r, f, expires_in)| RouteAnnouncement {
                        key: r.key,
                        sub: Announcement {
                            id: r.sub,
                            filter: f.into(),
                            expires_in,
                            tag: None,
                        },
                    })
                    .collect(),
            }
        ),
        prop::collection::vec(route.clone(), 0..4).prop_map(|routes| Message::Leave { routes }),
        prop::collection::vec(route.clone(), 0..4).prop_map(|routes| Message::Renew { routes }),
        prop::collection::vec(route, 0..4).prop_map(|routes| Message::Unrenewed { routes }),
        (any::<u64>(), key.clone()).prop_map(|(query, target)| Message::FindNode { query, target }),
        (any::<u64>(), 0..3u64).prop_map(|(query, seq)| Message::Nodes {
            query: query % 4,
            closest: vec![NodeId::from_bytes([seq as u8; 32])],
        }),
        (key, any::<u16>(), 0..3u64).prop_map(|(key, hops, seq)| Message::Toward {
            key,
            hops,
            publication: Arc::new(Publication {
                id: EventId {
                    origin: NodeId::from_bytes([9; 32]),
                    seq,
                },
                published_at: 0,
                event: Event::from_json(r#"{"price": 2, "symbol": "A"}"#, &Default::default())
                    .unwrap(),
            }),
        }),
    ];
    (0..n, message)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever peers send, in whatever order and at whatever time, the node stays within
    /// its bounds and keeps answering.
    #[test]
    fn arbitrary_peer_messages_leave_the_tables_bounded(
        messages in prop::collection::vec(
            peer_message((0..4u8).map(|n| NodeId::from_bytes([n + 1; 32])).collect()),
            1..60,
        ),
    ) {
        let peers: Vec<NodeId> = (0..4u8).map(|n| NodeId::from_bytes([n + 1; 32])).collect();
        let me = NodeId::from_bytes([0; 32]);
        let mut config = config();
        config.dht.max_entries = 5;
        let mut node = Dht::new(me, peers.clone(), ChaCha8Rng::seed_from_u64(2), &config);
        let mut now = 0;
        node.handle(now, Input::Start, &mut Outputs::default());
        for (from, msg) in messages {
            now += 700_000;
            let mut out = Outputs::default();
            node.handle(now, Input::Message { from: peers[from], msg }, &mut out);
            node.handle(now, Input::Timer(sift_core::Timer::Membership), &mut out);
            prop_assert!(node.routing_entries() <= 5);
            prop_assert!(out.sends.len() < 100);
            prop_assert!(node.neighbours().len() <= peers.len());
        }
    }
}
