//! Webhook callbacks: each event POSTed as JSON to the subscriber's URL, in order, with
//! bounded retries and backoff, until the subscription ends.
//!
//! Each webhook subscription has a task and a bounded backlog; the node as a whole has at
//! most `webhook_concurrency` requests in flight (a semaphore), so many slow receivers cannot
//! exhaust the node's sockets. An event whose attempts all fail is given up and counted, and
//! the next one is tried: a receiver that is down for a while loses what arrived meanwhile,
//! it does not stall its subscription for good.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sift_core::Publication;
use tokio::sync::{Semaphore, mpsc, watch};

use crate::sinks::delivery_json;

/// Attempts per event, the first included.
const ATTEMPTS: u32 = 5;
/// Backoff before the second attempt; doubled for each next one.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What a webhook subscription's deliveries came to.
#[derive(Debug, Default)]
pub(crate) struct WebhookCounts {
    /// Requests answered with an error status or not answered at all, retries included.
    pub(crate) failed_attempts: AtomicU64,
    /// Events given up after every attempt failed.
    pub(crate) given_up: AtomicU64,
}

/// The sending side, held by the subscription.
#[derive(Debug)]
pub(crate) struct Webhook {
    pub(crate) url: String,
    pub(crate) events: mpsc::Sender<Arc<Publication>>,
    pub(crate) counts: Arc<WebhookCounts>,
    ended: watch::Sender<bool>,
}

/// Shared by every webhook of a node.
#[derive(Clone, Debug)]
pub(crate) struct WebhookPool {
    http: reqwest::Client,
    in_flight: Arc<Semaphore>,
}

impl WebhookPool {
    pub(crate) fn new(concurrency: usize) -> Self {
        WebhookPool {
            http: reqwest::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .build()
                .unwrap_or_default(),
            in_flight: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    /// Checks `url` and starts the webhook's task.
    pub(crate) fn start(&self, url: &str, backlog: usize) -> Result<Webhook, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("webhook url `{url}`: {e}"))?;
        if parsed.scheme() != "http" {
            return Err(format!(
                "webhook url `{url}`: only http:// is supported; put a TLS proxy in front for https"
            ));
        }
        let (events, receiver) = mpsc::channel(backlog.max(1));
        let (ended, watcher) = watch::channel(false);
        let counts = Arc::new(WebhookCounts::default());
        tokio::spawn(run(
            self.clone(),
            parsed,
            receiver,
            watcher,
            Arc::clone(&counts),
        ));
        Ok(Webhook {
            url: url.to_owned(),
            events,
            counts,
            ended,
        })
    }
}

impl Webhook {
    /// The subscription ended: the task stops, even in the middle of retrying.
    pub(crate) fn end(&self) {
        let _ = self.ended.send(true);
    }
}

async fn run(
    pool: WebhookPool,
    url: reqwest::Url,
    mut events: mpsc::Receiver<Arc<Publication>>,
    mut ended: watch::Receiver<bool>,
    counts: Arc<WebhookCounts>,
) {
    loop {
        let publication = tokio::select! {
            next = events.recv() => match next {
                Some(publication) => publication,
                None => return,
            },
            _ = ended.wait_for(|&ended| ended) => return,
        };
        let body = delivery_json(&publication);
        let mut backoff = FIRST_BACKOFF;
        for attempt in 1..=ATTEMPTS {
            if *ended.borrow() {
                return;
            }
            let delivered = {
                let Ok(_permit) = pool.in_flight.acquire().await else {
                    return;
                };
                pool.http
                    .post(url.clone())
                    .json(&body)
                    .send()
                    .await
                    .is_ok_and(|response| response.status().is_success())
            };
            if delivered {
                break;
            }
            counts.failed_attempts.fetch_add(1, Ordering::Relaxed);
            if attempt == ATTEMPTS {
                counts.given_up.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%url, event = %publication.id, "webhook failed {ATTEMPTS} times; giving the event up");
                break;
            }
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                _ = ended.wait_for(|&ended| ended) => return,
            }
            backoff *= 2;
        }
    }
}
