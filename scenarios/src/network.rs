//! The network model: per-message latency and loss, and how long a sender takes to notice that
//! its peer is gone.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use sift_core::Micros;

#[derive(Debug)]
pub(crate) struct Network {
    low: Micros,
    high: Micros,
    loss: f64,
    duplicate: f64,
    rng: ChaCha8Rng,
}

impl Network {
    pub(crate) fn new(latency_ms: [f64; 2], loss: f64, duplicate: f64, rng: ChaCha8Rng) -> Self {
        let micros = |ms: f64| (ms * 1_000.0).round() as Micros;
        Network {
            low: micros(latency_ms[0]),
            high: micros(latency_ms[1]).max(micros(latency_ms[0])),
            loss,
            duplicate,
            rng,
        }
    }

    /// The smallest latency a message can have: nothing a node sends reaches another node
    /// sooner.
    pub(crate) fn min_latency(&self) -> Micros {
        self.low
    }

    /// The one-way latency of the next message.
    pub(crate) fn latency(&mut self) -> Micros {
        self.rng.random_range(self.low..=self.high)
    }

    /// Whether the next message is lost.
    pub(crate) fn lost(&mut self) -> bool {
        self.loss > 0.0 && self.rng.random::<f64>() < self.loss
    }

    /// Whether the next message is delivered twice.
    pub(crate) fn duplicated(&mut self) -> bool {
        self.duplicate > 0.0 && self.rng.random::<f64>() < self.duplicate
    }

    /// How long a sender takes to learn that a message could not reach a crashed peer: a
    /// connection attempt's round trip, as a transport would report a refused or reset
    /// connection.
    pub(crate) fn failure_notice(&self) -> Micros {
        2 * self.high + 1_000
    }
}
