//! The discrete-event simulator: a virtual clock, one queue of timed inputs, and the nodes'
//! state machines.
//!
//! Each step takes the earliest entry — a planned client action or an input for a node — sets
//! the clock to its time and hands it to the node's strategy; the outputs become new entries
//! (messages after a drawn latency, timers at their time) and records of the trace. Ties are
//! broken by insertion order, every random draw comes from RNGs seeded by the scenario, and
//! nothing depends on a hash map's iteration order, so a seed reproduces a run byte for byte.
//!
//! Entries are gathered into windows no longer than the network's smallest latency, whose
//! nodes several threads may step at once ([`crate::window`]); the outputs are played in the
//! order above all the same, so the number of threads changes nothing but the time taken.

use std::collections::BinaryHeap;
use std::io::{self, Write};
use std::sync::Arc;

use foldhash::HashMap;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use sift_core::brokers::BrokerRole;
use sift_core::gossip::PeerSource;
use sift_core::sample::sample;
use sift_core::{
    EventId, Input, Micros, NodeId, Outputs, Publication, Strategy, StrategyConfig, SubId,
    Subscription,
};
use sift_dht::build;
use sift_matcher::Event;

use crate::agenda::Agenda;
use crate::check::Checker;
use crate::network::Network;
use crate::plan::{Action, ClientAction, Plan, PlannedSub, plan, seeded};
use crate::scenario::{Among, Fault, FaultKind, PeerChoice, Scenario, ScenarioError};
use crate::sizes::MessageSizes;
use crate::spread::SpreadTracker;
use crate::summary::{Hops, Latency, Load, Summary};
use crate::trace::{Trace, node_name};
use crate::window::{Due, Pre, Soon, step_in_parallel};

/// Told how far the run has got, now and then.
pub trait Progress {
    fn advance(&mut self, now: Micros, end: Micros);
}

impl<F: FnMut(Micros, Micros)> Progress for F {
    fn advance(&mut self, now: Micros, end: Micros) {
        self(now, end)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("writing the trace: {0}")]
    Trace(#[from] io::Error),
}

/// The distributions behind a summary's figures, for plots.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Details {
    /// Messages each node handled, by node.
    pub node_messages: Vec<u64>,
    /// Filter evaluations at each node, by node (see `Summary::matching_ops`).
    pub node_filters: Vec<u64>,
    /// Messages carrying an event each node sent or received, by node.
    pub node_event_messages: Vec<u64>,
    /// Latency of every delivery, sorted.
    pub latencies_us: Vec<Micros>,
}

/// Plays `scenario` on `workers` threads (one if 0), writing its trace to `trace` if given, and returns
/// its summary. The run is the same, byte for byte, whatever the number of threads.
pub fn run(
    scenario: &Scenario,
    workers: usize,
    trace: Option<Box<dyn Write + Send>>,
    progress: &mut dyn Progress,
) -> Result<Summary, RunError> {
    run_detailed(scenario, workers, trace, progress).map(|(summary, _)| summary)
}

/// [`run`], returning the distributions behind the summary as well.
pub fn run_detailed(
    scenario: &Scenario,
    workers: usize,
    trace: Option<Box<dyn Write + Send>>,
    progress: &mut dyn Progress,
) -> Result<(Summary, Details), RunError> {
    scenario.validate()?;
    let (mut plan_rng, mut seeds) = seeded(scenario.seed);
    let network = Network::new(
        scenario.latency_ms,
        scenario.loss,
        scenario.duplicate,
        ChaCha8Rng::seed_from_u64(seeds.random()),
    );
    let lookahead = network.min_latency();
    // A peer-down notice must not fall inside the window of the send that caused it.
    debug_assert!(lookahead == 0 || network.failure_notice() > lookahead);
    let ids: Vec<NodeId> = (0..scenario.nodes)
        .map(|_| NodeId::random(&mut seeds))
        .collect();
    let faults_rng = ChaCha8Rng::seed_from_u64(seeds.random());
    let plan = plan(scenario, &mut plan_rng);
    let mut config = scenario.strategy_config();
    if scenario.peers == PeerChoice::All {
        config.gossip.peers = PeerSource::Directory(ids.clone().into());
    }
    let round = scenario
        .strategy
        .is_round_based()
        .then_some(config.gossip.round);
    let mut sim = Sim {
        now: 0,
        agenda: Agenda::default(),
        nodes: (0..scenario.nodes).map(|_| None).collect(),
        received: vec![0; scenario.nodes],
        filtered: vec![0; scenario.nodes],
        event_handled: vec![0; scenario.nodes],
        arrivals: vec![0; scenario.nodes],
        hops: Vec::new(),
        index_of: ids
            .iter()
            .enumerate()
            .map(|(i, &id)| (id, i as u32))
            .collect(),
        ids,
        seeds,
        config,
        network,
        checker: Checker::new(scenario.settle_ms * 1_000),
        spread: SpreadTracker::new(scenario.events, round),
        running: 0,
        trace: Trace::new(trace),
        stats: Stats::default(),
        sizes: MessageSizes::new(scenario.events),
        out: Outputs::default(),
        faults_rng,
        crashed: Vec::new(),
        cut_off: Vec::new(),
        // With no lookahead, a message can arrive at the time it was sent: one thread.
        workers: if lookahead == 0 { 1 } else { workers.max(1) },
        lookahead,
        playing_until: 0,
        soon: BinaryHeap::new(),
        soon_seq: 0,
    };
    let (end, recovered_from) = (plan.end, plan.recovered_from);
    sim.play(scenario, plan, progress);
    progress.advance(end, end);
    let (summary, latencies_us) = sim.summarize(scenario, end, recovered_from);
    let mut trace = sim.trace;
    if trace.is_on() {
        let fields = serde_json::to_value(&summary).expect("a summary serializes");
        trace.record(end, None, "summary", fields);
    }
    trace.finish()?;
    let details = Details {
        node_messages: sim.received,
        node_filters: sim.filtered,
        node_event_messages: sim.event_handled,
        latencies_us,
    };
    Ok((summary, details))
}

#[derive(Debug, Default)]
struct Stats {
    messages: u64,
    bytes: u64,
    event_messages: u64,
    lost: u64,
    duplicated: u64,
    matching_ops: u64,
}

struct Sim {
    now: Micros,
    agenda: Agenda,
    /// `None` until the node starts.
    nodes: Vec<Option<Box<dyn Strategy>>>,
    /// Messages each node handled.
    received: Vec<u64>,
    /// Filter evaluations at each node.
    filtered: Vec<u64>,
    /// Messages carrying an event each node sent or received.
    event_handled: Vec<u64>,
    /// Walks toward a rendezvous that ended at each node, and the hops of every walk.
    arrivals: Vec<u64>,
    hops: Vec<u16>,
    ids: Vec<NodeId>,
    index_of: HashMap<NodeId, u32>,
    /// Seeds the nodes' RNGs as they start.
    seeds: ChaCha8Rng,
    config: StrategyConfig,
    network: Network,
    checker: Checker,
    spread: SpreadTracker,
    /// Nodes running now.
    running: usize,
    trace: Trace,
    stats: Stats,
    sizes: MessageSizes,
    out: Outputs,
    /// Draws which nodes a fault takes.
    faults_rng: ChaCha8Rng,
    /// Nodes crashed and not restarted.
    crashed: Vec<u32>,
    /// During a partition, the side each node is on; empty otherwise.
    cut_off: Vec<bool>,
    /// Threads that step a window's nodes (see [`crate::window`]).
    workers: usize,
    /// The network's smallest latency: inputs at different nodes less than this apart cannot
    /// depend on each other.
    lookahead: Micros,
    /// While a window is played, its end: an input scheduled before it joins the window (in
    /// `soon`) rather than the agenda. 0 between windows.
    playing_until: Micros,
    /// Inputs scheduled inside the window being played, and how many were.
    soon: BinaryHeap<Soon>,
    soon_seq: u64,
}

/// Steps between two progress reports.
const PROGRESS_EVERY: u64 = 1 << 14;

impl Sim {
    fn play(&mut self, scenario: &Scenario, plan: Plan, progress: &mut dyn Progress) {
        let Plan {
            actions,
            subs,
            events,
            end,
            recovered_from: _,
        } = plan;
        let mut actions = actions.into_iter().peekable();
        let mut window = Vec::new();
        // The end of the window being gathered: inputs due before it at different nodes cannot
        // depend on one another (see the `window` module).
        let mut window_end = 0;
        let mut steps = 0u64;
        loop {
            let action_at = actions.peek().map(|&(at, _)| at);
            let input_at = self.agenda.next_at();
            // The earliest due, and whether it is a planned action (first on ties).
            let next = match (action_at, input_at) {
                (Some(a), Some(i)) => Some((a.min(i), a <= i)),
                (Some(a), None) => Some((a, true)),
                (None, Some(i)) => Some((i, false)),
                (None, None) => None,
            };
            if !window.is_empty() && next.is_none_or(|(at, _)| at >= window_end) {
                // What the window schedules may come before the next due.
                self.play_window(&mut window, window_end, &subs);
                continue;
            }
            let Some((at, take_action)) = next else {
                break;
            };
            if at >= window_end {
                window_end = at.saturating_add(self.lookahead.max(1)).min(end + 1);
            }
            if at > end {
                break;
            }
            if take_action {
                let (_, action) = actions.next().expect("peeked");
                match action {
                    // A start or a fault changes which nodes run and can be reached: what
                    // comes before it is played first. The inputs gathered after it, up to
                    // the same `window_end`, make a shorter window, which is as safe.
                    Action::Start { node, bootstrap } => {
                        self.play_window(&mut window, at, &subs);
                        self.now = at;
                        self.start(scenario, node, &bootstrap);
                    }
                    Action::Fault { fault } => {
                        self.play_window(&mut window, at, &subs);
                        self.now = at;
                        self.fault(scenario, &scenario.faults[fault]);
                    }
                    Action::Client(action) => {
                        window.extend(self.prepare(at, action, &subs, &events));
                    }
                }
            } else {
                let (node, input) = self.agenda.pop().expect("peeked");
                window.push(Due {
                    at,
                    node,
                    pre: Pre::of(&input),
                    input: Some(input),
                    out: Outputs::default(),
                });
            }
            steps += 1;
            if steps.is_multiple_of(PROGRESS_EVERY) {
                progress.advance(at, end);
            }
        }
    }

    /// A client's action as an input for its node; `None` if the node is not running (a
    /// client of a crashed node can do nothing there).
    fn prepare(
        &self,
        at: Micros,
        action: ClientAction,
        subs: &[PlannedSub],
        events: &[Event],
    ) -> Option<Due> {
        let (node, pre, input) = match action {
            ClientAction::Subscribe { sub } => {
                let planned = &subs[sub as usize];
                let subscription = Subscription {
                    id: SubId {
                        origin: self.ids[planned.node as usize],
                        seq: u64::from(sub),
                    },
                    filter: planned.filter.clone(),
                    expires: planned.expires,
                };
                (
                    planned.node,
                    Pre::Subscribe { sub },
                    Input::Subscribe(subscription),
                )
            }
            ClientAction::Publish { event, node } => {
                let publication = Arc::new(Publication {
                    id: EventId {
                        origin: self.ids[node as usize],
                        seq: u64::from(event),
                    },
                    published_at: at,
                    event: events[event as usize].clone(),
                });
                let pre = Pre::Publish {
                    event,
                    publication: Arc::clone(&publication),
                };
                (node, pre, Input::Publish(publication))
            }
            ClientAction::Unsubscribe { sub } => {
                let node = subs[sub as usize].node;
                let id = SubId {
                    origin: self.ids[node as usize],
                    seq: u64::from(sub),
                };
                (node, Pre::Unsubscribe { sub }, Input::Unsubscribe(id))
            }
        };
        self.nodes[node as usize].as_ref()?;
        Some(Due {
            at,
            node,
            pre,
            input: Some(input),
            out: Outputs::default(),
        })
    }

    /// Plays the inputs gathered in `window`, all due before `end` and in the order one
    /// thread takes them, and the timers they set for before `end` (see [`crate::window`]).
    fn play_window(&mut self, window: &mut Vec<Due>, end: Micros, subs: &[PlannedSub]) {
        self.playing_until = end;
        step_in_parallel(&mut self.nodes, window, self.workers, end);
        let mut dues = window.drain(..).peekable();
        loop {
            // Ties go to the window's input: a planned action comes first on ties, and an
            // agenda input was scheduled before the window began.
            let soon_first = match (self.soon.peek(), dues.peek()) {
                (Some(soon), Some(due)) => soon.at < due.at,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if soon_first {
                let Soon {
                    at, node, input, ..
                } = self.soon.pop().expect("peeked");
                self.now = at;
                self.record(node, Pre::of(&input), subs);
                self.dispatch(node, input);
            } else {
                let mut due = dues.next().expect("peeked");
                self.now = due.at;
                self.record(due.node, due.pre, subs);
                match due.input {
                    Some(input) => self.dispatch(due.node, input),
                    None => self.play_out(due.node, &mut due.out),
                }
            }
        }
        self.playing_until = 0;
    }

    /// What the run records as `node` takes an input, before it sees it.
    fn record(&mut self, node: u32, pre: Pre, subs: &[PlannedSub]) {
        match pre {
            Pre::Message { carries_event } => {
                self.received[node as usize] += 1;
                self.event_handled[node as usize] += u64::from(carries_event);
            }
            Pre::Nothing => {}
            Pre::Subscribe { sub } => {
                let planned = &subs[sub as usize];
                self.checker.subscribe(
                    sub,
                    planned.node,
                    &planned.filter,
                    planned.at,
                    planned.expires,
                );
                self.trace.record(
                    self.now,
                    Some(node),
                    "subscribe",
                    json!({ "sub": sub, "filter": planned.text, "expires": planned.expires }),
                );
            }
            Pre::Publish { event, publication } => {
                self.checker.publish(event, &publication.event, self.now);
                self.spread
                    .publish(u64::from(event), self.now, self.running);
                self.trace.record(
                    self.now,
                    Some(node),
                    "publish",
                    json!({ "event_id": event, "event": publication.event }),
                );
            }
            Pre::Unsubscribe { sub } => {
                self.checker.unsubscribe(sub, self.now);
                self.trace
                    .record(self.now, Some(node), "unsubscribe", json!({ "sub": sub }));
            }
        }
    }

    /// Injects a fault (see [`FaultKind`]).
    fn fault(&mut self, scenario: &Scenario, fault: &Fault) {
        let running: Vec<u32> = (0..self.nodes.len() as u32)
            .filter(|&n| self.nodes[n as usize].is_some())
            .collect();
        let fraction = fault.fraction.unwrap_or(0.0);
        let mut affected = Vec::new();
        match fault.kind {
            FaultKind::Crash => {
                let pool: Vec<u32> = running
                    .iter()
                    .copied()
                    .filter(|&n| match fault.among {
                        Among::All => true,
                        Among::Brokers => scenario.role_of(n) == Some(BrokerRole::Broker),
                        Among::Master => scenario.role_of(n) == Some(BrokerRole::Master),
                    })
                    .collect();
                let count = (pool.len() as f64 * fraction).round() as usize;
                affected = sample(&pool, count, &mut self.faults_rng);
                affected.sort_unstable();
                self.running -= affected.len();
                for &node in &affected {
                    self.nodes[node as usize] = None;
                    self.checker.crash(node, self.now);
                }
                self.crashed.extend(&affected);
            }
            FaultKind::Restart => {
                affected = std::mem::take(&mut self.crashed);
                affected.sort_unstable();
                for &node in &affected {
                    let bootstrap = sample(&running, 3, &mut self.faults_rng);
                    self.start(scenario, node, &bootstrap);
                }
            }
            FaultKind::Partition => {
                let all: Vec<u32> = (0..self.nodes.len() as u32).collect();
                let count = (all.len() as f64 * fraction).round() as usize;
                affected = sample(&all, count, &mut self.faults_rng);
                affected.sort_unstable();
                self.cut_off = vec![false; self.nodes.len()];
                for &node in &affected {
                    self.cut_off[node as usize] = true;
                }
            }
            FaultKind::Heal => self.cut_off.clear(),
        }
        let kind = serde_json::to_value(fault.kind).expect("a fault kind serializes");
        self.trace.record(
            self.now,
            None,
            "fault",
            json!({ "fault": kind, "nodes": affected.iter().map(|&n| node_name(n)).collect::<Vec<_>>() }),
        );
    }

    /// Whether a partition separates `a` from `b`.
    fn separated(&self, a: u32, b: u32) -> bool {
        !self.cut_off.is_empty() && self.cut_off[a as usize] != self.cut_off[b as usize]
    }

    fn start(&mut self, scenario: &Scenario, node: u32, bootstrap: &[u32]) {
        let rng = ChaCha8Rng::seed_from_u64(self.seeds.random());
        let bootstrap = bootstrap.iter().map(|&b| self.ids[b as usize]).collect();
        let id = self.ids[node as usize];
        let strategy = match scenario.role_of(node) {
            Some(role) => {
                let mut config = self.config.clone();
                config.brokers.role = Some(role);
                build(scenario.strategy, id, bootstrap, rng, &config)
            }
            None => build(scenario.strategy, id, bootstrap, rng, &self.config),
        };
        if self.nodes[node as usize].replace(strategy).is_none() {
            self.running += 1;
        }
        self.dispatch(node, Input::Start);
    }

    /// Queues `input` for `node` at `at`: with the window's inputs if it falls inside the
    /// window being played, in the agenda otherwise.
    fn schedule(&mut self, at: Micros, node: u32, input: Input) {
        if at < self.playing_until {
            // Only a node's own timer can fall inside the window that set it when workers step
            // nodes (see the `window` module); a message can with no lookahead, on one thread.
            debug_assert!(matches!(input, Input::Timer(_)) || self.workers == 1);
            self.soon.push(Soon {
                at,
                seq: self.soon_seq,
                node,
                input,
            });
            self.soon_seq += 1;
        } else {
            self.agenda.push(at, node, input);
        }
    }

    /// Hands `input` to `node` (dropped if the node is not running) and plays out what it
    /// produced.
    fn dispatch(&mut self, node: u32, input: Input) {
        let Some(strategy) = self.nodes[node as usize].as_mut() else {
            return;
        };
        let mut out = std::mem::take(&mut self.out);
        strategy.handle(self.now, input, &mut out);
        self.play_out(node, &mut out);
        self.out = out;
    }

    /// Plays out what `node` produced at `now`: messages leave with a drawn latency (or are
    /// lost, or reported undeliverable), deliveries are checked and traced, timers queued.
    fn play_out(&mut self, node: u32, out: &mut Outputs) {
        self.stats.matching_ops += out.matching_ops;
        self.filtered[node as usize] += out.matching_ops;
        let from = self.ids[node as usize];
        for mut send in out.sends.drain(..) {
            self.stats.messages += 1;
            self.stats.bytes += self.sizes.of(&mut send.msg) as u64;
            if let Some(publication) = send.msg.payload() {
                self.stats.event_messages += 1;
                self.event_handled[node as usize] += 1;
                self.spread.copy(publication.id.seq, self.now);
            }
            let Some(&to) = self.index_of.get(&send.to) else {
                continue;
            };
            if self.nodes[to as usize].is_none() || self.separated(node, to) {
                let notice = self.now + self.network.failure_notice();
                self.schedule(notice, node, Input::PeerDown(send.to));
            } else if self.network.lost() {
                self.stats.lost += 1;
            } else {
                if self.network.duplicated() {
                    self.stats.duplicated += 1;
                    let at = self.now + self.network.latency();
                    let copy = send.msg.clone();
                    self.schedule(at, to, Input::Message { from, msg: copy });
                }
                let at = self.now + self.network.latency();
                self.schedule(
                    at,
                    to,
                    Input::Message {
                        from,
                        msg: send.msg,
                    },
                );
            }
        }
        for delivery in out.deliveries.drain(..) {
            let (sub, event) = (delivery.sub.seq as u32, delivery.publication.id.seq as u32);
            let latency = self.now - delivery.publication.published_at;
            self.checker.deliver(event, sub, latency);
            self.trace.record(
                self.now,
                Some(node),
                "deliver",
                json!({ "sub": sub, "event_id": event, "latency_us": latency }),
            );
        }
        for hops in out.arrivals.drain(..) {
            self.arrivals[node as usize] += 1;
            self.hops.push(hops);
        }
        for reach in out.reached.drain(..) {
            self.spread.reach(reach.event.seq, reach.hops, self.now);
        }
        for sub in out.expired.drain(..) {
            self.trace
                .record(self.now, Some(node), "expire", json!({ "sub": sub.seq }));
        }
        for (at, timer) in out.timers.drain(..) {
            self.schedule(at.max(self.now), node, Input::Timer(timer));
        }
        out.clear();
    }

    /// Connected components of the running nodes' neighbour graph, links taken both ways.
    fn components(&self) -> usize {
        let mut parent: Vec<u32> = (0..self.nodes.len() as u32).collect();
        fn root(parent: &mut [u32], mut x: u32) -> u32 {
            while parent[x as usize] != x {
                parent[x as usize] = parent[parent[x as usize] as usize];
                x = parent[x as usize];
            }
            x
        }
        for (node, strategy) in self.nodes.iter().enumerate() {
            let Some(strategy) = strategy else { continue };
            for peer in strategy.neighbours() {
                if let Some(&peer) = self.index_of.get(peer) {
                    let (a, b) = (root(&mut parent, node as u32), root(&mut parent, peer));
                    parent[a as usize] = b;
                }
            }
        }
        let running: Vec<u32> = (0..self.nodes.len() as u32)
            .filter(|&n| self.nodes[n as usize].is_some())
            .collect();
        let mut roots: Vec<u32> = running.iter().map(|&n| root(&mut parent, n)).collect();
        roots.sort_unstable();
        roots.dedup();
        roots.len()
    }

    /// The summary, and the latencies of every delivery, sorted.
    fn summarize(
        &mut self,
        scenario: &Scenario,
        end: Micros,
        recovered_from: Micros,
    ) -> (Summary, Vec<Micros>) {
        // Entries for subscriptions that ended this long before the end should be gone.
        let aged_out_by =
            end.saturating_sub(self.config.selective.lease + scenario.settle_ms * 1_000);
        let stale_routing_entries = self
            .nodes
            .iter()
            .flatten()
            .flat_map(|s| s.routed_subscriptions())
            .filter(|sub| self.checker.ended_by(sub.seq as u32, aged_out_by))
            .count() as u64;
        let (tally, mut latencies) = self.checker.finish(recovered_from);
        latencies.sort_unstable();
        let events = scenario.events.max(1) as f64;
        let running = || self.nodes.iter().flatten();
        let summary = Summary {
            strategy: scenario.strategy.to_string(),
            seed: scenario.seed,
            nodes: scenario.nodes,
            subscriptions: scenario.subs,
            events: scenario.events,
            expected_deliveries: tally.expected,
            owed_deliveries: tally.owed,
            deliveries: tally.deliveries,
            missing: tally.missing,
            owed_after_faults: tally.owed_after_faults,
            missing_after_faults: tally.missing_after_faults,
            stale_routing_entries,
            duplicates: tally.duplicates,
            spurious: tally.spurious,
            delivered_fraction: if tally.owed == 0 {
                1.0
            } else {
                (tally.owed - tally.missing) as f64 / tally.owed as f64
            },
            messages: self.stats.messages,
            bytes: self.stats.bytes,
            messages_per_event: self.stats.messages as f64 / events,
            event_messages_per_event: self.stats.event_messages as f64 / events,
            lost_messages: self.stats.lost,
            duplicated_messages: self.stats.duplicated,
            latency_us: Latency::of(&latencies),
            node_load: Load::of(self.received.iter().copied()),
            event_load: Load::of(self.event_handled.iter().copied()),
            matching_ops: self.stats.matching_ops,
            filter_load: Load::of(self.filtered.iter().copied()),
            routing_entries: Load::of(running().map(|s| s.routing_entries() as u64)),
            degree: Load::of(running().map(|s| s.neighbours().len() as u64)),
            overlay_components: self.components(),
            virtual_seconds: end as f64 / 1e6,
            spread: self.spread.summarize(0),
            spread_after_faults: (!scenario.faults.is_empty())
                .then(|| self.spread.summarize(recovered_from)),
            hops: {
                self.hops.sort_unstable();
                Hops::of(&self.hops)
            },
            rendezvous_load: (!self.hops.is_empty())
                .then(|| Load::of(self.arrivals.iter().copied().filter(|&n| n > 0))),
        };
        (summary, latencies)
    }
}
