//! Real `sift node` processes on loopback for end-to-end tests: started on ports the system
//! picks, reached through their HTTP API, stopped by pid when dropped.

#![allow(dead_code)] // Each test binary uses its own part of the harness.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub struct NodeProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub api: String,
    /// The peer-to-peer address with the peer id, to bootstrap others through.
    pub address: String,
    data_dir: PathBuf,
}

impl NodeProcess {
    /// Starts a node; `bootstrap` is another node's address.
    pub fn start(name: &str, bootstrap: Option<&str>) -> NodeProcess {
        NodeProcess::start_with(name, bootstrap, &[])
    }

    /// Starts a node with more flags.
    pub fn start_with(name: &str, bootstrap: Option<&str>, extra: &[String]) -> NodeProcess {
        let data_dir = std::env::temp_dir().join(format!(
            "sift-e2e-{}-{name}-{}",
            std::process::id(),
            unique()
        ));
        let mut command = Command::new(env!("CARGO_BIN_EXE_sift"));
        command
            .args([
                "node",
                "--listen",
                "/ip4/127.0.0.1/tcp/0",
                "--api",
                "127.0.0.1:0",
            ])
            .args(["--name", name, "--data-dir"])
            .arg(&data_dir)
            .env_remove("SIFT_API")
            .env("SIFT_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(bootstrap) = bootstrap {
            command.args(["--bootstrap", bootstrap]);
        }
        command.args(extra);
        let mut child = command.spawn().expect("the sift binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let banner = sift_node::read_banner(stdout, Duration::from_secs(20))
            .unwrap_or_else(|e| panic!("node {name}: {e}"));
        NodeProcess {
            child,
            api: banner.api,
            address: banner.address,
            data_dir,
        }
    }

    /// Stops the process as an operator would (SIGTERM, by its pid) and waits for it.
    pub fn stop(&mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        if sent.is_ok_and(|s| s.success()) {
            let _ = self.child.wait();
        }
    }

    /// Kills the process (SIGKILL, by its pid): a crash, not a shutdown.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api)
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A seed and `n - 1` nodes joining through it; with `traces`, each node writes its trace
/// to `traces/n{i}.jsonl`, all with the same start, so that they merge.
pub fn cluster(n: usize, traces: Option<&std::path::Path>) -> Vec<NodeProcess> {
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros()
        .to_string();
    let extra = |i: usize| -> Vec<String> {
        traces.map_or_else(Vec::new, |dir| {
            let file = dir.join(format!("n{i}.jsonl"));
            vec![
                "--trace".into(),
                file.display().to_string(),
                "--trace-start".into(),
                start.clone(),
            ]
        })
    };
    let seed = NodeProcess::start_with("n0", None, &extra(0));
    let address = seed.address.clone();
    let mut nodes = vec![seed];
    for i in 1..n {
        nodes.push(NodeProcess::start_with(
            &format!("n{i}"),
            Some(&address),
            &extra(i),
        ));
    }
    nodes
}

/// A fresh directory under the system's temporary one.
/// Starts `sift node` with `args` on loopback ports, expects it to refuse them at once, and
/// returns what it said on stderr.
pub fn node_refuses(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sift"))
        .arg("node")
        .args(args)
        .args(["--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0"])
        .output()
        .expect("the sift binary runs");
    assert!(
        !out.status.success(),
        "`sift node {}` started",
        args.join(" ")
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "sift-e2e-{}-{name}-{}",
        std::process::id(),
        unique()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// GET `path`: the status and the JSON body (null if there is none).
pub async fn get(node: &NodeProcess, path: &str) -> (u16, Value) {
    answer(client().get(node.url(path)).send().await.unwrap()).await
}

/// POST `body` as JSON to `path`.
pub async fn post(node: &NodeProcess, path: &str, body: Value) -> (u16, Value) {
    answer(
        client()
            .post(node.url(path))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// POST `body` as it is to `path`.
pub async fn post_raw(node: &NodeProcess, path: &str, body: String) -> (u16, Value) {
    answer(
        client()
            .post(node.url(path))
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

pub async fn delete(node: &NodeProcess, path: &str) -> u16 {
    let response = client().delete(node.url(path)).send().await.unwrap();
    response.status().as_u16()
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// Waits until every node has at least one overlay neighbour.
pub async fn wait_for_overlay(nodes: &[&NodeProcess]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    for node in nodes {
        loop {
            let (_, peers) = get(node, "/v1/peers").await;
            let neighbours = peers["peers"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["neighbour"] == json!(true))
                .count();
            if neighbours > 0 {
                break;
            }
            assert!(Instant::now() < deadline, "{} found no neighbour", node.api);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Subscribes with a pull queue; returns the subscription's id.
pub async fn subscribe_pull(node: &NodeProcess, filter: &str, ttl: Option<&str>) -> String {
    let mut request = json!({"filter": filter, "callback": {"type": "pull"}});
    if let Some(ttl) = ttl {
        request["ttl"] = json!(ttl);
    }
    let (status, body) = post(node, "/v1/subscriptions", request).await;
    assert_eq!(status, 201, "subscribing {filter}: {body}");
    body["id"].as_str().unwrap().to_owned()
}

pub async fn publish(node: &NodeProcess, event: Value) -> String {
    let (status, body) = post(node, "/v1/events", event).await;
    assert_eq!(status, 202, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// Pulls (and acks) what a pull subscription holds, waiting up to `wait` for the first.
pub async fn pull(node: &NodeProcess, sub: &str, wait: &str) -> Vec<Value> {
    let response = client()
        .get(node.url(&format!(
            "/v1/subscriptions/{sub}/events?wait={wait}&max=1000"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "pulling {sub}");
    let body: Value = response.json().await.unwrap();
    let events = body["events"].as_array().unwrap().clone();
    let receipts: Vec<&Value> = events.iter().map(|e| &e["receipt"]).collect();
    if !receipts.is_empty() {
        client()
            .post(node.url(&format!("/v1/subscriptions/{sub}/ack")))
            .json(&json!({ "receipts": receipts }))
            .send()
            .await
            .unwrap();
    }
    events
}

/// The ids of the events `sub` receives until it has `expected` of them (or 15 s pass),
/// then for one second more, to catch extras and duplicates.
pub async fn collect(node: &NodeProcess, sub: &str, expected: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while ids.len() < expected && Instant::now() < deadline {
        ids.extend(pull(node, sub, "1s").await.iter().map(event_id));
    }
    ids.extend(pull(node, sub, "1s").await.iter().map(event_id));
    ids.sort();
    ids
}

fn event_id(delivery: &Value) -> String {
    delivery["event_id"].as_str().unwrap().to_owned()
}

/// Makes sure events from `publisher` reach each of `subscribers`: subscribes each to a probe
/// of its own, published until it arrives. Subscriptions made before this one travel the
/// same paths first, so they are in place too.
pub async fn settle(publisher: &NodeProcess, subscribers: &[&NodeProcess]) {
    let deadline = Instant::now() + Duration::from_secs(45);
    for (i, node) in subscribers.iter().enumerate() {
        let probe = format!("probe-{}", unique());
        let sub = subscribe_pull(node, &format!("probe == \"{probe}\""), None).await;
        loop {
            publish(publisher, json!({ "probe": probe })).await;
            if !pull(node, &sub, "500ms").await.is_empty() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "events never reached subscriber {i}"
            );
        }
        assert_eq!(delete(node, &format!("/v1/subscriptions/{sub}")).await, 204);
        // Late copies of the probe would only reach the probe's own, cancelled, subscription.
    }
}
