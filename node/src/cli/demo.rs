//! `sift demo`: a small overlay of real nodes on loopback, a few subscriptions, a stream of
//! sample events, and every delivery shown as it happens, then checked against what each
//! filter says it should have received.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use sift_core::StrategyKind;
use sift_matcher::{Event, Filter};
use sift_node::{Node, NodeConfig};
use tokio::sync::mpsc;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Nodes in the overlay
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(2..=32))]
    nodes: u16,
    /// Events to publish
    #[arg(long, default_value_t = 20)]
    events: u32,
    /// Pause between two events, in milliseconds
    #[arg(long, default_value_t = 250)]
    interval_ms: u64,
    #[arg(long, default_value = "selective")]
    strategy: StrategyKind,
    /// Seed of the sample events
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Who subscribes to what: (node, filter).
const SUBSCRIPTIONS: [(usize, &str); 4] = [
    (1, r#"symbol == "ACME" && price > 150"#),
    (2, r#"symbol in ["INIT", "GLOBX"]"#),
    (3, "volume >= 8000"),
    (3, r#"symbol == "ACME" && side == "sell""#),
];

impl DemoArgs {
    pub fn run(self) -> ExitCode {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the async runtime");
        super::report(runtime.and_then(|runtime| runtime.block_on(self.demo())))
    }

    async fn demo(self) -> Result<()> {
        let count = usize::from(self.nodes);
        println!(
            "sift demo: {count} nodes on loopback, strategy {}, libp2p over TCP",
            self.strategy
        );
        let mut nodes: Vec<Node> = Vec::with_capacity(count);
        for i in 0..count {
            let mut config = NodeConfig::ephemeral();
            config.strategy = self.strategy;
            config.name = Some(format!("n{i}"));
            if let Some(seed) = nodes.first() {
                config.bootstrap = vec![seed.listen_addrs()[0].clone()];
            }
            let node = Node::start(config).await?;
            println!("  n{i}  {}", node.listen_addrs()[0]);
            nodes.push(node);
        }
        wait_for_neighbours(&nodes).await?;

        // Room for every delivery the demo can cause: each event, once per subscription.
        let room = (self.events as usize * SUBSCRIPTIONS.len()).max(1);
        let (deliveries, mut delivered) = mpsc::channel::<(usize, String)>(room);
        println!("\nsubscriptions:");
        for (index, &(node, filter)) in SUBSCRIPTIONS.iter().enumerate() {
            let node = node % count;
            let deliveries = deliveries.clone();
            nodes[node]
                .subscribe(filter, Some(Duration::from_secs(600)), move |event| {
                    let _ = deliveries.try_send((index, event.to_string()));
                })
                .await?;
            println!("  [{index}] at n{node}: {filter}");
        }
        settle(&nodes).await?;

        println!("\npublishing {} events:", self.events);
        let filters: Vec<Filter> = SUBSCRIPTIONS
            .iter()
            .map(|(_, f)| Filter::parse(f).expect("the demo's filters parse"))
            .collect();
        let mut expected: BTreeMap<usize, usize> = BTreeMap::new();
        let mut received: BTreeMap<usize, usize> = BTreeMap::new();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        for n in 0..self.events {
            let publisher = (n as usize * 2) % count;
            let text = sample_event(&mut rng, n).to_string();
            let event = Event::from_json(&text, &Default::default())?;
            for (index, filter) in filters.iter().enumerate() {
                if filter.matches(&event) {
                    *expected.entry(index).or_default() += 1;
                }
            }
            nodes[publisher].publish(&text).await?;
            println!("  n{publisher} published {text}");
            tokio::time::sleep(Duration::from_millis(self.interval_ms)).await;
            while let Ok((index, event)) = delivered.try_recv() {
                *received.entry(index).or_default() += 1;
                println!(
                    "      -> [{index}] n{} got {event}",
                    SUBSCRIPTIONS[index].0 % count
                );
            }
        }
        // Stragglers still in flight.
        tokio::time::sleep(Duration::from_millis(500)).await;
        while let Ok((index, event)) = delivered.try_recv() {
            *received.entry(index).or_default() += 1;
            println!(
                "      -> [{index}] n{} got {event}",
                SUBSCRIPTIONS[index].0 % count
            );
        }

        println!("\nsubscription  expected  delivered");
        let mut exact = true;
        for index in 0..SUBSCRIPTIONS.len() {
            let want = expected.get(&index).copied().unwrap_or(0);
            let got = received.get(&index).copied().unwrap_or(0);
            exact &= want == got;
            println!("  [{index}]        {want:>8}  {got:>9}");
        }
        for node in nodes {
            node.shutdown().await;
        }
        if !exact {
            bail!("deliveries differ from what the filters say");
        }
        println!("every subscription got exactly the events its filter matches");
        Ok(())
    }
}

fn sample_event(rng: &mut impl Rng, n: u32) -> serde_json::Value {
    const SYMBOLS: [&str; 4] = ["ACME", "INIT", "GLOBX", "UMBR"];
    json!({
        "n": n,
        "symbol": SYMBOLS[rng.random_range(0..SYMBOLS.len())],
        "price": (rng.random_range(5_000..25_000) as f64) / 100.0,
        "volume": rng.random_range(100..10_000),
        "side": if rng.random_bool(0.5) { "buy" } else { "sell" },
    })
}

async fn wait_for_neighbours(nodes: &[Node]) -> Result<()> {
    for _ in 0..100 {
        let mut alone = 0;
        for node in nodes {
            if node.neighbours().await? == 0 {
                alone += 1;
            }
        }
        if alone == 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the overlay did not form within 10 s")
}

/// Waits until an event from every node reaches every other: subscriptions travel the same
/// way as the probes did, so by then the demo's are in place.
async fn settle(nodes: &[Node]) -> Result<()> {
    // A probe lost to a full channel is published again next round.
    let (arrived, mut arrivals) = mpsc::channel(1024);
    let mut probes = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let arrived = arrived.clone();
        let handle = node
            .subscribe(
                "exists(demo_probe)",
                Some(Duration::from_secs(60)),
                move |event| {
                    let from = event
                        .get("demo_probe")
                        .and_then(|v| v.first())
                        .map(|v| v.to_string());
                    let _ = arrived.try_send((i, from));
                },
            )
            .await?;
        probes.push(handle);
    }
    let mut reached = vec![vec![false; nodes.len()]; nodes.len()];
    for _ in 0..60 {
        for (from, node) in nodes.iter().enumerate() {
            if reached.iter().any(|row| !row[from]) {
                node.publish(&json!({ "demo_probe": from }).to_string())
                    .await?;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        while let Ok((at, from)) = arrivals.try_recv() {
            if let Some(from) = from.and_then(|f| f.parse::<usize>().ok()) {
                reached[at][from] = true;
            }
        }
        if reached.iter().all(|row| row.iter().all(|&r| r)) {
            for probe in probes {
                probe.unsubscribe().await?;
            }
            return Ok(());
        }
    }
    bail!("events did not reach every node within 15 s")
}
