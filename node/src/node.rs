//! The handle of a running node: what the HTTP API and an embedding application call.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use libp2p::{Multiaddr, PeerId};
use sift_core::{EventId, Micros, SubId};
use sift_matcher::{Event, EventError, EventLimits, Filter, FilterLimits, ParseError};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::clock;
use crate::config::NodeConfig;
use crate::driver::{Command, Driver, DriverParts, Status};
use crate::identity;
use crate::network;
use crate::sinks::{Callback, LocalSub, Registry};
use crate::webhook::WebhookPool;

/// Commands waiting for the node's loop, at most; a caller beyond that waits its turn.
const COMMAND_QUEUE: usize = 1_024;

/// Why a request to a node failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("bad filter at byte {}: {}", .0.offset, .0.message)]
    Filter(ParseError),
    #[error("bad event: {0}")]
    Event(EventError),
    #[error("the node holds {max} subscriptions already, its limit; cancel some first")]
    TooManySubscriptions { max: usize },
    #[error("no such subscription (it may have expired or been cancelled)")]
    UnknownSubscription,
    #[error("the expiry is in the past")]
    ExpiryInThePast,
    #[error("the node has shut down")]
    Stopped,
}

/// What talks to a node's loop: the API's handlers and the [`Node`] each hold one.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    commands: mpsc::Sender<Command>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) limits: crate::ApiLimits,
    pub(crate) webhooks: WebhookPool,
}

/// A running node. Dropping it (or [`Node::shutdown`]) stops it.
#[derive(Debug)]
pub struct Node {
    client: Client,
    peer_id: PeerId,
    name: String,
    listen_addrs: Vec<Multiaddr>,
    api_addr: Option<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
}

/// A subscription made through the Rust API; [`SubscriptionHandle::unsubscribe`] ends it.
#[derive(Debug)]
pub struct SubscriptionHandle {
    id: SubId,
    commands: mpsc::Sender<Command>,
}

impl SubscriptionHandle {
    /// The id the HTTP API shows for this subscription.
    pub fn id(&self) -> String {
        self.id.seq.to_string()
    }

    /// Cancels the subscription; `false` if it had already expired.
    pub async fn unsubscribe(self) -> Result<bool, NodeError> {
        ask(&self.commands, |reply| Command::Unsubscribe {
            id: self.id,
            reply,
        })
        .await
    }
}

async fn ask<T>(
    commands: &mpsc::Sender<Command>,
    command: impl FnOnce(oneshot::Sender<T>) -> Command,
) -> Result<T, NodeError> {
    let (reply, answer) = oneshot::channel();
    commands
        .send(command(reply))
        .await
        .map_err(|_| NodeError::Stopped)?;
    answer.await.map_err(|_| NodeError::Stopped)
}

impl Node {
    /// Starts a node: its identity, its listeners, its API if configured, and the join
    /// through its bootstrap peers (which goes on in the background).
    pub async fn start(config: NodeConfig) -> anyhow::Result<Node> {
        use anyhow::Context;
        let keypair = match &config.data_dir {
            Some(dir) => identity::load_or_create(dir)?,
            None => libp2p::identity::Keypair::generate_ed25519(),
        };
        let peer_id = keypair.public().to_peer_id();
        let mut swarm = network::build_swarm(keypair)?;
        for address in &config.listen {
            crate::address::check_port_free(address).map_err(anyhow::Error::msg)?;
            swarm
                .listen_on(address.clone())
                .with_context(|| format!("cannot listen on {address}"))?;
        }
        // The listeners report their addresses (and the ports the system chose) first thing.
        let listen_addrs = first_listen_addrs(&mut swarm, config.listen.len()).await?;
        let name = config
            .name
            .clone()
            .unwrap_or_else(|| short_peer_id(&peer_id));
        let trace = match &config.trace {
            Some(trace) => Some(crate::trace::TraceWriter::create(
                &trace.path,
                name.clone(),
                trace.start.unwrap_or_else(clock::now),
            )?),
            None => None,
        };
        let (commands, receiver) = mpsc::channel(COMMAND_QUEUE);
        let registry = Arc::new(Registry::default());
        let driver = Driver::new(DriverParts {
            swarm,
            strategy: config.strategy,
            protocol: config.protocol.clone(),
            commands: receiver,
            registry: Arc::clone(&registry),
            bootstrap: config.bootstrap.clone(),
            max_subscriptions: config.limits.max_subscriptions,
            trace,
        });
        let mut node = Node {
            client: Client {
                commands,
                registry,
                webhooks: WebhookPool::new(config.limits.webhook_concurrency),
                limits: config.limits.clone(),
            },
            peer_id,
            name,
            listen_addrs,
            api_addr: None,
            tasks: vec![tokio::spawn(driver.run())],
        };
        if let Some(api) = config.api {
            let listener = tokio::net::TcpListener::bind(api)
                .await
                .with_context(|| format!("cannot serve the API on {api}"))?;
            node.api_addr = Some(listener.local_addr()?);
            let state = crate::api::ApiState {
                client: node.client.clone(),
                peer_id: node.peer_id.to_string(),
                name: node.name.clone(),
            };
            let router = crate::api::router(state);
            node.tasks.push(tokio::spawn(async move {
                if let Err(error) = axum::serve(listener, router).await {
                    tracing::error!(%error, "the HTTP API stopped");
                }
            }));
        }
        Ok(node)
    }

    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where peers can reach this node, with the ports the system chose.
    pub fn listen_addrs(&self) -> &[Multiaddr] {
        &self.listen_addrs
    }

    /// Where the HTTP API is served, if it is.
    pub fn api_addr(&self) -> Option<SocketAddr> {
        self.api_addr
    }

    /// Subscribes with `filter` until `ttl` passes (or for good with `None`); `callback` is
    /// called with every matching event, on a task of its own, in arrival order. Should it
    /// fall more than the stream backlog behind, events are dropped (and counted in stats).
    pub async fn subscribe(
        &self,
        filter: &str,
        ttl: Option<Duration>,
        callback: impl Fn(&Event) + Send + 'static,
    ) -> Result<SubscriptionHandle, NodeError> {
        let expires = ttl.map(|ttl| clock::now().saturating_add(clock::micros(ttl)));
        let callback_kind = Callback::channel(self.client.limits.max_stream_backlog);
        let sub = self
            .client
            .subscribe(filter, expires, callback_kind)
            .await?;
        if let Some(mut receiver) = sub.take_receiver() {
            tokio::spawn(async move {
                while let Some(publication) = receiver.recv().await {
                    callback(&publication.event);
                }
            });
        }
        Ok(SubscriptionHandle {
            id: sub.id,
            commands: self.client.commands.clone(),
        })
    }

    /// Publishes an event given as a JSON object; returns its id.
    pub async fn publish(&self, event_json: &str) -> Result<EventId, NodeError> {
        let event =
            Event::from_json(event_json, &EventLimits::default()).map_err(NodeError::Event)?;
        self.client.publish(event).await
    }

    /// How many overlay neighbours the node has now.
    pub async fn neighbours(&self) -> Result<usize, NodeError> {
        let status = self.client.status().await?;
        Ok(status.peers.iter().filter(|p| p.neighbour).count())
    }

    /// Stops the node: its loop, its API, its connections.
    pub async fn shutdown(mut self) {
        for task in std::mem::take(&mut self.tasks) {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Client {
    pub(crate) async fn subscribe(
        &self,
        filter: &str,
        expires: Option<Micros>,
        callback: Callback,
    ) -> Result<Arc<LocalSub>, NodeError> {
        let parsed =
            Filter::parse_with(filter, &FilterLimits::default()).map_err(NodeError::Filter)?;
        if let Some(at) = expires {
            not_past(at)?;
        }
        ask(&self.commands, |reply| Command::Subscribe {
            filter: parsed,
            text: filter.to_owned(),
            expires,
            callback,
            reply,
        })
        .await?
    }

    pub(crate) async fn publish(&self, event: Event) -> Result<EventId, NodeError> {
        ask(&self.commands, |reply| Command::Publish { event, reply }).await
    }

    pub(crate) async fn renew(&self, id: SubId, expires: Micros) -> Result<(), NodeError> {
        not_past(expires)?;
        ask(&self.commands, |reply| Command::Renew {
            id,
            expires,
            reply,
        })
        .await?
    }

    pub(crate) async fn unsubscribe(&self, id: SubId) -> Result<bool, NodeError> {
        ask(&self.commands, |reply| Command::Unsubscribe { id, reply }).await
    }

    pub(crate) async fn status(&self) -> Result<Status, NodeError> {
        ask(&self.commands, |reply| Command::Status { reply }).await
    }
}

fn not_past(expiry: Micros) -> Result<(), NodeError> {
    if expiry <= clock::now() {
        return Err(NodeError::ExpiryInThePast);
    }
    Ok(())
}

impl Drop for Node {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The last eight characters of the peer id: ed25519 peer ids all start alike.
fn short_peer_id(peer: &PeerId) -> String {
    let text = peer.to_string();
    let start = text.len().saturating_sub(8);
    text[start..].to_owned()
}

async fn first_listen_addrs(
    swarm: &mut libp2p::Swarm<network::Behaviour>,
    listeners: usize,
) -> anyhow::Result<Vec<Multiaddr>> {
    use futures::StreamExt;
    use libp2p::swarm::SwarmEvent;
    let mut addrs = Vec::new();
    // A listener on every interface reports an address per interface, in one burst: once
    // each listener has reported one, the rest get another moment.
    let mut until = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        tokio::select! {
            event = swarm.select_next_some() => match event {
                SwarmEvent::NewListenAddr { address, .. } => {
                    addrs.push(address);
                    if addrs.len() >= listeners {
                        until = until.min(tokio::time::Instant::now() + Duration::from_millis(50));
                    }
                }
                SwarmEvent::ListenerError { error, .. } | SwarmEvent::ListenerClosed { reason: Err(error), .. } => {
                    anyhow::bail!("a listener failed: {error}");
                }
                _ => {}
            },
            () = tokio::time::sleep_until(until) => break,
        }
    }
    Ok(addrs)
}
