//! The client commands against a real node: sub (with --count, --json, --exec, and Ctrl-C),
//! pub (NAME=VALUE, --json, --file -), subs, unsub, peers, stats; and a node configured by a
//! TOML file and SIFT_* variables.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{NodeProcess, get, temp_dir};

fn sift(node: &NodeProcess, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(args)
        .env("SIFT_API", &node.api)
        .output()
        .expect("the sift binary runs")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn subscription_count(node: &NodeProcess) -> usize {
    get(node, "/v1/subscriptions")
        .await
        .1
        .as_array()
        .unwrap()
        .len()
}

/// Starts `sift sub` and waits until the node holds its subscription.
async fn start_sub(node: &NodeProcess, args: &[&str]) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_sift"))
        .arg("sub")
        .args(args)
        .env("SIFT_API", &node.api)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while subscription_count(node).await == 0 {
        assert!(Instant::now() < deadline, "sift sub never subscribed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child
}

fn wait(mut child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the command did not finish");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn sub_prints_what_pub_publishes_and_cleans_up_after_itself() {
    let node = NodeProcess::start("cli", None);
    let sub = start_sub(&node, &["price > 100", "--count", "2", "--json"]).await;
    stdout(&sift(
        &node,
        &["pub", "symbol=ACME", "price=120", "zip=\"00100\""],
    ));
    stdout(&sift(
        &node,
        &["pub", "--json", r#"{"symbol": "INIT", "price": 50}"#],
    ));
    let mut file = Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(["pub", "--file", "-"])
        .env("SIFT_API", &node.api)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    file.stdin
        .take()
        .unwrap()
        .write_all(b"{\"price\": 101}\n{\"price\": 1}\n")
        .unwrap();
    let ids = stdout(&file.wait_with_output().unwrap());
    assert_eq!(ids.lines().count(), 2, "one id per published event: {ids}");

    let out = wait(sub);
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["event"]["symbol"], "ACME");
    assert_eq!(
        lines[0]["event"]["zip"], "00100",
        "a quoted value stays a string"
    );
    assert_eq!(lines[1]["event"]["price"], 101);
    // --count reached: the subscription was cancelled on the way out.
    assert_eq!(subscription_count(&node).await, 0);
}

#[tokio::test]
async fn ctrl_c_cancels_and_exec_runs_per_event() {
    let node = NodeProcess::start("cli-exec", None);
    let dir = temp_dir("exec");
    let file = dir.join("events");
    let command = format!("cat >> {}", file.display());
    let sub = start_sub(&node, &["exists(n)", "--exec", &command]).await;
    for n in 0..3 {
        stdout(&sift(&node, &["pub", &format!("n={n}")]));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&file).map_or(0, |t| t.lines().count()) < 3 {
        assert!(
            Instant::now() < deadline,
            "--exec did not run for every event"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let listed = stdout(&sift(&node, &["subs"]));
    assert!(
        listed.contains("exists(n)") && listed.contains("delivered 3"),
        "{listed}"
    );

    let interrupted = Command::new("kill")
        .args(["-INT", &sub.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let out = wait(sub);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsubscribed"));
    assert_eq!(subscription_count(&node).await, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn unsub_peers_stats_and_metrics() {
    let node = NodeProcess::start("cli-admin", None);
    let sub = start_sub(&node, &["x > 1", "--webhook", "http://127.0.0.1:9/hook"]).await;
    let id = String::from_utf8_lossy(&wait(sub).stdout).trim().to_owned();
    assert_eq!(
        stdout(&sift(&node, &["unsub", &id])).trim(),
        format!("unsubscribed {id}")
    );
    let again = sift(&node, &["unsub", &id]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "an unknown subscription is the user's mistake"
    );

    assert!(stdout(&sift(&node, &["peers"])).contains("no peers"));
    let stats: Value = serde_json::from_str(&stdout(&sift(&node, &["stats", "--json"]))).unwrap();
    assert_eq!(stats["name"], "cli-admin");
    let metrics = reqwest::get(node.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("# TYPE sift_deliveries_total counter"),
        "{metrics}"
    );
    assert!(metrics.contains("sift_subscriptions 0"), "{metrics}");

    let unreachable = Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(["stats", "--api", "127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(unreachable.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unreachable.stderr).contains("is `sift node` running?"));
}

#[test]
fn a_node_takes_its_configuration_from_a_file_and_the_environment() {
    let dir = temp_dir("config");
    let config = dir.join("node.toml");
    std::fs::write(
        &config,
        "name = \"from-file\"\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\napi = \"127.0.0.1:0\"\n\
         [limits]\nmax_subscriptions = 1\n",
    )
    .unwrap();
    let mut node = Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(["node", "--config"])
        .arg(&config)
        .env("SIFT_DATA_DIR", dir.join("data"))
        .env("SIFT_STRATEGY", "flood")
        .env_remove("SIFT_API")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut banner = String::new();
    let mut reader = BufReader::new(node.stdout.take().unwrap());
    let mut api = None;
    while api.is_none() {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "no banner: {banner}"
        );
        banner.push_str(&line);
        api = line
            .trim()
            .strip_prefix("API:")
            .map(|a| a.trim().to_owned());
    }
    assert!(banner.contains("sift node from-file (flood)"), "{banner}");
    assert!(dir.join("data/identity.ed25519").exists());

    let api = api.unwrap();
    let subscribe = |filter: &str| {
        Command::new(env!("CARGO_BIN_EXE_sift"))
            .args([
                "sub",
                filter,
                "--webhook",
                "http://127.0.0.1:9/",
                "--api",
                &api,
            ])
            .output()
            .unwrap()
    };
    assert!(subscribe("x > 1").status.success());
    let refused = subscribe("x > 2");
    assert_eq!(
        refused.status.code(),
        Some(2),
        "over the file's limit of one subscription"
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("limit"));

    let _ = node.kill();
    let _ = node.wait();
    std::fs::remove_dir_all(&dir).unwrap();
}
