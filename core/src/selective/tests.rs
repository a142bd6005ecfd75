//! A handful of `selective` nodes wired by hand: every message is delivered at once, in order.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sift_matcher::{Event, EventLimits, Filter};

use super::*;
use crate::id::EventId;
use crate::strategy::Subscription;

struct Net {
    nodes: Vec<(NodeId, Selective)>,
    queue: VecDeque<(NodeId, NodeId, Message)>,
    now: Micros,
    matching_ops: u64,
    delivered: BTreeSet<(SubId, EventId)>,
    duplicates: usize,
    /// While set, announcements are parked rather than delivered: the trip up takes time.
    park_announcements: bool,
    parked: Vec<(NodeId, NodeId, Message)>,
    /// Every announcement delivered, in order.
    announced: Vec<Announcement>,
}

impl Net {
    /// `count` nodes, each joining through the one before; `config` for all.
    fn new(count: u8, config: &StrategyConfig) -> Net {
        let ids: Vec<NodeId> = (1..=count).map(|n| NodeId::from_bytes([n; 32])).collect();
        let nodes = ids
            .iter()
            .enumerate()
            .map(|(i, &id)| {
                let bootstrap = i.checked_sub(1).map(|b| vec![ids[b]]).unwrap_or_default();
                let rng = ChaCha8Rng::seed_from_u64(i as u64);
                (id, Selective::new(id, bootstrap, rng, config))
            })
            .collect();
        let mut net = Net {
            nodes,
            queue: VecDeque::new(),
            now: 0,
            matching_ops: 0,
            delivered: BTreeSet::new(),
            duplicates: 0,
            park_announcements: false,
            parked: Vec::new(),
            announced: Vec::new(),
        };
        for i in 0..net.nodes.len() {
            net.input(i, Input::Start);
        }
        net
    }

    fn input(&mut self, i: usize, input: Input) {
        let mut out = Outputs::default();
        let (me, node) = &mut self.nodes[i];
        node.handle(self.now, input, &mut out);
        let me = *me;
        self.queue
            .extend(out.sends.into_iter().map(|s| (me, s.to, s.msg)));
        self.matching_ops += out.matching_ops;
        for d in out.deliveries {
            if !self.delivered.insert((d.sub, d.publication.id)) {
                self.duplicates += 1;
            }
        }
        while let Some((from, to, msg)) = self.queue.pop_front() {
            if self.park_announcements && matches!(msg, Message::Announce { .. }) {
                self.parked.push((from, to, msg));
                continue;
            }
            if let Message::Announce { subs, .. } = &msg {
                self.announced.extend(subs.iter().cloned());
            }
            if let Some(at) = self.nodes.iter().position(|(id, _)| *id == to) {
                self.input(at, Input::Message { from, msg });
            }
        }
    }

    /// Lets `micros` pass in ticks of a tenth of a second.
    fn wait(&mut self, micros: Micros) {
        let until = self.now + micros;
        while self.now < until {
            self.now += 100_000;
            for i in 0..self.nodes.len() {
                self.input(i, Input::Timer(Timer::Membership));
            }
        }
    }

    fn subscribe(&mut self, i: usize, seq: u64, filter: &str) -> SubId {
        let id = SubId {
            origin: self.nodes[i].0,
            seq,
        };
        let filter = Filter::parse(filter).unwrap();
        self.input(
            i,
            Input::Subscribe(Subscription {
                id,
                filter,
                expires: None,
            }),
        );
        id
    }

    fn publish(&mut self, i: usize, seq: u64, json: &str) -> EventId {
        let id = EventId {
            origin: self.nodes[i].0,
            seq,
        };
        let event = Event::from_json(json, &EventLimits::default()).unwrap();
        let publication = Arc::new(Publication {
            id,
            published_at: self.now,
            event,
        });
        self.input(i, Input::Publish(publication));
        id
    }
}

/// Longer than the default [`SelectiveConfig::announce_settle`].
const SETTLED: Micros = 3_000_000;

const FILTERS: [&str; 4] = ["x > 1", "x > 5", "x < 3", "y == 1"];
const EVENTS: [&str; 4] = [
    r#"{"x": 7}"#,
    r#"{"x": 2, "y": 1}"#,
    r#"{"x": 4}"#,
    r#"{"y": 2}"#,
];

/// Six nodes, each with every filter of [`FILTERS`] (so each node holds back `x > 5`, covered
/// by its own `x > 1`); every node publishes every event of [`EVENTS`]. Returns the net, the
/// deliveries owed, and the filter evaluations the events cost.
fn play(config: &StrategyConfig) -> (Net, BTreeSet<(SubId, EventId)>, u64) {
    let mut net = Net::new(6, config);
    net.wait(5_000_000);
    let mut subs = Vec::new();
    for i in 0..6 {
        for (seq, filter) in FILTERS.iter().enumerate() {
            subs.push((
                net.subscribe(i, seq as u64, filter),
                Filter::parse(filter).unwrap(),
            ));
        }
    }
    net.wait(SETTLED);
    let before = net.matching_ops;
    let mut owed = BTreeSet::new();
    for i in 0..6 {
        for (seq, json) in EVENTS.iter().enumerate() {
            let id = net.publish(i, seq as u64, json);
            let event = Event::from_json(json, &EventLimits::default()).unwrap();
            owed.extend(
                subs.iter()
                    .filter(|(_, f)| f.matches(&event))
                    .map(|&(sub, _)| (sub, id)),
            );
        }
    }
    let ops = net.matching_ops - before;
    (net, owed, ops)
}

#[test]
fn events_from_the_parent_are_matched_by_its_list_and_still_exactly() {
    let trusting = StrategyConfig::default();
    let (net, owed, with_lists) = play(&trusting);
    assert_eq!(net.delivered, owed);
    assert_eq!(net.duplicates, 0);
    // The same run with lists never trusted: every node matches every event in full.
    let mut distrusting = StrategyConfig::default();
    distrusting.selective.announce_settle = Micros::MAX / 4;
    let (net, owed_again, in_full) = play(&distrusting);
    assert_eq!(owed_again, owed);
    assert_eq!(net.delivered, owed);
    assert!(
        with_lists < in_full,
        "{with_lists} filter evaluations with lists, {in_full} without"
    );
}

/// A node `X` whose parent `P` has not yet received `X`'s latest announcement: publishes at
/// `P` an event matching `X`'s old subscription and its new one. Returns whether the new one
/// got the event.
fn new_route_served_before_its_announcement_arrives(config: &StrategyConfig) -> bool {
    let mut net = Net::new(6, config);
    net.wait(5_000_000);
    let x = (0..6)
        .find(|&i| net.nodes[i].1.parent.is_some())
        .expect("a tree with a child");
    let parent = net.nodes[x].1.parent.unwrap();
    let p = (0..6).find(|&i| net.nodes[i].0 == parent).unwrap();
    net.subscribe(x, 0, "x > 1");
    net.wait(SETTLED);
    net.park_announcements = true;
    let new = net.subscribe(x, 1, "y == 1");
    let event = net.publish(p, 0, r#"{"x": 7, "y": 1}"#);
    net.delivered.contains(&(new, event))
}

#[test]
fn a_list_is_not_trusted_until_the_latest_announcement_has_settled() {
    assert!(new_route_served_before_its_announcement_arrives(
        &StrategyConfig::default()
    ));
    // Trusted at once, the parent's list (the old subscription only) would starve the new
    // one: what the settling period is for.
    let mut hasty = StrategyConfig::default();
    hasty.selective.announce_settle = 0;
    assert!(!new_route_served_before_its_announcement_arrives(&hasty));
}

#[test]
fn a_list_naming_a_route_this_node_does_not_have_is_not_trusted() {
    let mut net = Net::new(6, &StrategyConfig::default());
    net.wait(5_000_000);
    let x = (0..6)
        .find(|&i| net.nodes[i].1.parent.is_some())
        .expect("a tree with a child");
    let parent = net.nodes[x].1.parent.unwrap();
    let sub = net.subscribe(x, 0, "x > 1");
    net.wait(SETTLED);
    // A parent holding a route under a tag this node no longer uses (a late copy of an old
    // announcement, say) lists what this node cannot read: it matches the event in full.
    let publication = Arc::new(Publication {
        id: EventId {
            origin: parent,
            seq: 77,
        },
        published_at: net.now,
        event: Event::from_json(r#"{"x": 7}"#, &EventLimits::default()).unwrap(),
    });
    let stale = Message::Routed {
        publication: Arc::clone(&publication),
        hops: 1,
        matched: vec![RouteTag::MAX],
    };
    net.input(
        x,
        Input::Message {
            from: parent,
            msg: stale,
        },
    );
    assert!(net.delivered.contains(&(sub, publication.id)));
}

/// An announcement climbs the tree as the value its subscriber's node sent, parse included:
/// the nodes of one process parse a filter once, not once per hop (see [`AnnouncedFilter`]).
#[test]
fn an_announcement_climbs_as_one_parsed_value() {
    let mut net = Net::new(6, &StrategyConfig::default());
    net.wait(5_000_000);
    let depth = |net: &Net, mut i: usize| {
        let mut hops = 0;
        while let Some(parent) = net.nodes[i].1.parent {
            i = net.nodes.iter().position(|(id, _)| *id == parent).unwrap();
            hops += 1;
        }
        hops
    };
    let deepest = (0..6).max_by_key(|&i| depth(&net, i)).unwrap();
    assert!(depth(&net, deepest) >= 2, "a tree of more than one level");
    let sub = net.subscribe(deepest, 0, "x > 1 && y == \"z\"");
    net.wait(SETTLED);
    let hops: Vec<&Announcement> = net.announced.iter().filter(|a| a.id == sub).collect();
    assert_eq!(hops.len(), depth(&net, deepest), "one announcement per hop");
    let first = hops[0].filter.filter().expect("parsed") as *const Filter;
    for hop in &hops {
        assert!(Arc::ptr_eq(hop.filter.text(), hops[0].filter.text()));
        assert_eq!(hop.filter.filter().map(|f| f as *const Filter), Some(first));
    }
}
