//! Choosing whom to gossip with.

use super::Node;
use crate::id::NodeId;
use crate::sample::sample;

impl Node<'_> {
    /// Up to `n` distinct peers drawn uniformly from the active and passive views together,
    /// `except` left out (see the module notes of `gossip` on why both views).
    pub(crate) fn sample_peers(&mut self, n: usize, except: Option<NodeId>) -> Vec<NodeId> {
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
