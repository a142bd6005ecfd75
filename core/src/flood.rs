//! `flood`: every event to every node over the overlay; matched where the subscribers are.
//!
//! A node forwards an event the first time it sees it to every neighbour but the one it came
//! from, up to a hop limit. Each node therefore sends each event about `degree - 1` times,
//! every link carries it once or twice, and the event reaches every node the overlay connects
//! within the hop limit. Subscriptions never leave their node. The baseline every other
//! strategy is measured against.

use std::sync::Arc;

use crate::gossip::{Dissemination, Node};
use crate::id::NodeId;
use crate::strategy::{Publication, StrategyKind};
use crate::wire::Message;

#[derive(Debug)]
pub struct Flood {
    /// Hops an event travels at most.
    ttl: u16,
}

impl Flood {
    pub fn new(ttl: u8) -> Self {
        Flood {
            ttl: u16::from(ttl.max(1)),
        }
    }

    fn forward(
        &self,
        node: &mut Node<'_>,
        publication: &Arc<Publication>,
        hops: u16,
        except: Option<NodeId>,
    ) {
        if hops >= self.ttl {
            return;
        }
        let neighbours: Vec<NodeId> = node
            .neighbours()
            .iter()
            .copied()
            .filter(|&peer| Some(peer) != except)
            .collect();
        for peer in neighbours {
            node.send(
                peer,
                Message::Flood {
                    publication: Arc::clone(publication),
                    hops: hops + 1,
                },
            );
        }
    }
}

impl Dissemination for Flood {
    fn kind(&self) -> StrategyKind {
        StrategyKind::Flood
    }

    fn publish(&mut self, node: &mut Node<'_>, publication: Arc<Publication>) {
        self.forward(node, &publication, 0, None);
    }

    fn message(&mut self, node: &mut Node<'_>, from: NodeId, msg: Message) {
        // Another strategy's traffic from a misconfigured peer is dropped.
        if let Message::Flood { publication, hops } = msg
            && node.receive(&publication, hops)
        {
            self.forward(node, &publication, hops, Some(from));
        }
    }
}
