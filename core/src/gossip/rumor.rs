//! Push rumor mongering after Demers et al. (1987).
//!
//! A node that takes in an event for the first time holds it as a hot rumor; every round it
//! pushes each hot rumor to `fanout` peers drawn at random, until it loses interest:
//!
//! - feedback-coin: when a push reaches a peer that knew the event ([`Message::Known`]),
//!   with probability `1/k`;
//! - feedback-counter: after `k` pushes to peers that knew it;
//! - blind-coin: after every push, with probability `1/k`;
//! - blind-counter: after `k` pushes.
//!
//! With feedback-coin and one peer per round, the fraction of nodes never reached, `s`,
//! solves `s = e^{-(k+1)(1-s)}` and the pushes per node are `m = -ln s` in the limit of many
//! nodes (Demers et al.). The residue is never zero by design; anti-entropy behind it
//! ([`RumorConfig::anti_entropy`]) reaches the rest.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::aged::AgedMap;
use super::anti_entropy::{AntiEntropy, Exchange};
use super::rounds::Rounds;
use super::{Dissemination, GossipConfig, Node};
use crate::id::{EventId, NodeId};
use crate::strategy::{Publication, StrategyKind};
use crate::wire::Message;

/// When a node stops pushing a rumor (see the module notes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossOfInterest {
    FeedbackCoin,
    FeedbackCounter,
    BlindCoin,
    BlindCounter,
}

impl LossOfInterest {
    const ALL: [LossOfInterest; 4] = [
        LossOfInterest::FeedbackCoin,
        LossOfInterest::FeedbackCounter,
        LossOfInterest::BlindCoin,
        LossOfInterest::BlindCounter,
    ];

    pub fn name(self) -> &'static str {
        match self {
            LossOfInterest::FeedbackCoin => "feedback-coin",
            LossOfInterest::FeedbackCounter => "feedback-counter",
            LossOfInterest::BlindCoin => "blind-coin",
            LossOfInterest::BlindCounter => "blind-counter",
        }
    }

    fn wants_feedback(self) -> bool {
        matches!(
            self,
            LossOfInterest::FeedbackCoin | LossOfInterest::FeedbackCounter
        )
    }
}

impl fmt::Display for LossOfInterest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LossOfInterest {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        LossOfInterest::ALL
            .into_iter()
            .find(|l| l.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown rumor variant `{name}`; known: feedback-coin, feedback-counter, \
                     blind-coin, blind-counter"
                )
            })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RumorConfig {
    pub loss_of_interest: LossOfInterest,
    /// The coin's `1/k` or the counter's limit.
    pub k: u32,
    /// Peers a hot rumor is pushed to per round.
    pub fanout: usize,
    /// Most hot rumors a node holds; past it, the oldest is dropped.
    pub max_hot: usize,
    /// Anti-entropy behind the rumors, if any.
    pub anti_entropy: Option<Exchange>,
}

impl Default for RumorConfig {
    fn default() -> Self {
        RumorConfig {
            loss_of_interest: LossOfInterest::FeedbackCoin,
            k: 2,
            fanout: 1,
            max_hot: 4_096,
            anti_entropy: None,
        }
    }
}

#[derive(Debug)]
struct Hot {
    publication: Arc<Publication>,
    hops: u16,
    /// Pushes counted toward a counter's limit.
    counted: u32,
}

#[derive(Debug)]
pub struct Rumor {
    config: RumorConfig,
    hot: AgedMap<EventId, Hot>,
    rounds: Rounds,
    backing: Option<AntiEntropy>,
}

impl Rumor {
    pub fn new(config: &GossipConfig) -> Self {
        Rumor {
            config: RumorConfig {
                k: config.rumor.k.max(1),
                fanout: config.rumor.fanout.max(1),
                ..config.rumor.clone()
            },
            hot: AgedMap::new(config.rumor.max_hot, config.retention),
            rounds: Rounds::new(config.round),
            backing: config
                .rumor
                .anti_entropy
                .map(|exchange| AntiEntropy::new(exchange, config.retention, config)),
        }
    }

    /// The node took in `publication`: it becomes a hot rumor here.
    fn heat(&mut self, node: &mut Node<'_>, publication: Arc<Publication>, hops: u16) {
        if let Some(backing) = &mut self.backing {
            backing.keep(node, Arc::clone(&publication), hops);
        }
        let hot = Hot {
            publication,
            hops,
            counted: 0,
        };
        self.hot.insert(node.now, hot.publication.id, hot);
        self.rounds.schedule(node);
    }

    /// One round: every hot rumor to `fanout` peers, and the blind losses of interest.
    fn push(&mut self, node: &mut Node<'_>) {
        let k = self.config.k;
        let ids: Vec<EventId> = self.hot.iter().map(|(&id, _)| id).collect();
        for id in ids {
            let Some(hot) = self.hot.get_mut(&id) else {
                continue;
            };
            let mut lost = false;
            for peer in node.sample_peers(self.config.fanout, None) {
                node.send(
                    peer,
                    Message::Gossip {
                        publication: Arc::clone(&hot.publication),
                        hops: hot.hops.saturating_add(1),
                    },
                );
                lost = match self.config.loss_of_interest {
                    LossOfInterest::BlindCoin => node.coin(1.0 / f64::from(k)),
                    LossOfInterest::BlindCounter => {
                        hot.counted += 1;
                        hot.counted >= k
                    }
                    LossOfInterest::FeedbackCoin | LossOfInterest::FeedbackCounter => false,
                };
                if lost {
                    break;
                }
            }
            if lost {
                self.hot.remove(&id);
            }
        }
    }

    /// A push of `event` reached a peer that knew it.
    fn on_known(&mut self, node: &mut Node<'_>, event: &EventId) {
        let k = self.config.k;
        let lost = match (self.config.loss_of_interest, self.hot.get_mut(event)) {
            (_, None) => false,
            (LossOfInterest::FeedbackCoin, Some(_)) => node.coin(1.0 / f64::from(k)),
            (LossOfInterest::FeedbackCounter, Some(hot)) => {
                hot.counted += 1;
                hot.counted >= k
            }
            (LossOfInterest::BlindCoin | LossOfInterest::BlindCounter, Some(_)) => false,
        };
        if lost {
            self.hot.remove(event);
        }
    }
}

impl Dissemination for Rumor {
    fn kind(&self) -> StrategyKind {
        StrategyKind::Rumor
    }

    fn start(&mut self, node: &mut Node<'_>) {
        if let Some(backing) = &mut self.backing {
            backing.start(node);
        }
    }

    fn publish(&mut self, node: &mut Node<'_>, publication: Arc<Publication>) {
        self.heat(node, publication, 0);
    }

    fn message(&mut self, node: &mut Node<'_>, from: NodeId, msg: Message) {
        match msg {
            Message::Gossip { publication, hops } => {
                let id = publication.id;
                if node.receive(&publication, hops) {
                    self.heat(node, publication, hops);
                } else if self.config.loss_of_interest.wants_feedback() {
                    node.send(from, Message::Known { event: id });
                }
            }
            Message::Known { event } => self.on_known(node, &event),
            other => {
                if let Some(backing) = &mut self.backing {
                    // Another strategy's traffic from a misconfigured peer is dropped.
                    let _ = backing.message(node, from, other);
                }
            }
        }
    }

    fn wake(&mut self, node: &mut Node<'_>) {
        if self.rounds.due(node.now) {
            self.hot.expire(node.now);
            let (now, retention) = (node.now, node.retention);
            self.hot
                .retain(|_, hot| now.saturating_sub(hot.publication.published_at) < retention);
            self.push(node);
            if !self.hot.is_empty() {
                self.rounds.schedule(node);
            }
        }
        if let Some(backing) = &mut self.backing {
            backing.wake(node);
        }
    }

    fn state_entries(&self) -> usize {
        self.hot.len() + self.backing.as_ref().map_or(0, AntiEntropy::held)
    }
}
