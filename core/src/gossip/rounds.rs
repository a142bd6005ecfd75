//! Gossip rounds: boundaries at multiples of the round length, and the one wake-up a protocol
//! keeps pending for the next.

use super::Node;
use crate::strategy::Micros;

#[derive(Debug)]
pub(crate) struct Rounds {
    length: Micros,
    /// The boundary a wake-up was asked for and has not come yet.
    pending: Option<Micros>,
}

impl Rounds {
    pub(crate) fn new(length: Micros) -> Self {
        Rounds {
            length: length.max(1),
            pending: None,
        }
    }

    /// Asks to be woken at the next round boundary, unless a wake-up is pending already.
    pub(crate) fn schedule(&mut self, node: &mut Node<'_>) {
        if self.pending.is_none() {
            let at = (node.now / self.length + 1) * self.length;
            self.pending = Some(at);
            node.wake_at(at);
        }
    }

    /// Whether the pending round has come at `now`; if so it is taken, and the caller
    /// schedules the next one if it has work left.
    pub(crate) fn due(&mut self, now: Micros) -> bool {
        match self.pending {
            Some(at) if now >= at => {
                self.pending = None;
                true
            }
            _ => false,
        }
    }
}
