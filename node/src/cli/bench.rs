//! `sift bench match`: measures the subscription index (or the naive scan) on a workload.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use rand::SeedableRng;
use serde::Serialize;
use sift_matcher::workload::{IntervalWorkload, MarketWorkload, WorkloadRng};

use super::progress_bar;
use sift_matcher::{Event, EventLimits, Filter, MatchBuffers, SubscriptionIndex};

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    target: BenchTarget,
}

#[derive(Debug, Subcommand)]
enum BenchTarget {
    /// Matching speed and memory of the subscription index.
    Match(MatchBenchArgs),
    /// One node's publish-to-notify throughput and latency over the HTTP API, beside
    /// nats-server on the same task.
    Pubsub(super::bench_pubsub::PubSubBenchArgs),
}

impl BenchArgs {
    pub fn run(self) -> Result<()> {
        match self.target {
            BenchTarget::Match(args) => args.run(),
            BenchTarget::Pubsub(args) => args.run(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
enum WorkloadKind {
    /// The field's standard: integer ranges on a0..aN (see --attrs and friends).
    Interval,
    /// Stock ticks and traders' alerts: Zipf-popular symbols, ranges, in-lists, prefixes,
    /// negations, regexes (docs/benchmarks.md).
    Realistic,
}

/// Loads subscriptions into the index, then matches events one at a time and reports the
/// time per insertion and per event, matches per event and memory per subscription.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sift bench match --subs 1000000\n  sift bench match --workload realistic --subs 1000000 --json\n  sift bench match --subs 100000 --naive\n  sift bench match --subs-file filters.txt --events-file events.jsonl"
)]
struct MatchBenchArgs {
    #[arg(long, value_enum, default_value_t = WorkloadKind::Interval)]
    workload: WorkloadKind,
    /// Subscriptions to load (generated workloads).
    #[arg(long, default_value_t = 100_000)]
    subs: usize,
    /// Events to match (generated workloads).
    #[arg(long, default_value_t = 1_000)]
    events: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Interval workload: attributes per event.
    #[arg(long, default_value_t = 20)]
    attrs: usize,
    /// Interval workload: constraints per subscription.
    #[arg(long, default_value_t = 10)]
    constraints: usize,
    /// Interval workload: values lie in [0, domain).
    #[arg(long, default_value_t = 1_000_000)]
    domain: i64,
    /// Interval workload: each range's width as a fraction of the domain.
    #[arg(long, default_value_t = 0.5)]
    width: f64,
    /// Measure the naive linear scan (every filter evaluated) instead of the index.
    #[arg(long)]
    naive: bool,
    /// Your own subscriptions: one filter per line (blank lines and lines starting with # are
    /// skipped). Needs --events-file.
    #[arg(long, requires = "events_file")]
    subs_file: Option<PathBuf>,
    /// Your own events: one JSON object per line. Needs --subs-file.
    #[arg(long, requires = "subs_file")]
    events_file: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    workload: String,
    engine: &'static str,
    seed: u64,
    subscriptions: usize,
    events: usize,
    insert_us_per_sub: f64,
    match_us_mean: f64,
    match_us_p50: f64,
    match_us_p99: f64,
    matches_per_event: f64,
    bytes_per_sub: f64,
}

/// What is being measured: the index, or every filter evaluated in turn.
enum Engine {
    Index(Box<SubscriptionIndex<u32>>),
    Naive(Vec<Filter>),
}

impl Engine {
    fn insert(&mut self, id: u32, filter: &Filter) {
        match self {
            Engine::Index(index) => index.insert(id, filter),
            Engine::Naive(filters) => filters.push(filter.clone()),
        }
    }

    /// Matches `event`; `buffers` are kept from one event to the next, as a matcher running
    /// for long keeps them.
    fn count_matches(&self, event: &Event, buffers: &mut MatchBuffers) -> usize {
        match self {
            Engine::Index(index) => index.matches_with(event, buffers).len(),
            Engine::Naive(filters) => filters.iter().filter(|f| f.matches(event)).count(),
        }
    }
}

/// Where subscriptions and events come from.
enum Source {
    Interval(IntervalWorkload),
    Market(sift_matcher::workload::Market),
    Files {
        filters: FileLines,
        events: Vec<Event>,
    },
}

impl Source {
    /// Where subscription `i` (from 0) comes from, for an error about it.
    fn subscription_place(&self, i: usize) -> String {
        match self {
            Source::Files { filters, .. } => filters.place(filters.lines[i].0),
            Source::Interval(_) | Source::Market(_) => format!("subscription {}", i + 1),
        }
    }
}

impl MatchBenchArgs {
    fn run(self) -> Result<()> {
        let (source, description) = self.source()?;
        let mut sub_rng = WorkloadRng::seed_from_u64(self.seed);
        let mut event_rng = WorkloadRng::seed_from_u64(self.seed.wrapping_add(0x5EED));
        let subs = match &source {
            Source::Files { filters, .. } => filters.lines.len(),
            _ => self.subs,
        };
        let mut engine = if self.naive {
            Engine::Naive(Vec::new())
        } else {
            Engine::Index(Box::default())
        };

        // Load in chunks: parse a chunk (untimed), then insert it (timed). Memory is the
        // growth of the resident set over the whole load, so parsed filters waiting in a chunk
        // are transient and counted only in the naive engine, which keeps them.
        const CHUNK: usize = 1_000;
        let progress = progress_bar(subs as u64, "loading subscriptions");
        let rss_before = resident_bytes();
        let mut insert_time = Duration::ZERO;
        let mut loaded = 0;
        while loaded < subs {
            let n = CHUNK.min(subs - loaded);
            let mut chunk = Vec::with_capacity(n);
            for i in loaded..loaded + n {
                let text = match &source {
                    Source::Interval(w) => w.subscription(&mut sub_rng),
                    Source::Market(m) => m.subscription(&mut sub_rng),
                    Source::Files { filters, .. } => filters.lines[i].1.clone(),
                };
                let filter = Filter::parse(&text)
                    .with_context(|| format!("{}: {text}", source.subscription_place(i)))?;
                chunk.push(filter);
            }
            let start = Instant::now();
            for (offset, filter) in chunk.iter().enumerate() {
                engine.insert((loaded + offset) as u32, filter);
            }
            insert_time += start.elapsed();
            // Freeing the parsed filters is the caller's business, not the index's: untimed.
            drop(chunk);
            loaded += n;
            progress.set_position(loaded as u64);
        }
        let rss_after = resident_bytes();
        progress.finish_and_clear();

        let events: Vec<Event> = match &source {
            Source::Interval(w) => (0..self.events).map(|_| w.event(&mut event_rng)).collect(),
            Source::Market(m) => (0..self.events).map(|_| m.event(&mut event_rng)).collect(),
            Source::Files { events, .. } => events.clone(),
        };
        if events.is_empty() {
            bail!("no events to match: give --events 1 or more, or a non-empty --events-file");
        }
        let progress = progress_bar(events.len() as u64, "matching events");
        let mut times = Vec::with_capacity(events.len());
        let mut total_matches = 0usize;
        let mut buffers = MatchBuffers::default();
        for event in &events {
            let start = Instant::now();
            total_matches += engine.count_matches(event, &mut buffers);
            times.push(start.elapsed());
            progress.inc(1);
        }
        progress.finish_and_clear();
        times.sort_unstable();

        let micros = |d: Duration| d.as_secs_f64() * 1e6;
        let mean = times.iter().map(|&d| micros(d)).sum::<f64>() / times.len() as f64;
        let percentile = |p: f64| micros(times[((times.len() - 1) as f64 * p).round() as usize]);
        let report = Report {
            workload: description,
            engine: if self.naive { "naive" } else { "index" },
            seed: self.seed,
            subscriptions: subs,
            events: events.len(),
            insert_us_per_sub: if subs == 0 {
                0.0
            } else {
                micros(insert_time) / subs as f64
            },
            match_us_mean: mean,
            match_us_p50: percentile(0.5),
            match_us_p99: percentile(0.99),
            matches_per_event: total_matches as f64 / events.len() as f64,
            bytes_per_sub: match (rss_before, rss_after) {
                (Some(before), Some(after)) if subs > 0 => {
                    after.saturating_sub(before) as f64 / subs as f64
                }
                _ => f64::NAN,
            },
        };
        if self.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            print_table(&report);
        }
        Ok(())
    }

    fn source(&self) -> Result<(Source, String)> {
        if let (Some(filters_path), Some(events_path)) = (&self.subs_file, &self.events_file) {
            let filters = FileLines::read(filters_path)?;
            let event_lines = FileLines::read(events_path)?;
            let limits = EventLimits::default();
            let events = event_lines
                .lines
                .iter()
                .map(|(number, text)| {
                    Event::from_json(text, &limits).with_context(|| event_lines.place(*number))
                })
                .collect::<Result<Vec<_>>>()?;
            let description = format!(
                "files {} and {}",
                filters_path.display(),
                events_path.display()
            );
            return Ok((Source::Files { filters, events }, description));
        }
        if self.subs > u32::MAX as usize {
            bail!("--subs must be at most {}", u32::MAX);
        }
        Ok(match self.workload {
            WorkloadKind::Interval => {
                let workload = IntervalWorkload {
                    attrs: self.attrs,
                    constraints: self.constraints,
                    domain: self.domain,
                    width: self.width,
                };
                workload
                    .validate()
                    .map_err(anyhow::Error::msg)
                    .context("bad interval workload")?;
                let description = format!(
                    "interval (attrs {}, constraints {}, domain {}, width {})",
                    self.attrs, self.constraints, self.domain, self.width
                );
                (Source::Interval(workload), description)
            }
            WorkloadKind::Realistic => {
                let params = MarketWorkload::default();
                let description = format!(
                    "realistic (market: {} symbols, zipf {})",
                    params.symbols, params.zipf
                );
                (Source::Market(params.build()), description)
            }
        })
    }
}

/// The lines of a user's file that hold something: blank lines and lines starting with `#`
/// are skipped.
struct FileLines {
    path: PathBuf,
    /// Each kept line's number in the file (from 1) and its text, trimmed.
    lines: Vec<(usize, String)>,
}

impl FileLines {
    fn read(path: &Path) -> Result<FileLines> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut lines = Vec::new();
        for (number, line) in BufReader::new(file).lines().enumerate() {
            let line = line.with_context(|| format!("cannot read {}", path.display()))?;
            let trimmed = line.trim();
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                lines.push((number + 1, trimmed.to_string()));
            }
        }
        Ok(FileLines {
            path: path.to_path_buf(),
            lines,
        })
    }

    /// Line `number` of the file, for an error about it.
    fn place(&self, number: usize) -> String {
        format!("{} line {number}", self.path.display())
    }
}

/// The process's resident set size, from /proc/self/statm (Linux); `None` elsewhere.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn print_table(r: &Report) {
    println!("workload         {} (seed {})", r.workload, r.seed);
    println!("engine           {}", r.engine);
    println!("subscriptions    {}", r.subscriptions);
    println!(
        "insert           {:.3} µs per subscription",
        r.insert_us_per_sub
    );
    println!(
        "match            mean {:.2} µs, p50 {:.2} µs, p99 {:.2} µs per event ({} events)",
        r.match_us_mean, r.match_us_p50, r.match_us_p99, r.events
    );
    println!("matches/event    {:.2}", r.matches_per_event);
    if r.bytes_per_sub.is_nan() {
        println!("memory           unknown (no /proc/self/statm)");
    } else {
        println!(
            "memory           {:.0} bytes per subscription",
            r.bytes_per_sub
        );
    }
}
