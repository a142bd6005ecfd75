//! The workload of a run, drawn from its seed before it starts: which node starts when and
//! through whom, which subscriptions are made where and when, which events are published.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sift_core::Micros;
use sift_matcher::workload::{IntervalWorkload, Market, MarketWorkload};
use sift_matcher::{Event, Filter};

use crate::scenario::{Scenario, WorkloadKind};

/// Bootstrap peers a starting node is given: earlier nodes, at random.
const BOOTSTRAP_PEERS: usize = 3;

/// Subscriptions are made within this window, spread evenly.
const SUBSCRIBE_WINDOW: Micros = 1_000_000;

#[derive(Debug)]
pub(crate) enum Action {
    Start {
        node: u32,
        bootstrap: Vec<u32>,
    },
    /// The scenario's fault with this index.
    Fault {
        fault: usize,
    },
    /// What a client does at one node.
    Client(ClientAction),
}

#[derive(Debug)]
pub(crate) enum ClientAction {
    Subscribe { sub: u32 },
    Unsubscribe { sub: u32 },
    Publish { event: u32, node: u32 },
}

#[derive(Debug)]
pub(crate) struct PlannedSub {
    pub(crate) node: u32,
    pub(crate) text: String,
    pub(crate) filter: Filter,
    pub(crate) at: Micros,
    pub(crate) expires: Option<Micros>,
}

#[derive(Debug)]
pub(crate) struct Plan {
    /// In time order.
    pub(crate) actions: Vec<(Micros, Action)>,
    pub(crate) subs: Vec<PlannedSub>,
    pub(crate) events: Vec<Event>,
    /// The run stops here: one settle period after the last publication.
    pub(crate) end: Micros,
    /// Events published from here on are owed exact delivery again after the faults.
    pub(crate) recovered_from: Micros,
}

enum Generator {
    Interval(IntervalWorkload),
    Market(Market),
}

impl Generator {
    fn subscription(&self, rng: &mut ChaCha8Rng) -> String {
        match self {
            Generator::Interval(w) => w.subscription(rng),
            Generator::Market(m) => m.subscription(rng),
        }
    }

    fn event(&self, rng: &mut ChaCha8Rng) -> Event {
        match self {
            Generator::Interval(w) => w.event(rng),
            Generator::Market(m) => m.event(rng),
        }
    }
}

/// What the clients of a scenario do, without the timing: for driving real nodes with the
/// workload a simulated run of the same scenario gets.
#[derive(Debug)]
pub struct Workload {
    /// Each subscription: the node (by start order) it is made at and its filter's text.
    pub subscriptions: Vec<(u32, String)>,
    /// Each event: the node it is published at and the event.
    pub events: Vec<(u32, Event)>,
}

/// The subscriptions and events [`crate::run`] plays for `scenario`, drawn from the same
/// seed.
pub fn workload(scenario: &Scenario) -> Workload {
    let Plan {
        actions,
        subs,
        events,
        ..
    } = plan(scenario, &mut seeded(scenario.seed).0);
    Workload {
        subscriptions: subs.into_iter().map(|s| (s.node, s.text)).collect(),
        events: actions
            .into_iter()
            .filter_map(|(_, action)| match action {
                Action::Client(ClientAction::Publish { event, node }) => {
                    Some((node, events[event as usize].clone()))
                }
                _ => None,
            })
            .collect(),
    }
}

/// A run's RNGs from its seed: the one its plan is drawn from, and the one every other draw
/// (network, node ids, faults) is seeded from after it.
pub(crate) fn seeded(seed: u64) -> (ChaCha8Rng, ChaCha8Rng) {
    let mut seeds = ChaCha8Rng::seed_from_u64(seed);
    let plan = ChaCha8Rng::seed_from_u64(seeds.random());
    (plan, seeds)
}

pub(crate) fn plan(scenario: &Scenario, rng: &mut ChaCha8Rng) -> Plan {
    let ms = |ms: f64| (ms * 1_000.0).round() as Micros;
    let settle = scenario.settle_ms * 1_000;
    let generator = match scenario.workload {
        WorkloadKind::Interval => Generator::Interval(IntervalWorkload::default()),
        WorkloadKind::Market => Generator::Market(MarketWorkload::default().build()),
    };
    let mut actions = Vec::new();
    let nodes = scenario.nodes as u32;
    for node in 0..nodes {
        let bootstrap = (0..BOOTSTRAP_PEERS.min(node as usize))
            .map(|_| rng.random_range(0..node))
            .collect();
        actions.push((
            node as Micros * ms(scenario.join_interval_ms),
            Action::Start { node, bootstrap },
        ));
    }
    let joined = nodes as Micros * ms(scenario.join_interval_ms);

    let subscribe_from = joined + settle;
    let spacing = SUBSCRIBE_WINDOW / (scenario.subs as Micros).max(1);
    let ttl = scenario.ttl_s.map(|s| (s * 1e6).round() as Micros);
    let subs: Vec<PlannedSub> = (0..scenario.subs)
        .map(|i| {
            let text = generator.subscription(rng);
            let filter = Filter::parse(&text).expect("generated filters parse");
            let at = subscribe_from + i as Micros * spacing;
            PlannedSub {
                node: rng.random_range(0..nodes),
                text,
                filter,
                at,
                expires: ttl.map(|ttl| at + ttl),
            }
        })
        .collect();
    actions.extend(subs.iter().enumerate().map(|(sub, planned)| {
        let sub = sub as u32;
        (planned.at, Action::Client(ClientAction::Subscribe { sub }))
    }));

    let publish_from = subscribe_from + SUBSCRIBE_WINDOW + settle;
    let interval = ms(scenario.publish_interval_ms);
    let events: Vec<Event> = (0..scenario.events).map(|_| generator.event(rng)).collect();
    actions.extend((0..scenario.events as u32).map(|event| {
        (
            publish_from + event as Micros * interval,
            Action::Client(ClientAction::Publish {
                event,
                node: rng.random_range(0..nodes),
            }),
        )
    }));
    let last = publish_from + (scenario.events as Micros).saturating_sub(1) * interval;
    for sub in 0..scenario.subs as u32 {
        if rng.random::<f64>() < scenario.unsubscribe {
            let at = rng.random_range(publish_from..=last);
            actions.push((at, Action::Client(ClientAction::Unsubscribe { sub })));
        }
    }
    let mut recovered_from = 0;
    for (fault, spec) in scenario.faults.iter().enumerate() {
        let at = publish_from + ms(spec.after_ms);
        recovered_from = recovered_from.max(at + scenario.recovery_ms * 1_000);
        actions.push((at, Action::Fault { fault }));
    }
    // Stable: at equal times, starts, subscriptions, publications and faults keep this order.
    actions.sort_by_key(|&(at, _)| at);
    Plan {
        actions,
        subs,
        events,
        end: last.max(recovered_from) + settle,
        recovered_from,
    }
}
