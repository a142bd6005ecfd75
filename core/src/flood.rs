//! `flood`: every event to every node over the overlay; matched where the subscribers are.
//!
//! A node forwards an event the first time it sees it to every neighbour but the one it came
//! from, with one hop less to go. Each node therefore sends each event about `degree - 1`
//! times, every link carries it once or twice, and the event reaches every node the overlay
//! connects within the hop limit. Subscriptions never leave their node. The baseline every
//! selective strategy is measured against.

use std::sync::Arc;

use rand_chacha::ChaCha8Rng;

use crate::id::NodeId;
use crate::local::LocalDelivery;
use crate::membership::{Effects, Membership, ViewChange};
use crate::strategy::{
    Input, Micros, Outputs, Publication, Strategy, StrategyConfig, StrategyKind, Timer,
};
use crate::wire::Message;

#[derive(Debug)]
pub struct Flood {
    membership: Membership,
    local: LocalDelivery,
    rng: ChaCha8Rng,
    ttl: u8,
    changes: Vec<ViewChange>,
}

impl Flood {
    pub fn new(
        me: NodeId,
        bootstrap: Vec<NodeId>,
        rng: ChaCha8Rng,
        config: &StrategyConfig,
    ) -> Self {
        Flood {
            membership: Membership::new(me, bootstrap, config.membership.clone()),
            local: LocalDelivery::new(&config.local),
            rng,
            ttl: config.flood_ttl.max(1),
            changes: Vec::new(),
        }
    }

    fn forward(
        &self,
        publication: &Arc<Publication>,
        ttl: u8,
        except: Option<NodeId>,
        out: &mut Outputs,
    ) {
        for &peer in self.membership.active() {
            if Some(peer) != except {
                out.send(
                    peer,
                    Message::Flood {
                        publication: Arc::clone(publication),
                        ttl,
                    },
                );
            }
        }
    }
}

impl Strategy for Flood {
    fn kind(&self) -> StrategyKind {
        StrategyKind::Flood
    }

    fn handle(&mut self, now: Micros, input: Input, out: &mut Outputs) {
        let mut fx = Effects {
            rng: &mut self.rng,
            out,
            changes: &mut self.changes,
        };
        match input {
            Input::Start => self.membership.start(now, &mut fx),
            Input::Timer(Timer::Membership) => self.membership.tick(now, &mut fx),
            Input::PeerDown(peer) => self.membership.peer_down(peer, &mut fx),
            Input::Message {
                from,
                msg: Message::Membership(msg),
            } => self.membership.on_message(from, msg, &mut fx),
            Input::Timer(Timer::Expiry) => self.local.expire(now, out),
            Input::Subscribe(sub) => self.local.subscribe(now, sub, out),
            Input::Unsubscribe(id) => {
                self.local.unsubscribe(&id);
            }
            Input::Publish(publication) => {
                if self.local.receive(now, &publication, out) {
                    self.forward(&publication, self.ttl, None, out);
                }
            }
            Input::Message {
                from,
                msg: Message::Flood { publication, ttl },
            } => {
                if self.local.receive(now, &publication, out) && ttl > 1 {
                    self.forward(&publication, ttl - 1, Some(from), out);
                }
            }
        }
        // Flooding keeps no per-link state: view changes need no answer.
        self.changes.clear();
    }

    fn neighbours(&self) -> &[NodeId] {
        self.membership.active()
    }

    fn routing_entries(&self) -> usize {
        0
    }
}
