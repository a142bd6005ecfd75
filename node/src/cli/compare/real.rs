//! `--real N`: the comparison on `sift node` processes on loopback, driven through their HTTP
//! APIs with the workload the simulator plays, and checked through their merged traces.
//!
//! Each strategy gets a fresh overlay of N processes of this very binary. Subscriptions are
//! made, the overlay is given the scenario's settle period, the events are published at the
//! scenario's pace, and after another settle period the nodes' counters are read and the
//! nodes stopped; `sift check`'s merge of their traces decides what was missing, spurious or
//! duplicated. Messages count everything the nodes sent while the run lasted, membership
//! keepalives included, so they depend on the run's wall-clock length as well as on the
//! events.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use sift_core::StrategyKind;
use sift_node::{Banner, GossipSettings, read_banner};
use sift_scenarios::{Details, Latency, Load, Scenario, TraceReport, check_traces, workload};

use super::figures::{Figures, Venue};
use crate::cli::progress_bar;

/// How long a node may take to print its addresses, and the overlay to form.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a node may take to shut down before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Nodes a real comparison runs at most: each is a process with its sockets.
pub(super) const MAX_REAL_NODES: usize = 64;

/// A `sift node` process of the comparison; stopped (SIGTERM, by pid) when dropped.
struct RealNode {
    child: Child,
    banner: Banner,
    trace: PathBuf,
}

impl RealNode {
    /// Starts the node `name` with its files (configuration, identity, trace) in `dir`.
    fn start(
        name: &str,
        dir: &Path,
        bootstrap: Option<&str>,
        trace_start: u64,
    ) -> Result<RealNode> {
        let trace = dir.join(format!("{name}.jsonl"));
        let log_path = dir.join(format!("{name}.log"));
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        let exe = std::env::current_exe().context("finding the sift binary")?;
        let mut command = Command::new(exe);
        command
            .args([
                "node",
                "--listen",
                "/ip4/127.0.0.1/tcp/0",
                "--api",
                "127.0.0.1:0",
            ])
            .args(["--name", name, "--config"])
            .arg(dir.join(format!("{name}.toml")))
            .arg("--data-dir")
            .arg(dir.join(name))
            .arg("--trace")
            .arg(&trace)
            .args(["--trace-start", &trace_start.to_string()])
            .env_remove("SIFT_API")
            .env("SIFT_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log);
        if let Some(bootstrap) = bootstrap {
            command.args(["--bootstrap", bootstrap]);
        }
        let mut child = command.spawn().context("starting a sift node process")?;
        let stdout = child.stdout.take().expect("piped stdout");
        match read_banner(stdout, START_TIMEOUT) {
            Ok(banner) => Ok(RealNode {
                child,
                banner,
                trace,
            }),
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                let last: Vec<&str> = log.lines().rev().take(5).collect();
                let said: Vec<&str> = last.into_iter().rev().collect();
                Err(error)
                    .with_context(|| format!("starting node {name}; it said:\n{}", said.join("\n")))
            }
        }
    }

    /// Stops the process as an operator would (SIGTERM, by its pid), so that it writes out
    /// its trace; one still running after [`STOP_TIMEOUT`] is killed.
    fn stop(&mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        if sent.is_ok_and(|s| s.success()) {
            let deadline = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < deadline {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RealNode {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.stop();
        }
    }
}

/// The scenario a real run of `strategy` on `nodes` nodes plays: `base` at that size, with
/// as many brokers as fit a small overlay unless the scenario names them.
pub(super) fn real_scenario(base: &Scenario, strategy: StrategyKind, nodes: usize) -> Scenario {
    let mut scenario = Scenario {
        strategy,
        nodes,
        ..base.clone()
    };
    if let Some(architecture) = strategy.architecture()
        && scenario.brokers.is_none()
    {
        let fitting = (nodes / 4).max(1);
        scenario.brokers = Some(scenario.broker_count(architecture).min(fitting));
    }
    scenario
}

/// Refuses what a real run cannot play as the simulator does: faults, loss and duplication
/// (loopback is what it is), and the keys the daemon is not driven with (subscription expiry
/// and cancellation, the overlay's degree, the lease, the dht's replicas).
pub(super) fn check(scenario: &Scenario) -> Result<()> {
    let defaults = Scenario::default();
    let unsupported = [
        ("faults", !scenario.faults.is_empty()),
        ("loss", scenario.loss > 0.0),
        ("duplicate", scenario.duplicate > 0.0),
        ("ttl_s", scenario.ttl_s.is_some()),
        ("unsubscribe", scenario.unsubscribe > 0.0),
        ("degree", scenario.degree != defaults.degree),
        ("lease_s", scenario.lease_s != defaults.lease_s),
        ("replicas", scenario.replicas != defaults.replicas),
    ];
    let given: Vec<&str> = unsupported
        .iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| *name)
        .collect();
    if !given.is_empty() {
        bail!(
            "--real plays subscriptions and events on loopback as they are; leave out {}",
            given.join(", ")
        );
    }
    if scenario.nodes > MAX_REAL_NODES {
        bail!("--real takes at most {MAX_REAL_NODES} nodes");
    }
    Ok(())
}

/// Runs `scenario` on real nodes and measures it.
pub(super) fn run(scenario: &Scenario) -> Result<Figures> {
    check(scenario)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let dir = RunDir::create(scenario)?;
    runtime.block_on(play(scenario, &dir.0))
}

/// The run's files (configurations, identities, traces, logs), removed when the run ends,
/// whichever way.
struct RunDir(PathBuf);

impl RunDir {
    fn create(scenario: &Scenario) -> Result<RunDir> {
        let dir = std::env::temp_dir().join(format!(
            "sift-compare-{}-{}",
            std::process::id(),
            scenario.strategy
        ));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(RunDir(dir))
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn play(scenario: &Scenario, dir: &Path) -> Result<Figures> {
    let trace_start = sift_node_clock_now();
    let mut nodes: Vec<RealNode> = Vec::with_capacity(scenario.nodes);
    for i in 0..scenario.nodes {
        let name = format!("n{i}");
        write_config(&dir.join(format!("{name}.toml")), scenario, i as u32)?;
        let bootstrap = nodes.first().map(|n| n.banner.address.clone());
        nodes.push(RealNode::start(
            &name,
            dir,
            bootstrap.as_deref(),
            trace_start,
        )?);
    }
    let client = reqwest::Client::new();
    wait_for_overlay(&client, &nodes).await?;

    let work = workload(scenario);
    let bar = progress_bar(
        (work.subscriptions.len() + work.events.len()) as u64,
        "real nodes",
    );
    for (node, filter) in &work.subscriptions {
        let body = json!({ "filter": filter, "callback": { "type": "pull" } });
        request(&client, &nodes[*node as usize], "/v1/subscriptions", body).await?;
        bar.inc(1);
    }
    let settle = Duration::from_millis(scenario.settle_ms);
    tokio::time::sleep(settle).await;
    let mut pace = tokio::time::interval(Duration::from_secs_f64(
        scenario.publish_interval_ms.max(0.001) / 1e3,
    ));
    for (node, event) in &work.events {
        pace.tick().await;
        let body = serde_json::to_value(event).context("encoding an event")?;
        request(&client, &nodes[*node as usize], "/v1/events", body).await?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    tokio::time::sleep(settle).await;

    let mut stats = Vec::with_capacity(nodes.len());
    for node in &nodes {
        stats.push(get(&client, node, "/v1/stats").await?);
    }
    for node in &mut nodes {
        node.stop();
    }
    let traces = nodes
        .iter()
        .map(|node| -> Result<(String, Box<dyn BufRead>)> {
            let file = std::fs::File::open(&node.trace)
                .with_context(|| format!("opening the trace {}", node.trace.display()))?;
            Ok((
                node.trace.display().to_string(),
                Box::new(BufReader::new(file)),
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let report = check_traces(traces, scenario.settle_ms * 1_000)
        .map_err(|e| anyhow!("checking the merged traces: {e}"))?;
    figures(scenario, &stats, report)
}

/// The current time as the nodes' traces count it: microseconds since the Unix epoch.
fn sift_node_clock_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The configuration file of the `index`-th node: the strategy, the gossip parameters and
/// the broker role the scenario gives it.
fn write_config(path: &Path, scenario: &Scenario, index: u32) -> Result<()> {
    let mut text = format!("strategy = \"{}\"\n", scenario.strategy);
    if let Some(role) = scenario.role_of(index) {
        text.push_str(&format!("role = \"{role}\"\n"));
    }
    let gossip = toml::to_string(&GossipSettings::of_scenario(scenario))
        .context("encoding the gossip settings")?;
    text.push_str("[gossip]\n");
    text.push_str(&gossip);
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

async fn wait_for_overlay(client: &reqwest::Client, nodes: &[RealNode]) -> Result<()> {
    let deadline = Instant::now() + START_TIMEOUT;
    for node in nodes {
        loop {
            let stats = get(client, node, "/v1/stats").await?;
            if stats["neighbours"].as_u64().unwrap_or(0) > 0 || nodes.len() == 1 {
                break;
            }
            if Instant::now() > deadline {
                bail!(
                    "node {} found no neighbour in {START_TIMEOUT:?}",
                    node.banner.api
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(())
}

async fn get(client: &reqwest::Client, node: &RealNode, path: &str) -> Result<Value> {
    let url = format!("{}{path}", node.banner.api);
    let response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    response
        .json()
        .await
        .with_context(|| format!("reading GET {url}"))
}

async fn request(client: &reqwest::Client, node: &RealNode, path: &str, body: Value) -> Result<()> {
    let url = format!("{}{path}", node.banner.api);
    let response = client
        .post(&url)
        .json(&body)
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    if !response.status().is_success() {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        bail!("POST {url} answered {status}: {text}");
    }
    Ok(())
}

/// The figures of a real run, from the nodes' counters and the merged traces.
fn figures(scenario: &Scenario, stats: &[Value], report: TraceReport) -> Result<Figures> {
    let counter = |stat: &Value, name: &str| -> Result<u64> {
        stat["counters"][name]
            .as_u64()
            .ok_or_else(|| anyhow!("a node's stats lack the counter {name}"))
    };
    let per_node =
        |name: &str| -> Result<Vec<u64>> { stats.iter().map(|s| counter(s, name)).collect() };
    let sent: u64 = per_node("messages_sent")?.iter().sum();
    let bytes: u64 = per_node("bytes_sent")?.iter().sum();
    let event_messages: u64 = per_node("event_messages_sent")?.iter().sum();
    let received = per_node("messages_received")?;
    let event_handled: Vec<u64> = per_node("event_messages_sent")?
        .iter()
        .zip(per_node("event_messages_received")?)
        .map(|(sent, received)| sent + received)
        .collect();
    let filters = per_node("matching_ops")?;
    let routing: Vec<u64> = stats
        .iter()
        .map(|s| s["routing_entries"].as_u64().unwrap_or(0))
        .collect();
    let events = scenario.events.max(1) as f64;
    Ok(Figures {
        strategy: scenario.strategy,
        venue: Venue::Real,
        point: None,
        nodes: scenario.nodes,
        events: scenario.events,
        messages_per_event: sent as f64 / events,
        bytes_per_event: bytes as f64 / events,
        event_messages_per_event: event_messages as f64 / events,
        latency_us: Latency::of(&report.latencies_us),
        node_load: Load::of(received.iter().copied()),
        event_load: Load::of(event_handled.iter().copied()),
        filter_load: Load::of(filters.iter().copied()),
        routing_entries: Load::of(routing.into_iter()),
        owed: report.owed_deliveries,
        missing: report.missing,
        spurious: report.spurious,
        duplicates: report.duplicates,
        summary: None,
        distributions: Details {
            node_messages: received,
            node_filters: filters,
            node_event_messages: event_handled,
            latencies_us: report.latencies_us,
        },
    })
}
