//! What a node is configured with, and where the configuration comes from: command-line flags,
//! `SIFT_*` environment variables, a TOML file, and built-in defaults, in that order.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use libp2p::Multiaddr;
use serde::Deserialize;
use sift_core::{StrategyConfig, StrategyKind};

/// Where a node listens, whom it joins through, and what it allows its clients.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Peer-to-peer listen addresses.
    pub listen: Vec<Multiaddr>,
    /// Where the HTTP API listens; `None` serves no API (an embedded node).
    pub api: Option<SocketAddr>,
    /// Peers to join the overlay through (`/ip4/.../tcp/...` or `/dns4/.../tcp/...`).
    pub bootstrap: Vec<Multiaddr>,
    /// Where the node keeps its identity key; `None` draws a fresh identity each start.
    pub data_dir: Option<PathBuf>,
    pub strategy: StrategyKind,
    /// The node's name in its banner, stats and trace; the end of its peer id if not given.
    pub name: Option<String>,
    pub limits: ApiLimits,
    /// The strategies' parameters.
    pub protocol: StrategyConfig,
    /// Where to write the trace of spec/trace-format.md, if anywhere.
    pub trace: Option<TraceConfig>,
}

#[derive(Clone, Debug)]
pub struct TraceConfig {
    pub path: PathBuf,
    /// The run's start in microseconds since the Unix epoch (`t = 0` of the trace); give a
    /// cluster's nodes the same one so that their traces merge. `None`: when the node starts.
    pub start: Option<u64>,
}

/// What clients may ask of a node. A request over the body or subscription limit fails
/// with a 4xx error; a callback over its backlog drops events and counts them. Either way,
/// the other clients are not disturbed.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiLimits {
    /// Bytes of a request body.
    pub max_body: usize,
    /// Subscriptions the node holds for its clients, together.
    pub max_subscriptions: usize,
    /// Events a pull queue holds (waiting and unacknowledged); more are dropped and counted.
    pub max_pending: usize,
    /// Events waiting for a stream or callback consumer; more are dropped and counted.
    pub max_stream_backlog: usize,
    /// Webhook requests in flight, for the whole node.
    pub webhook_concurrency: usize,
}

impl Default for ApiLimits {
    fn default() -> Self {
        ApiLimits {
            max_body: 1 << 20,
            max_subscriptions: 100_000,
            max_pending: 10_000,
            max_stream_backlog: 1_024,
            webhook_concurrency: 64,
        }
    }
}

/// The default peer-to-peer port.
pub const DEFAULT_PORT: u16 = 7600;
/// The default API address.
pub const DEFAULT_API: &str = "127.0.0.1:7700";

impl NodeConfig {
    /// A node for one process: listens on a loopback port of the system's choosing, keeps
    /// no identity and serves no HTTP API. Good for tests and embedding.
    pub fn ephemeral() -> Self {
        NodeConfig {
            listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("a valid multiaddr")],
            api: None,
            bootstrap: Vec::new(),
            data_dir: None,
            strategy: StrategyKind::Selective,
            name: None,
            limits: ApiLimits::default(),
            protocol: StrategyConfig::default(),
            trace: None,
        }
    }

    /// What `sift node` runs with when given nothing: a one-node overlay listening on every
    /// interface at [`DEFAULT_PORT`], the API on [`DEFAULT_API`], the identity kept in the
    /// user's data directory.
    pub fn daemon_defaults() -> Self {
        NodeConfig {
            listen: vec![
                format!("/ip4/0.0.0.0/tcp/{DEFAULT_PORT}")
                    .parse()
                    .expect("a valid multiaddr"),
            ],
            api: Some(DEFAULT_API.parse().expect("a valid socket address")),
            data_dir: Some(default_data_dir()),
            ..NodeConfig::ephemeral()
        }
    }
}

/// `$XDG_DATA_HOME/sift`, else `~/.local/share/sift`, else `./sift-data`.
fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("sift");
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/share/sift"),
        None => PathBuf::from("sift-data"),
    }
}

/// The keys a `--config` TOML file may set; flags and environment variables override them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<Vec<String>>,
    /// `HOST:PORT` or `http://HOST:PORT`.
    pub api: Option<String>,
    pub bootstrap: Option<Vec<String>>,
    pub data_dir: Option<PathBuf>,
    pub strategy: Option<String>,
    pub name: Option<String>,
    /// `broker` or `master`, for the broker architectures.
    pub role: Option<String>,
    /// The dht's rendezvous nodes per key.
    pub replicas: Option<u8>,
    pub trace: Option<PathBuf>,
    pub trace_start: Option<u64>,
    pub limits: Option<ApiLimits>,
    /// The gossip strategies' parameters.
    pub gossip: Option<crate::GossipSettings>,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the configuration file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("in the configuration file {}", path.display()))
    }
}
