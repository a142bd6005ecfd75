//! `sift bench pubsub`: one node, one publisher, many subscribers with equality filters,
//! through the HTTP API (batches of JSON lines in, Server-Sent-Events streams out); then the
//! same task on nats-server with subject subscriptions, as a reference.
//!
//! Subscriber `i` wants symbol `S{i mod symbols}`; event `n` carries symbol
//! `S{n mod symbols}` and the time it was sent, so every event reaches
//! `subscribers / symbols` subscribers and each delivery's latency is measured from the
//! publisher's clock to the subscriber's (one machine, one clock).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use futures::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};
use sift_node::{Node, NodeConfig};
use tokio::task::JoinSet;

use super::nats::NatsConnection;
use super::sse::SseParser;

#[derive(Debug, Args)]
pub struct PubSubBenchArgs {
    /// Subscribers, each with one equality filter
    #[arg(long, default_value_t = 100)]
    subscribers: usize,
    /// Distinct symbols; each event reaches subscribers/symbols of them
    #[arg(long, default_value_t = 10)]
    symbols: usize,
    /// Events to publish
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// Events per publish request (sift) or per flush (nats)
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// The nats-server binary (Debian package nats-server)
    #[arg(long, default_value = "nats-server")]
    nats_server: PathBuf,
    /// Measure sift only
    #[arg(long)]
    no_nats: bool,
    /// Print the results as JSON
    #[arg(long)]
    json: bool,
}

/// What one system did with the task.
#[derive(Debug, Serialize)]
struct Run {
    system: &'static str,
    events: usize,
    events_per_s_in: f64,
    deliveries: u64,
    expected_deliveries: u64,
    deliveries_per_s_out: f64,
    latency_p50_us: u64,
    latency_p99_us: u64,
}

/// Deliveries one subscriber received, and their latencies.
type Received = Vec<u64>;

/// Give up waiting for deliveries this long after the last event was sent.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros() as u64
}

fn event_payload(n: usize, symbols: usize) -> String {
    json!({"symbol": format!("S{}", n % symbols), "seq": n, "sent_us": now_us()}).to_string()
}

fn latency_of(event: &Value) -> u64 {
    now_us().saturating_sub(event["sent_us"].as_u64().unwrap_or(0))
}

impl PubSubBenchArgs {
    pub fn run(self) -> Result<()> {
        if self.subscribers == 0 || self.symbols == 0 || self.symbols > self.subscribers {
            bail!("need 1 <= --symbols <= --subscribers");
        }
        if self.events == 0 || self.batch == 0 {
            bail!("--events and --batch must be at least 1");
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let mut runs = vec![runtime.block_on(self.sift())?];
        if !self.no_nats {
            match runtime.block_on(self.nats()) {
                Ok(run) => runs.push(run),
                Err(error) => eprintln!("sift: the nats-server reference did not run: {error:#}"),
            }
        }
        if self.json {
            println!("{}", serde_json::to_string_pretty(&runs)?);
            return Ok(());
        }
        println!(
            "1 node, 1 publisher, {} subscribers ({} per symbol), {} events in batches of {}",
            self.subscribers,
            self.subscribers / self.symbols,
            self.events,
            self.batch
        );
        println!(
            "{:<12} {:>12} {:>16} {:>10} {:>10} {:>22}",
            "", "events/s in", "deliveries/s out", "p50", "p99", "delivered"
        );
        for run in &runs {
            println!(
                "{:<12} {:>12.0} {:>16.0} {:>8.2}ms {:>8.2}ms {:>22}",
                run.system,
                run.events_per_s_in,
                run.deliveries_per_s_out,
                run.latency_p50_us as f64 / 1e3,
                run.latency_p99_us as f64 / 1e3,
                format!("{} of {}", run.deliveries, run.expected_deliveries)
            );
        }
        Ok(())
    }

    /// Deliveries subscriber `i` is owed.
    fn owed(&self, i: usize) -> usize {
        let symbol = i % self.symbols;
        (0..self.events)
            .filter(|n| n % self.symbols == symbol)
            .count()
    }

    async fn sift(&self) -> Result<Run> {
        let mut config = NodeConfig::ephemeral();
        config.api = Some("127.0.0.1:0".parse().expect("a socket address"));
        // Every event fits in each stream's backlog: the benchmark measures throughput, not
        // what a node drops for a consumer that cannot keep up.
        config.limits.max_stream_backlog = self.events;
        config.limits.max_subscriptions = self.subscribers + 1;
        let node = Node::start(config).await?;
        let api = format!("http://{}", node.api_addr().context("the API is served")?);
        let client = reqwest::Client::new();
        let mut subscribers = JoinSet::new();
        for i in 0..self.subscribers {
            let filter = format!("symbol == \"S{}\"", i % self.symbols);
            let sub: Value = client
                .post(format!("{api}/v1/subscriptions"))
                .json(&json!({"filter": filter}))
                .send()
                .await?
                .json()
                .await?;
            let id = sub["id"].as_str().context("a subscription id")?.to_owned();
            let stream = client
                .get(format!("{api}/v1/subscriptions/{id}/stream"))
                .send()
                .await?;
            let owed = self.owed(i);
            subscribers.spawn(async move {
                let mut latencies: Received = Vec::with_capacity(owed);
                let mut parser = SseParser::default();
                let mut body = stream.bytes_stream();
                while latencies.len() < owed {
                    let Some(Ok(chunk)) = body.next().await else {
                        break;
                    };
                    let Ok(events) = parser.feed(&chunk) else {
                        break;
                    };
                    for (kind, data) in events {
                        if kind == "event"
                            && let Ok(delivery) = serde_json::from_str::<Value>(&data)
                        {
                            latencies.push(latency_of(&delivery["event"]));
                        }
                    }
                }
                latencies
            });
        }
        let start = Instant::now();
        let mut sent = 0;
        while sent < self.events {
            let end = (sent + self.batch).min(self.events);
            let lines: Vec<String> = (sent..end)
                .map(|n| event_payload(n, self.symbols))
                .collect();
            let response = client
                .post(format!("{api}/v1/events/batch"))
                .body(lines.join("\n"))
                .send()
                .await?;
            if !response.status().is_success() {
                bail!("publishing a batch: {}", response.text().await?);
            }
            sent = end;
        }
        let published = start.elapsed();
        let run = self.collect("sift", subscribers, start, published).await;
        node.shutdown().await;
        run
    }

    async fn nats(&self) -> Result<Run> {
        let server = NatsServer::start(&self.nats_server)?;
        let mut subscribers = JoinSet::new();
        for i in 0..self.subscribers {
            let mut connection = NatsConnection::connect(&server.address).await?;
            connection
                .subscribe(&format!("tick.S{}", i % self.symbols), 1)
                .await?;
            let owed = self.owed(i);
            subscribers.spawn(async move {
                let mut latencies: Received = Vec::with_capacity(owed);
                while latencies.len() < owed {
                    let Ok(payload) = connection.next_message().await else {
                        break;
                    };
                    if let Ok(event) = serde_json::from_slice::<Value>(&payload) {
                        latencies.push(latency_of(&event));
                    }
                }
                latencies
            });
        }
        let mut publisher = NatsConnection::connect(&server.address).await?;
        let start = Instant::now();
        for n in 0..self.events {
            let subject = format!("tick.S{}", n % self.symbols);
            publisher
                .publish(&subject, event_payload(n, self.symbols).as_bytes())
                .await?;
            if (n + 1) % self.batch == 0 || n + 1 == self.events {
                publisher.round_trip().await?;
            }
        }
        let published = start.elapsed();
        self.collect("nats-server", subscribers, start, published)
            .await
    }

    /// Waits for the subscribers (at most [`DRAIN_TIMEOUT`] after publishing) and sums up.
    async fn collect(
        &self,
        system: &'static str,
        mut subscribers: JoinSet<Received>,
        start: Instant,
        published: Duration,
    ) -> Result<Run> {
        let mut latencies = Vec::new();
        let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
            while let Some(received) = subscribers.join_next().await {
                latencies.extend(received.unwrap_or_default());
            }
        })
        .await;
        if drained.is_err() {
            eprintln!(
                "sift: {system}: some subscribers were still short of events after {DRAIN_TIMEOUT:?}"
            );
            subscribers.abort_all();
        }
        let finished = start.elapsed();
        latencies.sort_unstable();
        let percentile = |q: f64| {
            latencies
                .get(((latencies.len().saturating_sub(1)) as f64 * q).round() as usize)
                .copied()
                .unwrap_or(0)
        };
        let expected: usize = (0..self.subscribers).map(|i| self.owed(i)).sum();
        Ok(Run {
            system,
            events: self.events,
            events_per_s_in: self.events as f64 / published.as_secs_f64(),
            deliveries: latencies.len() as u64,
            expected_deliveries: expected as u64,
            deliveries_per_s_out: latencies.len() as f64 / finished.as_secs_f64(),
            latency_p50_us: percentile(0.5),
            latency_p99_us: percentile(0.99),
        })
    }
}

/// A nats-server on a loopback port of its own, stopped (by pid) when dropped.
struct NatsServer {
    child: Child,
    address: String,
}

impl NatsServer {
    fn start(binary: &PathBuf) -> Result<NatsServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(binary)
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| {
                format!(
                    "cannot run {} (install the Debian package nats-server, or give --nats-server PATH, or --no-nats)",
                    binary.display()
                )
            })?;
        let server = NatsServer {
            child,
            address: format!("127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(&server.address).is_err() {
            if Instant::now() > deadline {
                bail!("nats-server did not start listening on {}", server.address);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
