//! The gossip protocols' parameters as a user gives them: `sift sim` and `sift node` flags,
//! and the `[gossip]` table of a node's configuration file.

use anyhow::{Result, bail};
use clap::Args;
use serde::{Deserialize, Serialize};
use sift_core::Micros;
use sift_core::gossip::{Exchange, GossipConfig, LossOfInterest};
use sift_scenarios::Scenario;

/// Every field is optional: what is not given keeps its default (or the file's value, for
/// a flag).
#[derive(Clone, Debug, Default, PartialEq, Args, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GossipSettings {
    /// Gossip round length in milliseconds (rumor, anti-entropy, pbcast) [default: 200]
    #[arg(long, value_name = "MS")]
    pub round_ms: Option<f64>,
    /// When rumor mongering loses interest: feedback-coin, feedback-counter, blind-coin or
    /// blind-counter [default: feedback-coin]
    #[arg(long, value_name = "VARIANT")]
    pub rumor: Option<LossOfInterest>,
    /// Rumor mongering's k: lose interest with probability 1/k, or after k contacts
    /// [default: 2]
    #[arg(long)]
    pub k: Option<u32>,
    /// Peers a rumor is pushed to per round, and pbcast's first-phase fanout [default: 1
    /// for rumor, 3 for pbcast]
    #[arg(long)]
    pub fanout: Option<usize>,
    /// Anti-entropy behind rumor mongering: push, pull or push-pull [default: none]
    #[arg(long, value_name = "MODE")]
    pub anti_entropy: Option<Exchange>,
    /// The anti-entropy strategy's exchange: push, pull or push-pull [default: push-pull]
    #[arg(long)]
    pub mode: Option<Exchange>,
    /// Blind counter: neighbours an event is forwarded to each time [default: 2]
    #[arg(long = "b", value_name = "B")]
    pub b: Option<usize>,
    /// Blind counter: receipts of an event that each trigger a forward [default: 2]
    #[arg(long = "f", value_name = "F")]
    pub f: Option<u32>,
    /// Rounds pbcast gossips about an event [default: 20]
    #[arg(long, value_name = "ROUNDS")]
    pub pbcast_rounds: Option<u32>,
    /// How long Plumtree waits for an announced event before grafting, in milliseconds
    /// [default: 1000]
    #[arg(long, value_name = "MS")]
    pub graft_timeout_ms: Option<f64>,
}

impl GossipSettings {
    /// These settings, with those `flags` gives taking precedence.
    pub fn overridden_by(self, flags: &GossipSettings) -> GossipSettings {
        GossipSettings {
            round_ms: flags.round_ms.or(self.round_ms),
            rumor: flags.rumor.or(self.rumor),
            k: flags.k.or(self.k),
            fanout: flags.fanout.or(self.fanout),
            anti_entropy: flags.anti_entropy.or(self.anti_entropy),
            mode: flags.mode.or(self.mode),
            b: flags.b.or(self.b),
            f: flags.f.or(self.f),
            pbcast_rounds: flags.pbcast_rounds.or(self.pbcast_rounds),
            graft_timeout_ms: flags.graft_timeout_ms.or(self.graft_timeout_ms),
        }
    }

    /// Every gossip key of `scenario`: what a real node needs to run as the scenario's do.
    pub fn of_scenario(scenario: &Scenario) -> GossipSettings {
        GossipSettings {
            round_ms: Some(scenario.round_ms),
            rumor: Some(scenario.rumor),
            k: Some(scenario.k),
            fanout: scenario.fanout,
            anti_entropy: scenario.anti_entropy,
            mode: Some(scenario.mode),
            b: Some(scenario.b),
            f: Some(scenario.f),
            pbcast_rounds: Some(scenario.pbcast_rounds),
            graft_timeout_ms: Some(scenario.graft_timeout_ms),
        }
    }

    /// Sets the scenario keys these settings give; the scenario's validation checks them.
    pub fn apply_to_scenario(&self, scenario: &mut Scenario) {
        macro_rules! set {
            ($($field:ident),*) => {
                $(if let Some(value) = self.$field { scenario.$field = value; })*
            };
        }
        set!(
            round_ms,
            rumor,
            k,
            mode,
            b,
            f,
            pbcast_rounds,
            graft_timeout_ms
        );
        if self.fanout.is_some() {
            scenario.fanout = self.fanout;
        }
        if self.anti_entropy.is_some() {
            scenario.anti_entropy = self.anti_entropy;
        }
    }

    /// Sets what these settings give in a node's configuration, after checking it.
    pub fn apply(&self, config: &mut GossipConfig) -> Result<()> {
        let millis = |name: &str, value: Option<f64>| -> Result<Option<Micros>> {
            match value {
                Some(ms) if !(ms.is_finite() && ms > 0.0) => {
                    bail!("{name} must be a positive number of milliseconds, not {ms}")
                }
                Some(ms) => Ok(Some((ms * 1_000.0).round().max(1.0) as Micros)),
                None => Ok(None),
            }
        };
        for (name, value) in [
            ("k", self.k.map(|k| k as usize)),
            ("fanout", self.fanout),
            ("b", self.b),
            ("f", self.f.map(|f| f as usize)),
            ("pbcast rounds", self.pbcast_rounds.map(|r| r as usize)),
        ] {
            if value == Some(0) {
                bail!("{name} must be at least 1");
            }
        }
        let round = millis("the gossip round", self.round_ms)?;
        let graft_timeout = millis("the graft timeout", self.graft_timeout_ms)?;
        // Checked: from here on nothing fails.
        if let Some(round) = round {
            config.round = round;
        }
        if let Some(timeout) = graft_timeout {
            config.plumtree.graft_timeout = timeout;
        }
        if let Some(rumor) = self.rumor {
            config.rumor.loss_of_interest = rumor;
        }
        if let Some(k) = self.k {
            config.rumor.k = k;
        }
        if let Some(fanout) = self.fanout {
            config.rumor.fanout = fanout;
            config.pbcast.fanout = fanout;
        }
        if self.anti_entropy.is_some() {
            config.rumor.anti_entropy = self.anti_entropy;
        }
        if let Some(mode) = self.mode {
            config.anti_entropy.exchange = mode;
        }
        if let Some(b) = self.b {
            config.blind_counter.b = b;
        }
        if let Some(f) = self.f {
            config.blind_counter.f = f;
        }
        if let Some(rounds) = self.pbcast_rounds {
            config.pbcast.rounds = rounds;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_bad_values_are_named() {
        let file: GossipSettings =
            toml::from_str("k = 3\nmode = \"pull\"\nrumor = \"blind-coin\"").unwrap();
        let flags = GossipSettings {
            k: Some(5),
            fanout: Some(2),
            ..GossipSettings::default()
        };
        let mut config = GossipConfig::default();
        file.overridden_by(&flags).apply(&mut config).unwrap();
        assert_eq!(config.rumor.k, 5);
        assert_eq!(config.rumor.fanout, 2);
        assert_eq!(config.pbcast.fanout, 2);
        assert_eq!(config.anti_entropy.exchange, Exchange::Pull);
        assert_eq!(config.rumor.loss_of_interest, LossOfInterest::BlindCoin);
        assert!(toml::from_str::<GossipSettings>("kk = 3").is_err());
        let zero = GossipSettings {
            b: Some(0),
            ..GossipSettings::default()
        };
        let error = zero.apply(&mut config).unwrap_err().to_string();
        assert!(error.contains("b must be at least 1"), "{error}");
        let negative = GossipSettings {
            round_ms: Some(-1.0),
            ..GossipSettings::default()
        };
        assert!(negative.apply(&mut config).is_err());
        // Nothing was changed by the refused settings.
        assert_eq!(config.blind_counter.b, 2);
    }
}
