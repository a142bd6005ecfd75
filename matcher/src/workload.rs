//! Seeded workload generators: subscriptions and events for benchmarks and simulations.
//!
//! Two workloads:
//!
//! - [`IntervalWorkload`], the field's standard (used by the harnesses of Rein, OpIndex, H-Tree,
//!   TAMA and Siena): integer attributes `a0..`, each subscription a conjunction of `lo <= a <=
//!   lo + width * domain` on distinct random attributes, each event carrying every attribute.
//!   With the defaults about one subscription in a thousand matches an event.
//! - [`MarketWorkload`], sift's realistic workload: a stream of stock ticks and the alerts
//!   traders set on them. Symbols are Zipf-popular both in events and in subscriptions, and the
//!   filters mix string equality, numeric ranges, in-lists, prefixes, negations, array
//!   membership and regular expressions. docs/benchmarks.md describes the mix.
//!
//! Generators take the RNG from the caller and never read a clock, so a seed reproduces a
//! workload exactly.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::event::{Event, EventLimits};
use crate::value::Value;

/// The RNG every generator draws from; ChaCha8 keeps its output stable across releases.
pub type WorkloadRng = ChaCha8Rng;

/// Parameters of the interval workload.
#[derive(Clone, Debug, PartialEq)]
pub struct IntervalWorkload {
    /// Attributes per event (`a0`, `a1`, ...).
    pub attrs: usize,
    /// Constraints per subscription, on distinct attributes; at most `attrs`.
    pub constraints: usize,
    /// Values are drawn from `[0, domain)`.
    pub domain: i64,
    /// Width of each constraint's range as a fraction of the domain, in `(0, 1]`.
    pub width: f64,
}

impl Default for IntervalWorkload {
    fn default() -> Self {
        IntervalWorkload {
            attrs: 20,
            constraints: 10,
            domain: 1_000_000,
            width: 0.5,
        }
    }
}

impl IntervalWorkload {
    /// Checks the parameters, with a message naming the one that is off.
    pub fn validate(&self) -> Result<(), String> {
        if self.attrs == 0 || self.attrs > 256 {
            return Err(format!(
                "attrs must be between 1 and 256, not {}",
                self.attrs
            ));
        }
        if self.constraints == 0 || self.constraints > self.attrs {
            return Err(format!(
                "constraints must be between 1 and attrs ({}), not {}",
                self.attrs, self.constraints
            ));
        }
        if self.domain < 1 {
            return Err(format!("domain must be at least 1, not {}", self.domain));
        }
        if !(self.width > 0.0 && self.width <= 1.0) {
            return Err(format!("width must be in (0, 1], not {}", self.width));
        }
        Ok(())
    }

    /// One subscription's filter text.
    pub fn subscription(&self, rng: &mut WorkloadRng) -> String {
        let span = ((self.domain as f64) * self.width) as i64;
        let mut attrs: Vec<usize> = (0..self.attrs).collect();
        // Partial Fisher-Yates: the first `constraints` entries become a uniform sample.
        for i in 0..self.constraints {
            let j = rng.random_range(i..attrs.len());
            attrs.swap(i, j);
        }
        let mut clauses = Vec::with_capacity(self.constraints);
        for &a in &attrs[..self.constraints] {
            let lo = rng.random_range(0..=(self.domain - span).max(0));
            clauses.push(format!("a{a} >= {lo} && a{a} <= {}", lo + span));
        }
        clauses.join(" && ")
    }

    /// One event: every attribute with a uniform value.
    pub fn event(&self, rng: &mut WorkloadRng) -> Event {
        let attributes = (0..self.attrs).map(|a| {
            (
                format!("a{a}"),
                vec![Value::Int(rng.random_range(0..self.domain))],
            )
        });
        Event::from_attributes(attributes, &EventLimits::default())
            .expect("generated events are within the default limits")
    }
}

/// Draws ranks `0..n` with probability proportional to `1 / (rank + 1)^s`.
#[derive(Clone, Debug)]
pub struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    /// `n` must be at least 1.
    pub fn new(n: usize, s: f64) -> Zipf {
        let mut total = 0.0;
        let cumulative = (0..n.max(1))
            .map(|rank| {
                total += 1.0 / ((rank + 1) as f64).powf(s);
                total
            })
            .collect();
        Zipf { cumulative }
    }

    pub fn sample(&self, rng: &mut WorkloadRng) -> usize {
        let total = *self.cumulative.last().expect("at least one rank");
        let x = rng.random::<f64>() * total;
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(self.cumulative.len() - 1)
    }
}

const EXCHANGES: [&str; 8] = [
    "NYSE", "NASDAQ", "LSE", "XETRA", "TSE", "HKEX", "EURONEXT", "SIX",
];
const SECTORS: [&str; 12] = [
    "tech",
    "energy",
    "finance",
    "health",
    "retail",
    "industrial",
    "materials",
    "utilities",
    "telecom",
    "realestate",
    "media",
    "transport",
];
const TAGS: [&str; 8] = [
    "earnings",
    "dividend",
    "split",
    "merger",
    "guidance",
    "insider",
    "upgrade",
    "downgrade",
];
const HEADLINES: [&str; 6] = [
    "quarterly results beat estimates",
    "announces merger talks",
    "board approves buyback",
    "guidance cut on weak demand",
    "CEO steps down",
    "acquisition of rival completed",
];

/// Parameters of the market workload.
#[derive(Clone, Debug, PartialEq)]
pub struct MarketWorkload {
    /// Distinct ticker symbols.
    pub symbols: usize,
    /// Zipf exponent of symbol popularity (events and subscriptions alike).
    pub zipf: f64,
}

impl Default for MarketWorkload {
    fn default() -> Self {
        MarketWorkload {
            symbols: 10_000,
            zipf: 1.0,
        }
    }
}

/// The market workload with its samplers built.
#[derive(Clone, Debug)]
pub struct Market {
    params: MarketWorkload,
    popularity: Zipf,
}

impl MarketWorkload {
    pub fn build(&self) -> Market {
        Market {
            params: self.clone(),
            popularity: Zipf::new(self.symbols, self.zipf),
        }
    }
}

impl Market {
    fn symbol(&self, rank: usize) -> String {
        format!("SYM{rank:05}")
    }

    /// A stable reference price per symbol, between 5 and 1000.
    fn base_price(&self, rank: usize) -> f64 {
        let mixed = (rank as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        5.0 + (mixed % 99_500) as f64 / 100.0
    }

    /// A sector per symbol, stable.
    fn sector(&self, rank: usize) -> &'static str {
        SECTORS[rank % SECTORS.len()]
    }

    /// One tick.
    pub fn event(&self, rng: &mut WorkloadRng) -> Event {
        let rank = self.popularity.sample(rng);
        let base = self.base_price(rank);
        let price = (base * rng.random_range(0.9..1.1) * 100.0).round() / 100.0;
        let volume = 10f64.powf(rng.random_range(0.0..6.0)) as i64;
        let mut attributes = vec![
            (
                "symbol".to_string(),
                vec![Value::from(self.symbol(rank).as_str())],
            ),
            (
                "exchange".to_string(),
                vec![Value::from(EXCHANGES[rank % EXCHANGES.len()])],
            ),
            ("sector".to_string(), vec![Value::from(self.sector(rank))]),
            ("price".to_string(), vec![Value::Float(price)]),
            ("volume".to_string(), vec![Value::Int(volume)]),
        ];
        if rng.random_bool(0.1) {
            let tag_count = rng.random_range(1..=2);
            let tags = (0..tag_count)
                .map(|_| Value::from(TAGS[rng.random_range(0..TAGS.len())]))
                .collect();
            attributes.push(("tags".to_string(), tags));
        }
        if rng.random_bool(0.2) {
            let headline = HEADLINES[rng.random_range(0..HEADLINES.len())];
            attributes.push(("news".to_string(), vec![Value::from(headline)]));
        }
        Event::from_attributes(attributes, &EventLimits::default())
            .expect("generated events are within the default limits")
    }

    /// One subscription's filter text, from a weighted mix of templates (percentages in the
    /// arms).
    pub fn subscription(&self, rng: &mut WorkloadRng) -> String {
        let rank = self.popularity.sample(rng);
        let symbol = self.symbol(rank);
        let base = self.base_price(rank);
        let roll = rng.random_range(0..100);
        match roll {
            // 35: price alert above a level (ticks move at most 10% around the reference).
            0..35 => format!(
                "symbol == \"{symbol}\" && price > {:.2}",
                base * rng.random_range(1.05..1.5)
            ),
            // 20: price alert below a level.
            35..55 => format!(
                "symbol == \"{symbol}\" && price < {:.2}",
                base * rng.random_range(0.5..0.95)
            ),
            // 10: a short watch list (Zipf-popular, like everything else) with a high volume floor.
            55..65 => {
                let others: Vec<String> = (0..2)
                    .map(|_| format!("\"{}\"", self.symbol(self.popularity.sample(rng))))
                    .collect();
                format!(
                    "symbol in [\"{symbol}\", {}] && volume >= {}",
                    others.join(", "),
                    rng.random_range(500_000..1_000_000)
                )
            }
            // 10: tagged news on one symbol, outside one exchange.
            65..75 => format!(
                "symbol == \"{symbol}\" && tags == \"{}\" && !(exchange == \"{}\")",
                TAGS[rng.random_range(0..TAGS.len())],
                EXCHANGES[rng.random_range(0..EXCHANGES.len())]
            ),
            // 10: a family of ten symbols by prefix (families equally popular), with a
            // large-trade threshold.
            75..85 => {
                let family = self.symbol(rng.random_range(0..self.params.symbols));
                format!(
                    "symbol prefix \"{}\" && volume > {}",
                    &family[..7],
                    rng.random_range(200_000..900_000)
                )
            }
            // 5: headline search on one symbol.
            85..90 => format!("symbol == \"{symbol}\" && news =~ \"(?i)(merger|acquisition)\""),
            // 8: a sector and exchange with a price band and volume floor.
            90..98 => {
                let lo = rng.random_range(5.0..900.0f64);
                format!(
                    "sector == \"{}\" && exchange == \"{}\" && price >= {lo:.2} && price <= {:.2} && volume > {}",
                    SECTORS[rng.random_range(0..SECTORS.len())],
                    EXCHANGES[rng.random_range(0..EXCHANGES.len())],
                    lo * 1.05,
                    10i64.pow(rng.random_range(5..6))
                )
            }
            // 2: no anchor at all: a price band with a volume floor, on any symbol.
            _ => {
                let lo = rng.random_range(5.0..990.0f64);
                format!(
                    "price >= {lo:.2} && price <= {:.2} && volume > 900000",
                    lo + 0.5
                )
            }
        }
    }

    pub fn params(&self) -> &MarketWorkload {
        &self.params
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::filter::Filter;

    #[test]
    fn generated_filters_parse_and_are_reproducible() {
        let market = MarketWorkload::default().build();
        let interval = IntervalWorkload::default();
        let mut a = WorkloadRng::seed_from_u64(7);
        let mut b = WorkloadRng::seed_from_u64(7);
        for _ in 0..500 {
            let text = market.subscription(&mut a);
            Filter::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(text, market.subscription(&mut b));
            let text = interval.subscription(&mut a);
            Filter::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(text, interval.subscription(&mut b));
            assert_eq!(market.event(&mut a), market.event(&mut b));
        }
    }

    #[test]
    fn zipf_prefers_low_ranks() {
        let zipf = Zipf::new(100, 1.0);
        let mut rng = WorkloadRng::seed_from_u64(1);
        let mut counts = [0usize; 100];
        for _ in 0..20_000 {
            counts[zipf.sample(&mut rng)] += 1;
        }
        // Rank 0 has probability 1/H(100) ≈ 0.19, rank 9 about 0.019.
        assert!(
            counts[0] > 3000 && counts[0] < 4600,
            "rank 0 drawn {} times",
            counts[0]
        );
        assert!(counts[0] > 5 * counts[9]);
    }

    #[test]
    fn interval_validation_names_the_parameter() {
        let bad = IntervalWorkload {
            constraints: 30,
            ..IntervalWorkload::default()
        };
        assert!(bad.validate().unwrap_err().contains("constraints"));
        assert!(IntervalWorkload::default().validate().is_ok());
    }
}
