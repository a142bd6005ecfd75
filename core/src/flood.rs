//! `flood`: every event to every node over the overlay; matched where the subscribers are.
//!
//! A node forwards an event the first time it sees it to every neighbour but the one it came
//! from, with one hop less to go. Each node therefore sends each event about `degree - 1`
//! times, every link carries it once or twice, and the event reaches every node the overlay
//! connects within the hop limit. Subscriptions never leave their node. The baseline every
//! selective strategy is measured against.

use std::sync::Arc;

use rand_chacha::ChaCha8Rng;

use crate::id::{NodeId, SubId};
use crate::local::LocalDelivery;
use crate::membership::Overlay;
use crate::strategy::{
    Input, Micros, Outputs, Publication, Strategy, StrategyConfig, StrategyKind, Timer,
};
use crate::wire::Message;

#[derive(Debug)]
pub struct Flood {
    overlay: Overlay,
    local: LocalDelivery,
    ttl: u8,
}

impl Flood {
    pub fn new(
        me: NodeId,
        bootstrap: Vec<NodeId>,
        rng: ChaCha8Rng,
        config: &StrategyConfig,
    ) -> Self {
        Flood {
            overlay: Overlay::new(me, bootstrap, &config.membership, rng),
            local: LocalDelivery::new(&config.local),
            ttl: config.flood_ttl.max(1),
        }
    }

    fn forward(
        &self,
        publication: &Arc<Publication>,
        ttl: u8,
        except: Option<NodeId>,
        out: &mut Outputs,
    ) {
        for &peer in self.overlay.active() {
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
        let input = self.overlay.handle(now, input, out);
        // Flooding keeps no per-link state: view changes need no answer.
        self.overlay.take_changes();
        let Some(input) = input else {
            return;
        };
        match input {
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
            // Membership's, handled above; or another strategy's traffic from a misconfigured
            // peer, with nothing to do with it.
            Input::Start
            | Input::Timer(Timer::Membership)
            | Input::PeerDown(_)
            | Input::Contact(_) => {}
            Input::Message { .. } => {}
        }
    }

    fn neighbours(&self) -> &[NodeId] {
        self.overlay.active()
    }

    fn routing_entries(&self) -> usize {
        0
    }

    fn routed_subscriptions(&self) -> Vec<SubId> {
        Vec::new()
    }
}
