//! `sift node`: run a node of the overlay until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use libp2p::Multiaddr;
use sift_core::StrategyKind;
use sift_core::brokers::BrokerRole;
use sift_node::{FileConfig, GossipSettings, Node, NodeConfig, TraceConfig};

use sift_node::parse_api_addr;

/// Every flag may also come from the environment (`SIFT_LISTEN`, ...) or from the `--config`
/// file; a flag wins over the environment, which wins over the file.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// Peer-to-peer listen address (repeatable) [default: /ip4/0.0.0.0/tcp/7600]
    #[arg(
        long,
        env = "SIFT_LISTEN",
        value_delimiter = ',',
        value_name = "MULTIADDR"
    )]
    listen: Vec<Multiaddr>,
    /// Where the HTTP API listens [default: 127.0.0.1:7700]
    #[arg(long, env = "SIFT_API", value_name = "HOST:PORT", value_parser = parse_api_addr)]
    api: Option<SocketAddr>,
    /// A peer to join the overlay through, e.g. /dns4/seed/tcp/7600 (repeatable)
    #[arg(
        long,
        env = "SIFT_BOOTSTRAP",
        value_delimiter = ',',
        value_name = "MULTIADDR"
    )]
    bootstrap: Vec<Multiaddr>,
    /// Where the node keeps its identity [default: ~/.local/share/sift]
    #[arg(long, env = "SIFT_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// How subscriptions and events travel [default: selective]
    #[arg(long, env = "SIFT_STRATEGY", value_name = "NAME")]
    strategy: Option<StrategyKind>,
    /// For the broker architectures: `broker` holds subscriptions and matches events
    /// (centralized, hierarchical, flat), `master` dispatches events to the brokers
    /// (hierarchical) [default: neither, a client node]
    #[arg(long, env = "SIFT_ROLE", value_name = "ROLE")]
    role: Option<BrokerRole>,
    /// For the dht: rendezvous nodes per key (subscriptions join each, events visit one);
    /// every node of an overlay must use the same [default: 1]
    #[arg(long, env = "SIFT_REPLICAS", value_name = "N", value_parser = clap::value_parser!(u8).range(1..))]
    replicas: Option<u8>,
    /// The node's name in its banner, stats and trace [default: the end of its peer id]
    #[arg(long, env = "SIFT_NAME")]
    name: Option<String>,
    /// Write the trace of what this node's clients did and got (JSON Lines, see
    /// docs/node.md) to FILE
    #[arg(long, env = "SIFT_TRACE", value_name = "FILE")]
    trace: Option<PathBuf>,
    /// The trace's t = 0, in microseconds since the Unix epoch: give a cluster's nodes the
    /// same so that `sift check` can merge their traces [default: when the node starts]
    #[arg(long, env = "SIFT_TRACE_START", value_name = "UNIX_MICROS")]
    trace_start: Option<u64>,
    /// A TOML file with any of the keys above (listen and bootstrap as arrays), [limits]
    /// and [gossip]
    #[arg(long, env = "SIFT_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    gossip: GossipSettings,
}

impl NodeArgs {
    pub fn run(self) -> ExitCode {
        super::report(self.serve())
    }

    fn node_config(self) -> Result<NodeConfig> {
        let mut config = NodeConfig::daemon_defaults();
        let mut gossip = GossipSettings::default();
        let mut replicas = None;
        if let Some(path) = &self.config {
            let file = FileConfig::load(path)?;
            let addrs = |list: Vec<String>, key: &str| -> Result<Vec<Multiaddr>> {
                list.iter()
                    .map(|a| {
                        a.parse().with_context(|| {
                            format!("{}: {key} `{a}` is not a multiaddr", path.display())
                        })
                    })
                    .collect()
            };
            if let Some(listen) = file.listen {
                config.listen = addrs(listen, "listen")?;
            }
            if let Some(bootstrap) = file.bootstrap {
                config.bootstrap = addrs(bootstrap, "bootstrap")?;
            }
            if let Some(strategy) = file.strategy {
                config.strategy = strategy
                    .parse()
                    .map_err(|e: String| anyhow::anyhow!("{}: {e}", path.display()))?;
            }
            if let Some(api) = file.api {
                config.api = Some(
                    parse_api_addr(&api)
                        .map_err(|e| anyhow::anyhow!("{}: api: {e}", path.display()))?,
                );
            }
            if let Some(role) = file.role {
                config.protocol.brokers.role = Some(
                    role.parse()
                        .map_err(|e: String| anyhow::anyhow!("{}: {e}", path.display()))?,
                );
            }
            if file.replicas == Some(0) {
                anyhow::bail!("{}: replicas must be at least 1", path.display());
            }
            replicas = file.replicas;
            config.data_dir = file.data_dir.or(config.data_dir);
            config.name = file.name.or(config.name);
            if let Some(limits) = file.limits {
                config.limits = limits;
            }
            gossip = file.gossip.unwrap_or_default();
            if let Some(path) = file.trace {
                config.trace = Some(TraceConfig {
                    path,
                    start: file.trace_start,
                });
            }
        }
        if !self.listen.is_empty() {
            config.listen = self.listen;
        }
        if !self.bootstrap.is_empty() {
            config.bootstrap = self.bootstrap;
        }
        config.api = self.api.or(config.api);
        config.data_dir = self.data_dir.or(config.data_dir);
        config.strategy = self.strategy.unwrap_or(config.strategy);
        config.protocol.brokers.role = self.role.or(config.protocol.brokers.role);
        if let Some(role) = config.protocol.brokers.role
            && !config
                .strategy
                .architecture()
                .is_some_and(|architecture| architecture.has_role(role))
        {
            anyhow::bail!(
                "the {} strategy has no {role} role: brokers belong to centralized, \
                 hierarchical and flat, a master to hierarchical only",
                config.strategy
            );
        }
        if let Some(replicas) = self.replicas.or(replicas) {
            if config.strategy != StrategyKind::Dht {
                anyhow::bail!(
                    "replicas belong to the dht strategy, not to {}",
                    config.strategy
                );
            }
            config.protocol.dht.replicas = replicas;
        }
        gossip
            .overridden_by(&self.gossip)
            .apply(&mut config.protocol.gossip)?;
        config.name = self.name.or(config.name);
        if let Some(path) = self.trace {
            config.trace = Some(TraceConfig {
                path,
                start: self.trace_start,
            });
        } else if let Some(start) = self.trace_start {
            match &mut config.trace {
                Some(trace) => trace.start = Some(start),
                None => anyhow::bail!("--trace-start needs a trace: give --trace FILE too"),
            }
        }
        Ok(config)
    }

    fn serve(self) -> Result<()> {
        let config = self.node_config()?;
        tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_env("SIFT_LOG").unwrap_or_else(|_| {
                    tracing_subscriber::EnvFilter::new("info,libp2p_kad=error")
                }),
            )
            .with_writer(std::io::stderr)
            .init();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        runtime.block_on(async move {
            let strategy = config.strategy;
            let role = config
                .protocol
                .brokers
                .role
                .map(|role| format!(", {role}"))
                .unwrap_or_default();
            let node = Node::start(config).await?;
            println!(
                "sift node {} ({strategy}{role}), peer id {}",
                node.name(),
                node.peer_id()
            );
            for address in node.listen_addrs() {
                println!("  peers: {address}/p2p/{}", node.peer_id());
            }
            if let Some(api) = node.api_addr() {
                println!("  API:   http://{api}");
            }
            wait_for_signal().await?;
            eprintln!("sift node {}: shutting down", node.name());
            node.shutdown().await;
            Ok(())
        })
    }
}

/// SIGINT (Ctrl-C) or SIGTERM (docker stop, systemd).
async fn wait_for_signal() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("listening for SIGINT")?,
        _ = terminate.recv() => {}
    }
    Ok(())
}
