//! What `sift node` prints once it is up, read back by a program that started it (`sift
//! compare --real`, the end-to-end tests).

use std::io::{BufRead, BufReader};
use std::process::ChildStdout;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A started node's addresses, from its banner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Banner {
    /// The first peer-to-peer address with the peer id, to bootstrap other nodes through.
    pub address: String,
    /// The API's base URL: `http://HOST:PORT`.
    pub api: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BannerError {
    #[error("the node did not print its addresses within {0:?}")]
    Timeout(Duration),
    #[error("the node's output ended before its addresses: it failed to start")]
    Ended,
}

/// Reads the banner from a starting `sift node`'s standard output, waiting at most
/// `timeout`. The output is read on a thread, to the end, so a node that prints nothing
/// fails the caller after the deadline instead of hanging it, and one that prints on never
/// blocks on a full pipe.
pub fn read_banner(stdout: ChildStdout, timeout: Duration) -> Result<Banner, BannerError> {
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // Once the banner is read nobody listens; the rest of the output is drained.
            let _ = lines.send(line);
        }
    });
    let deadline = Instant::now() + timeout;
    let (mut address, mut api) = (None, None);
    while address.is_none() || api.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = received.recv_timeout(left).map_err(|error| match error {
            mpsc::RecvTimeoutError::Timeout => BannerError::Timeout(timeout),
            mpsc::RecvTimeoutError::Disconnected => BannerError::Ended,
        })?;
        if let Some(rest) = line.trim().strip_prefix("API:") {
            api = Some(rest.trim().to_owned());
        } else if let Some(rest) = line.trim().strip_prefix("peers:") {
            address.get_or_insert_with(|| rest.trim().to_owned());
        }
    }
    Ok(Banner {
        address: address.expect("read"),
        api: api.expect("read"),
    })
}
