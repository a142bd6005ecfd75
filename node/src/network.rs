//! The libp2p side of a node: the transport, the behaviours, and the swarm built from them.

use std::time::Duration;

use anyhow::{Context, Result};
use libp2p::identity::Keypair;
use libp2p::swarm::NetworkBehaviour;
use libp2p::{
    StreamProtocol, Swarm, SwarmBuilder, connection_limits, identify, kad, noise, ping,
    request_response, tcp, yamux,
};

use crate::codec::{PROTOCOL, WireCodec};

/// Connections a node keeps at most, in all; an overlay node needs a handful of neighbours
/// and the peers it shuffles and repairs with.
const MAX_CONNECTIONS: u32 = 256;
/// Connection attempts not yet established, per direction.
const MAX_PENDING: u32 = 64;
/// Messages sent to one peer and not yet acknowledged, per connection.
pub(crate) const MAX_STREAMS_PER_CONNECTION: usize = 256;
/// How long a connection with no open stream lives. Overlay neighbours exchange a keepalive
/// every membership tick (a second), so this only closes links the overlay stopped using.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a message may take to be acknowledged before the peer counts as failed.
const MESSAGE_TIMEOUT: Duration = Duration::from_secs(10);

/// Kademlia under a protocol name of sift's own, so that sift nodes never answer, or ask,
/// peers of another Kademlia network.
const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/sift/kad/1");
const IDENTIFY_PROTOCOL: &str = "/sift/id/1";

#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub(crate) limits: connection_limits::Behaviour,
    pub(crate) identify: identify::Behaviour,
    pub(crate) ping: ping::Behaviour,
    /// Finds the addresses of peers the overlay names by id only.
    pub(crate) kad: kad::Behaviour<kad::store::MemoryStore>,
    pub(crate) messages: request_response::Behaviour<WireCodec>,
}

pub(crate) fn build_swarm(keypair: Keypair) -> Result<Swarm<Behaviour>> {
    let swarm = SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .context("setting up the TCP transport")?
        .with_dns()
        .context("setting up DNS resolution (is /etc/resolv.conf readable?)")?
        .with_behaviour(|key| {
            let me = key.public().to_peer_id();
            let limits = connection_limits::ConnectionLimits::default()
                .with_max_established(Some(MAX_CONNECTIONS))
                .with_max_established_per_peer(Some(2))
                .with_max_pending_incoming(Some(MAX_PENDING))
                .with_max_pending_outgoing(Some(MAX_PENDING));
            let mut kad = kad::Behaviour::with_config(
                me,
                kad::store::MemoryStore::new(me),
                kad::Config::new(KAD_PROTOCOL),
            );
            // A closed overlay confirms no external address, so Kademlia would stay a client
            // and nobody could look anybody up.
            kad.set_mode(Some(kad::Mode::Server));
            Behaviour {
                limits: connection_limits::Behaviour::new(limits),
                identify: identify::Behaviour::new(identify::Config::new(
                    IDENTIFY_PROTOCOL.to_owned(),
                    key.public(),
                )),
                ping: ping::Behaviour::default(),
                kad,
                messages: request_response::Behaviour::with_codec(
                    WireCodec::default(),
                    [(PROTOCOL, request_response::ProtocolSupport::Full)],
                    request_response::Config::default()
                        .with_request_timeout(MESSAGE_TIMEOUT)
                        .with_max_concurrent_streams(MAX_STREAMS_PER_CONNECTION),
                ),
            }
        })
        .context("setting up the behaviours")?
        .with_swarm_config(|config| config.with_idle_connection_timeout(IDLE_TIMEOUT))
        .build();
    Ok(swarm)
}
