//! Choosing whom to gossip with.

use rand::RngExt;

use super::{Node, PeerSource};
use crate::id::NodeId;
use crate::sample::sample;

/// Draws from a directory give up after this many times `n` tries (a directory of a handful
/// of nodes, most of them excluded, could otherwise loop long).
const DRAW_TRIES: usize = 8;

impl Node<'_> {
    /// Up to `n` distinct peers drawn uniformly from the peer source (see the module notes
    /// of `gossip`), this node and `except` left out.
    pub(crate) fn sample_peers(&mut self, n: usize, except: Option<NodeId>) -> Vec<NodeId> {
        match self.peers {
            PeerSource::Views => self.sample_views(n, except),
            PeerSource::Directory(nodes) => {
                let me = self.overlay.me();
                let mut chosen: Vec<NodeId> = Vec::with_capacity(n);
                for _ in 0..n * DRAW_TRIES {
                    if chosen.len() == n || nodes.is_empty() {
                        break;
                    }
                    let peer = nodes[self.rng.random_range(0..nodes.len())];
                    if peer != me && Some(peer) != except && !chosen.contains(&peer) {
                        chosen.push(peer);
                    }
                }
                chosen
            }
        }
    }

    fn sample_views(&mut self, n: usize, except: Option<NodeId>) -> Vec<NodeId> {
        let mut pool: Vec<NodeId> = self
            .overlay
            .active()
            .iter()
            .chain(self.overlay.passive())
            .copied()
            .filter(|&peer| Some(peer) != except)
            .collect();
        pool.sort_unstable();
        pool.dedup();
        sample(&pool, n, self.rng)
    }

    /// Up to `n` distinct neighbours (active view) drawn uniformly among those `eligible`
    /// allows.
    pub(crate) fn sample_neighbours(
        &mut self,
        n: usize,
        eligible: impl Fn(&NodeId) -> bool,
    ) -> Vec<NodeId> {
        let pool: Vec<NodeId> = self
            .overlay
            .active()
            .iter()
            .copied()
            .filter(|peer| eligible(peer))
            .collect();
        sample(&pool, n, self.rng)
    }
}
