//! Bimodal multicast (pbcast) after Birman et al. (1999).
//!
//! Two phases. First a best-effort multicast with no retransmission: every node, on taking in
//! an event, pushes it once to `fanout` peers drawn at random, standing in for the paper's
//! unreliable IP multicast. Then gossip repair: every round a node sends one random peer a
//! digest of the events it took in during the last `rounds` rounds; the peer solicits the
//! ones it lacks and the node retransmits them (push anti-entropy, module `anti_entropy`).
//! A node keeps an event for `rounds` rounds after taking it in and then collects it, so
//! buffers stay bounded; and never past the retention after its publication, so that the
//! gossip about an event ends while every node still remembers having seen it.
//!
//! The outcome is bimodal: an event whose first pushes die out early (lost, or sent to
//! crashed nodes) reaches almost nobody, and one that gets going reaches almost everybody,
//! the repair rounds closing the gaps.

use std::sync::Arc;

use super::anti_entropy::{AntiEntropy, Exchange};
use super::{Dissemination, GossipConfig, Node};
use crate::id::NodeId;
use crate::strategy::{Publication, StrategyKind};
use crate::wire::Message;

#[derive(Clone, Debug, PartialEq)]
pub struct PbcastConfig {
    /// Peers each node pushes a new event to in the first phase.
    pub fanout: usize,
    /// Rounds a node gossips about (and keeps) an event after taking it in.
    pub rounds: u32,
}

impl Default for PbcastConfig {
    fn default() -> Self {
        PbcastConfig {
            fanout: 3,
            rounds: 20,
        }
    }
}

#[derive(Debug)]
pub struct Pbcast {
    fanout: usize,
    repair: AntiEntropy,
}

impl Pbcast {
    pub fn new(config: &GossipConfig) -> Self {
        let keep_for = config.round * u64::from(config.pbcast.rounds.max(1));
        Pbcast {
            fanout: config.pbcast.fanout.max(1),
            repair: AntiEntropy::new(Exchange::Push, keep_for, config),
        }
    }

    fn multicast(
        &mut self,
        node: &mut Node<'_>,
        publication: Arc<Publication>,
        hops: u16,
        from: Option<NodeId>,
    ) {
        for peer in node.sample_peers(self.fanout, from) {
            node.send(
                peer,
                Message::Gossip {
                    publication: Arc::clone(&publication),
                    hops: hops.saturating_add(1),
                },
            );
        }
        self.repair.keep(node, publication, hops);
    }
}

impl Dissemination for Pbcast {
    fn kind(&self) -> StrategyKind {
        StrategyKind::Pbcast
    }

    fn publish(&mut self, node: &mut Node<'_>, publication: Arc<Publication>) {
        self.multicast(node, publication, 0, None);
    }

    fn message(&mut self, node: &mut Node<'_>, from: NodeId, msg: Message) {
        match msg {
            Message::Gossip { publication, hops } => {
                if node.receive(&publication, hops) {
                    self.multicast(node, publication, hops, Some(from));
                }
            }
            other => {
                // Another strategy's traffic from a misconfigured peer is dropped.
                let _ = self.repair.message(node, from, other);
            }
        }
    }

    fn wake(&mut self, node: &mut Node<'_>) {
        self.repair.wake(node);
    }

    fn state_entries(&self) -> usize {
        self.repair.held()
    }
}
