//! `--sweep KEY=V1,V2,...`: the scenario key a comparison repeats across, and its values.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use sift_scenarios::Scenario;

/// The keys a comparison can sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum SweepKey {
    Nodes,
    Subs,
    Events,
    Loss,
}

impl SweepKey {
    pub(super) fn name(self) -> &'static str {
        match self {
            SweepKey::Nodes => "nodes",
            SweepKey::Subs => "subs",
            SweepKey::Events => "events",
            SweepKey::Loss => "loss",
        }
    }

    /// What the key's axis says on a chart.
    pub(super) fn axis(self) -> &'static str {
        match self {
            SweepKey::Nodes => "nodes",
            SweepKey::Subs => "subscriptions",
            SweepKey::Events => "events",
            SweepKey::Loss => "message loss probability",
        }
    }

    /// Whether the values span orders of magnitude, so that a chart takes a log axis.
    pub(super) fn is_scale(self) -> bool {
        self != SweepKey::Loss
    }

    pub(super) fn set(self, scenario: &mut Scenario, value: f64) {
        match self {
            SweepKey::Nodes => scenario.nodes = value as usize,
            SweepKey::Subs => scenario.subs = value as usize,
            SweepKey::Events => scenario.events = value as usize,
            SweepKey::Loss => scenario.loss = value,
        }
    }

    pub(super) fn show(self, value: f64) -> String {
        match self {
            SweepKey::Loss => format!("{value}"),
            _ => format!("{}", value as usize),
        }
    }
}

/// A sweep: one key and the values it takes, in the order given.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Sweep {
    pub(super) key: SweepKey,
    pub(super) values: Vec<f64>,
}

impl FromStr for Sweep {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (key, values) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}` is not KEY=V1,V2,...: e.g. nodes=100,1000"))?;
        let key = match key.trim() {
            "nodes" => SweepKey::Nodes,
            "subs" => SweepKey::Subs,
            "events" => SweepKey::Events,
            "loss" => SweepKey::Loss,
            other => {
                return Err(format!(
                    "cannot sweep `{other}`; the keys are nodes, subs, events and loss"
                ));
            }
        };
        let values = values
            .split(',')
            .map(|v| {
                let value: f64 = v
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{v}` is not a number for {}", key.name()))?;
                let whole = value.is_finite() && value >= 0.0 && value.fract() == 0.0;
                if key != SweepKey::Loss && !whole {
                    return Err(format!("{} takes whole numbers, not `{v}`", key.name()));
                }
                Ok(value)
            })
            .collect::<Result<Vec<f64>, String>>()?;
        Ok(Sweep { key, values })
    }
}

impl fmt::Display for Sweep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values: Vec<String> = self.values.iter().map(|&v| self.key.show(v)).collect();
        write!(f, "{}={}", self.key.name(), values.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps_parse_and_print_back() {
        let sweep: Sweep = "nodes=100,1000,10000".parse().unwrap();
        assert_eq!(sweep.key, SweepKey::Nodes);
        assert_eq!(sweep.values, vec![100.0, 1000.0, 10000.0]);
        assert_eq!(sweep.to_string(), "nodes=100,1000,10000");
        let loss: Sweep = "loss=0,0.05".parse().unwrap();
        assert_eq!(loss.to_string(), "loss=0,0.05");
    }

    #[test]
    fn bad_sweeps_say_what_is_wrong() {
        for (text, needle) in [
            ("nodes", "KEY=V1"),
            ("degree=3", "cannot sweep `degree`"),
            ("nodes=10,x", "`x` is not a number"),
            ("subs=1.5", "whole numbers"),
        ] {
            let error = text.parse::<Sweep>().unwrap_err();
            assert!(error.contains(needle), "{text}: {error}");
        }
    }
}
