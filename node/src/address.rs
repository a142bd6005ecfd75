//! Addresses as people write them: the API's as `HOST:PORT` or `http://HOST:PORT` (so one
//! `SIFT_API` serves both the node and the client commands), and a check that a
//! peer-to-peer port is free.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use libp2p::Multiaddr;
use libp2p::multiaddr::Protocol;

/// `HOST:PORT`, with or without `http://` and a trailing slash.
pub fn parse_api_addr(text: &str) -> Result<SocketAddr, String> {
    let bare = text
        .strip_prefix("http://")
        .unwrap_or(text)
        .trim_end_matches('/');
    bare.to_socket_addrs()
        .map_err(|e| format!("`{text}` is not HOST:PORT: {e}"))?
        .next()
        .ok_or_else(|| format!("`{text}` resolves to no address"))
}

/// The base URL of the API, `http://HOST:PORT`, from either form.
pub fn base_url(text: &str) -> Result<String, String> {
    if text.starts_with("https://") {
        return Err("the sift API is plain HTTP; use http://HOST:PORT".into());
    }
    let bare = text
        .strip_prefix("http://")
        .unwrap_or(text)
        .trim_end_matches('/');
    if bare.is_empty() || bare.contains('/') {
        return Err(format!("`{text}` is not HOST:PORT or http://HOST:PORT"));
    }
    Ok(format!("http://{bare}"))
}

/// Fails if `address` names a TCP port another socket holds. libp2p listens with
/// `SO_REUSEPORT`, so a second node on a taken port would not fail but silently split the
/// first one's incoming connections; a plain bind, which needs the port to itself, finds out.
pub(crate) fn check_port_free(address: &Multiaddr) -> Result<(), String> {
    let port = address.iter().find_map(|p| match p {
        Protocol::Tcp(port) => Some(port),
        _ => None,
    });
    match (ip(address), port) {
        (Some(ip), Some(port)) if port != 0 => std::net::TcpListener::bind((ip, port))
            .map(drop)
            .map_err(|error| {
                format!("cannot listen on {address}: {error} (another sift node there?)")
            }),
        _ => Ok(()),
    }
}

/// The IP address `address` names, if it names one.
fn ip(address: &Multiaddr) -> Option<IpAddr> {
    address.iter().find_map(|p| match p {
        Protocol::Ip4(v4) => Some(IpAddr::V4(v4)),
        Protocol::Ip6(v6) => Some(IpAddr::V6(v6)),
        _ => None,
    })
}

pub(crate) fn is_loopback(address: &Multiaddr) -> bool {
    ip(address).is_some_and(|ip| ip.is_loopback())
}

/// Whether another node could dial `address`: not the unspecified address.
pub(crate) fn is_dialable(address: &Multiaddr) -> bool {
    !ip(address).is_some_and(|ip| ip.is_unspecified())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_are_accepted() {
        let addr: SocketAddr = "127.0.0.1:7700".parse().unwrap();
        assert_eq!(parse_api_addr("127.0.0.1:7700"), Ok(addr));
        assert_eq!(parse_api_addr("http://127.0.0.1:7700/"), Ok(addr));
        assert!(parse_api_addr("nonsense").is_err());
        assert_eq!(base_url("127.0.0.1:7700").unwrap(), "http://127.0.0.1:7700");
        assert_eq!(
            base_url("http://localhost:1/").unwrap(),
            "http://localhost:1"
        );
        assert!(base_url("http://h:1/v1").is_err());
    }

    #[test]
    fn a_taken_port_is_found() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let address: Multiaddr = format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap();
        assert!(
            check_port_free(&address)
                .unwrap_err()
                .contains("cannot listen")
        );
        drop(taken);
        assert!(check_port_free(&address).is_ok());
        assert!(check_port_free(&"/ip4/127.0.0.1/tcp/0".parse().unwrap()).is_ok());
    }
}
