//! A sift node: the daemon `sift node` runs, and a library to embed one in an application.
//!
//! A node drives one of the core's strategies (see `sift_core`) over libp2p: TCP, noise and
//! yamux, with identify, ping and Kademlia to find peers' addresses, and connection limits. It
//! serves the HTTP API of docs/http-api.md, and calls each local subscription back with every
//! matching event until the subscription expires or is cancelled.
//!
//! ```
//! use std::time::Duration;
//! use sift_node::{Node, NodeConfig};
//! use tokio::sync::mpsc;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! // A one-node overlay on a loopback port; give `bootstrap` addresses to join others.
//! let node = Node::start(NodeConfig::ephemeral()).await?;
//! let (tx, mut rx) = mpsc::channel(16);
//! let subscription = node
//!     .subscribe(r#"price > 100 && symbol == "ACME""#, Some(Duration::from_secs(60)), move |event| {
//!         let _ = tx.try_send(event.to_string());
//!     })
//!     .await?;
//! node.publish(r#"{"symbol": "ACME", "price": 99}"#).await?;
//! node.publish(r#"{"symbol": "ACME", "price": 120}"#).await?;
//! assert_eq!(rx.recv().await.unwrap(), r#"{"price":120,"symbol":"ACME"}"#);
//! subscription.unsubscribe().await?;
//! node.shutdown().await;
//! # anyhow::Ok(())
//! # }).unwrap();
//! ```

mod address;
mod api;
mod banner;
mod clock;
mod codec;
mod config;
mod driver;
mod gossip_settings;
mod identity;
mod network;
mod node;
mod peer_ids;
mod pull;
mod sinks;
mod trace;
mod webhook;

pub use address::{base_url, parse_api_addr};
pub use banner::{Banner, BannerError, read_banner};
pub use config::{ApiLimits, DEFAULT_API, DEFAULT_PORT, FileConfig, NodeConfig, TraceConfig};
pub use gossip_settings::GossipSettings;
pub use node::{Node, NodeError, SubscriptionHandle};
