//! The broker architectures deliver what every filter the language allows matches, including
//! filters with no positive anchor, and refuse to let a node speak for another's
//! subscriptions. Driven by a small lossless network in lockstep; the simulator's suites cover
//! scale, latency and faults.

use std::collections::VecDeque;
use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sift_core::brokers::BrokerRole;
use sift_core::strategy::build;
use sift_core::{
    EventId, Input, Message, Micros, NodeId, Outputs, Publication, Strategy, StrategyConfig,
    StrategyKind, SubId, Subscription, Timer,
};
use sift_matcher::{Event, EventLimits, Filter};

/// Nodes 0..3 are brokers (0 the master under `hierarchical`), the rest clients.
const NODES: usize = 8;

struct Net {
    ids: Vec<NodeId>,
    nodes: Vec<Box<dyn Strategy>>,
    queue: VecDeque<(usize, NodeId, Message)>,
    now: Micros,
    delivered: Vec<(usize, SubId, EventId)>,
}

impl Net {
    fn new(kind: StrategyKind) -> Net {
        let ids: Vec<NodeId> = (0..NODES as u8)
            .map(|n| NodeId::from_bytes([n + 1; 32]))
            .collect();
        let nodes = (0..NODES)
            .map(|n| {
                let mut config = StrategyConfig::default();
                config.brokers.role = match (kind, n) {
                    (StrategyKind::Hierarchical, 0) => Some(BrokerRole::Master),
                    (StrategyKind::Centralized, 0) => Some(BrokerRole::Broker),
                    (StrategyKind::Centralized, _) => None,
                    (_, 0..=3) => Some(BrokerRole::Broker),
                    _ => None,
                };
                let bootstrap = if n == 0 { vec![] } else { vec![ids[0]] };
                build(
                    kind,
                    ids[n],
                    bootstrap,
                    ChaCha8Rng::seed_from_u64(n as u64),
                    &config,
                )
                .expect("a core strategy")
            })
            .collect();
        let mut net = Net {
            ids,
            nodes,
            queue: VecDeque::new(),
            now: 0,
            delivered: Vec::new(),
        };
        for n in 0..NODES {
            net.input(n, Input::Start);
        }
        // Membership ticks until the overlay has formed and every beacon went round.
        for _ in 0..12 {
            net.now += 1_000_000;
            for n in 0..NODES {
                net.input(n, Input::Timer(Timer::Membership));
            }
        }
        net
    }

    fn input(&mut self, node: usize, input: Input) {
        let mut out = Outputs::default();
        self.nodes[node].handle(self.now, input, &mut out);
        let from = self.ids[node];
        for send in out.sends {
            assert_ne!(send.to, from, "a node sent itself {:?}", send.msg);
            let to = self.ids.iter().position(|id| *id == send.to).unwrap();
            self.queue.push_back((to, from, send.msg));
        }
        for delivery in out.deliveries {
            self.delivered
                .push((node, delivery.sub, delivery.publication.id));
        }
        while let Some((to, from, msg)) = self.queue.pop_front() {
            let mut out = Outputs::default();
            self.nodes[to].handle(self.now, Input::Message { from, msg }, &mut out);
            for send in out.sends {
                assert_ne!(send.to, self.ids[to], "a node sent itself {:?}", send.msg);
                let next = self.ids.iter().position(|id| *id == send.to).unwrap();
                self.queue.push_back((next, self.ids[to], send.msg));
            }
            for delivery in out.deliveries {
                self.delivered
                    .push((to, delivery.sub, delivery.publication.id));
            }
        }
    }

    fn subscribe(&mut self, node: usize, seq: u64, filter: &str) -> SubId {
        let id = SubId {
            origin: self.ids[node],
            seq,
        };
        let sub = Subscription {
            id,
            filter: Filter::parse(filter).unwrap(),
            expires: None,
        };
        self.input(node, Input::Subscribe(sub));
        id
    }

    fn publish(&mut self, node: usize, seq: u64, json: &str) -> EventId {
        let id = EventId {
            origin: self.ids[node],
            seq,
        };
        let publication = Arc::new(Publication {
            id,
            published_at: self.now,
            event: Event::from_json(json, &EventLimits::default()).unwrap(),
        });
        self.input(node, Input::Publish(publication));
        id
    }
}

#[test]
fn every_kind_of_filter_is_delivered_exactly() {
    let filters = [
        r#"symbol == "ACME" && price > 100"#,
        r#"symbol in ["ACME", "INIT"]"#,
        "price > 100",
        "!(price > 100)",
        "!exists(symbol)",
        r#"volume > 5 || symbol == "ZZZ""#,
        "true",
        r#"name =~ "^a.*z$""#,
    ];
    let events = [
        r#"{"symbol": "ACME", "price": 150, "volume": 1}"#,
        r#"{"symbol": "INIT", "price": 50}"#,
        r#"{"price": 101, "name": "abcz"}"#,
        r#"{"volume": 9}"#,
        r#"{"other": true}"#,
    ];
    for kind in [
        StrategyKind::Centralized,
        StrategyKind::Hierarchical,
        StrategyKind::Flat,
    ] {
        let mut net = Net::new(kind);
        let mut subs = Vec::new();
        for (i, text) in filters.iter().enumerate() {
            // Spread over clients and brokers alike.
            let node = (i * 3) % NODES;
            subs.push((
                net.subscribe(node, i as u64, text),
                Filter::parse(text).unwrap(),
            ));
        }
        net.now += 1_000;
        net.input(0, Input::Timer(Timer::Membership));
        for (i, json) in events.iter().enumerate() {
            let event = Event::from_json(json, &EventLimits::default()).unwrap();
            let id = net.publish((i * 5 + 1) % NODES, i as u64, json);
            let mut expected: Vec<SubId> = subs
                .iter()
                .filter(|(_, f)| f.matches(&event))
                .map(|(s, _)| *s)
                .collect();
            let mut got: Vec<SubId> = net
                .delivered
                .iter()
                .filter(|(_, _, e)| *e == id)
                .map(|(_, s, _)| *s)
                .collect();
            expected.sort();
            got.sort();
            assert!(!expected.is_empty(), "{json} should match something");
            assert_eq!(got, expected, "{kind}: deliveries of {json}");
        }
    }
}

#[test]
fn a_node_cannot_store_or_drop_another_nodes_subscriptions() {
    let mut net = Net::new(StrategyKind::Centralized);
    let victim = net.subscribe(5, 1, "x > 0");
    let forged = sift_core::selective::Announcement {
        id: SubId {
            origin: net.ids[6],
            seq: 9,
        },
        filter: "x > 0".into(),
        expires_in: None,
        tag: None,
    };
    // Node 7 stores a subscription in node 6's name and retracts node 5's.
    let attacker = net.ids[7];
    net.queue
        .push_back((0, attacker, Message::Store { subs: vec![forged] }));
    net.queue
        .push_back((0, attacker, Message::Retract { subs: vec![victim] }));
    net.now += 1_000;
    net.input(0, Input::Timer(Timer::Expiry));
    assert_eq!(net.nodes[0].routed_subscriptions(), vec![victim]);
    let event = net.publish(2, 1, r#"{"x": 1}"#);
    assert_eq!(net.delivered, vec![(5, victim, event)]);
}

#[test]
fn a_broker_drops_its_own_cancelled_subscription_without_a_message() {
    for kind in [StrategyKind::Centralized, StrategyKind::Flat] {
        let mut net = Net::new(kind);
        // Node 0 is a broker in both; under centralized it holds everything.
        let own = net.subscribe(0, 1, "x > 0");
        let held = |net: &Net| {
            (0..4)
                .flat_map(|n| net.nodes[n].routed_subscriptions())
                .collect::<Vec<_>>()
        };
        assert_eq!(held(&net), vec![own], "{kind}");
        net.input(0, Input::Unsubscribe(own));
        assert!(held(&net).is_empty(), "{kind}");
    }
}

#[test]
fn a_lease_or_expiry_beyond_the_clock_is_held_without_overflow() {
    let mut net = Net::new(StrategyKind::Centralized);
    let far = sift_core::selective::Announcement {
        id: SubId {
            origin: net.ids[6],
            seq: 3,
        },
        filter: "x > 0".into(),
        expires_in: Some(u64::MAX),
        tag: None,
    };
    let from = net.ids[6];
    net.queue
        .push_back((0, from, Message::Store { subs: vec![far] }));
    net.input(0, Input::Timer(Timer::Expiry));
    assert_eq!(net.nodes[0].routed_subscriptions().len(), 1);
}
