//! The client commands: `sift sub`, `pub`, `unsub`, `subs`, `peers`, `stats`, talking to a
//! node's HTTP API.

use std::io::Write;
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};

use anyhow::{Context, Result, bail};
use clap::Args;
use futures::StreamExt;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Map, Value, json};

use super::sse::SseParser;
use sift_node::base_url;

/// Where the node's API is.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The node's API: http://HOST:PORT or HOST:PORT
    #[arg(long, env = "SIFT_API", default_value = sift_node::DEFAULT_API, value_name = "URL")]
    api: String,
}

/// How to show what comes back.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Machine-readable output: JSON (one object per line for streams)
    #[arg(long)]
    json: bool,
}

/// A client error the caller must fix: printed, then exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(String);

impl ApiArgs {
    fn url(&self, path: &str) -> Result<String> {
        Ok(format!(
            "{}{path}",
            base_url(&self.api).map_err(UsageError)?
        ))
    }
}

/// Runs a client command on a small runtime and maps errors to exit codes: 2 for what the
/// user must fix (a bad filter, a bad event), 1 for the rest.
pub fn run_client(future: impl std::future::Future<Output = Result<()>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("sift: starting the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(future) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sift: {error:#}");
            if error.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn connect_error(api: &str) -> impl FnOnce(reqwest::Error) -> anyhow::Error + '_ {
    move |error| {
        anyhow::anyhow!(
            "cannot reach the node's API at {api}: {error} (is `sift node` running? see --api)"
        )
    }
}

/// The body of a successful response, or the API's error as an error (a 4xx as the user's
/// mistake, exit status 2).
async fn json_body(response: Response, context: &str) -> Result<Value> {
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .unwrap_or_else(|_| json!({"error": {"message": "the node answered without a JSON body"}}));
    if status.is_success() {
        return Ok(body);
    }
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or("unknown error")
        .to_owned();
    if status.is_client_error() {
        Err(UsageError(format!("{context}: {message}")).into())
    } else {
        bail!("{context}: the node answered {status}: {message}")
    }
}

#[derive(Debug, Args)]
pub struct SubArgs {
    /// The filter, e.g. 'price > 100 && symbol == "ACME"' (see docs/filter-language.md)
    filter: String,
    /// How long the subscription lasts, e.g. 90s, 15m, 2h [default: until cancelled]
    #[arg(long, value_name = "DUR")]
    ttl: Option<String>,
    /// Stop after this many events
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Run CMD (with sh -c) for each event, the event's JSON on its stdin
    #[arg(long, value_name = "CMD", conflicts_with = "webhook")]
    exec: Option<String>,
    /// Have the node POST each event to URL instead, and return at once (the subscription
    /// stays until it expires or `sift unsub`)
    #[arg(long, value_name = "URL", conflicts_with = "count")]
    webhook: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    api: ApiArgs,
}

impl SubArgs {
    pub async fn run(self) -> Result<()> {
        let client = Client::new();
        let callback = match &self.webhook {
            Some(url) => json!({"type": "webhook", "url": url}),
            None => json!({"type": "stream"}),
        };
        let mut request = json!({"filter": self.filter, "callback": callback});
        if let Some(ttl) = &self.ttl {
            request["ttl"] = json!(ttl);
        }
        let response = client
            .post(self.api.url("/v1/subscriptions")?)
            .json(&request)
            .send()
            .await
            .map_err(connect_error(&self.api.api))?;
        if response.status() == StatusCode::BAD_REQUEST {
            let body: Value = response.json().await.unwrap_or_default();
            let error = &body["error"];
            let message = error["message"].as_str().unwrap_or("bad request");
            if let Some(offset) = error["offset"].as_u64() {
                let offset = offset as usize;
                eprintln!(
                    "{}\n{}^",
                    self.filter,
                    " ".repeat(self.filter[..offset.min(self.filter.len())].chars().count())
                );
            }
            return Err(UsageError(message.to_owned()).into());
        }
        let sub = json_body(response, "subscribing").await?;
        let id = sub["id"].as_str().unwrap_or_default().to_owned();
        let until = sub["expires_at"].as_str().unwrap_or("cancelled");
        if let Some(url) = &self.webhook {
            println!("{id}");
            eprintln!("subscribed as {id}, calling {url} until {until}");
            return Ok(());
        }
        eprintln!("subscribed as {id}, until {until}");
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .context("listening for SIGTERM")?;
        // Ctrl-C or SIGTERM: cancel the subscription on the way out.
        let outcome = tokio::select! {
            outcome = self.follow(&client, &id) => outcome,
            _ = tokio::signal::ctrl_c() => Ok(false),
            _ = terminate.recv() => Ok(false),
        };
        let ended = match outcome {
            Ok(ended) => ended,
            Err(error) => {
                self.cancel(&client, &id).await;
                return Err(error);
            }
        };
        if ended {
            eprintln!("subscription {id} ended (it expired or was cancelled)");
        } else {
            self.cancel(&client, &id).await;
        }
        Ok(())
    }

    async fn cancel(&self, client: &Client, id: &str) {
        if let Ok(url) = self.api.url(&format!("/v1/subscriptions/{id}")) {
            match client.delete(url).send().await {
                Ok(_) => eprintln!("unsubscribed {id}"),
                Err(error) => eprintln!("sift: could not unsubscribe {id}: {error}"),
            }
        }
    }

    /// Prints events until the count is reached (`false`) or the subscription ends (`true`).
    async fn follow(&self, client: &Client, id: &str) -> Result<bool> {
        let response = client
            .get(self.api.url(&format!("/v1/subscriptions/{id}/stream"))?)
            .send()
            .await
            .map_err(connect_error(&self.api.api))?;
        if !response.status().is_success() {
            json_body(response, "opening the stream").await?;
            bail!("the node refused the stream");
        }
        let mut parser = SseParser::default();
        let mut seen = 0u64;
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.context("reading the event stream")?;
            for (kind, data) in parser.feed(&chunk).map_err(anyhow::Error::msg)? {
                match kind.as_str() {
                    "event" => {
                        self.show(&data)?;
                        seen += 1;
                        if self.count.is_some_and(|count| seen >= count) {
                            return Ok(false);
                        }
                    }
                    "end" => return Ok(true),
                    _ => {}
                }
            }
        }
        bail!("the node closed the stream (did it stop?)")
    }

    fn show(&self, data: &str) -> Result<()> {
        let delivery: Value =
            serde_json::from_str(data).context("a malformed event on the stream")?;
        let event = &delivery["event"];
        if let Some(command) = &self.exec {
            let mut child = std::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .stdin(Stdio::piped())
                .spawn()
                .with_context(|| format!("running `{command}`"))?;
            if let Some(mut stdin) = child.stdin.take() {
                // A command that does not read its input is not an error.
                let _ = writeln!(stdin, "{event}");
            }
            let status = child
                .wait()
                .with_context(|| format!("waiting for `{command}`"))?;
            if !status.success() {
                eprintln!("sift: `{command}` exited with {status}");
            }
            return Ok(());
        }
        let mut stdout = std::io::stdout().lock();
        if self.output.json {
            writeln!(stdout, "{delivery}")?;
        } else {
            writeln!(
                stdout,
                "{} {}",
                delivery["published_at"].as_str().unwrap_or_default(),
                event
            )?;
        }
        stdout.flush()?;
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct PubArgs {
    /// Attributes as NAME=VALUE: an integer, float or bool if the value parses as one, else
    /// a string; a value in double quotes is always a string (zip='"00100"')
    #[arg(value_name = "NAME=VALUE")]
    attributes: Vec<String>,
    /// The event as a JSON object
    #[arg(long = "json", value_name = "JSON", conflicts_with_all = ["attributes", "file"])]
    event_json: Option<String>,
    /// Events as JSON lines, from a file or - for stdin
    #[arg(long, value_name = "FILE", conflicts_with = "attributes")]
    file: Option<PathBuf>,
    #[command(flatten)]
    api: ApiArgs,
}

impl PubArgs {
    pub async fn run(self) -> Result<()> {
        let client = Client::new();
        let (path, body) = if let Some(file) = &self.file {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).context("reading events from stdin")?
            } else {
                std::fs::read_to_string(file)
                    .with_context(|| format!("reading {}", file.display()))?
            };
            ("/v1/events/batch", text)
        } else if let Some(json) = &self.event_json {
            ("/v1/events", json.clone())
        } else if !self.attributes.is_empty() {
            (
                "/v1/events",
                attributes_to_json(&self.attributes)?.to_string(),
            )
        } else {
            return Err(UsageError(
                "give attributes (NAME=VALUE ...), --json JSON or --file F".into(),
            )
            .into());
        };
        let response = client
            .post(self.api.url(path)?)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(connect_error(&self.api.api))?;
        // The ids alone, one per line: what a script wants.
        let answer = json_body(response, "publishing").await?;
        if let Some(id) = answer["id"].as_str() {
            println!("{id}");
        }
        for id in answer["ids"].as_array().into_iter().flatten() {
            println!("{}", id.as_str().unwrap_or_default());
        }
        Ok(())
    }
}

fn attributes_to_json(attributes: &[String]) -> Result<Value> {
    let mut object = Map::new();
    for attribute in attributes {
        let Some((name, value)) = attribute.split_once('=') else {
            return Err(UsageError(format!("`{attribute}` is not NAME=VALUE")).into());
        };
        if name.is_empty() {
            return Err(UsageError(format!("`{attribute}` has no name")).into());
        }
        object.insert(name.to_owned(), shorthand_value(value));
    }
    Ok(Value::Object(object))
}

/// The value of a NAME=VALUE pair, by the filter-language contract's shorthand rule.
fn shorthand_value(text: &str) -> Value {
    if let Some(quoted) = text
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        return Value::String(quoted.to_owned());
    }
    if let Ok(integer) = text.parse::<i64>() {
        return json!(integer);
    }
    if let Some(float) = text.parse::<f64>().ok().filter(|f| f.is_finite()) {
        return json!(float);
    }
    match text {
        "true" => json!(true),
        "false" => json!(false),
        _ => Value::String(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorthand_values_follow_the_contract() {
        assert_eq!(shorthand_value("42"), json!(42));
        assert_eq!(shorthand_value("-1.5"), json!(-1.5));
        assert_eq!(shorthand_value("true"), json!(true));
        assert_eq!(shorthand_value("ACME"), json!("ACME"));
        assert_eq!(shorthand_value("\"00100\""), json!("00100"));
        assert_eq!(shorthand_value("[1,2]"), json!("[1,2]"));
        assert_eq!(shorthand_value("inf"), json!("inf"));
        let event = attributes_to_json(&["a=1".into(), "b=x=y".into()]).unwrap();
        assert_eq!(event, json!({"a": 1, "b": "x=y"}));
        assert!(attributes_to_json(&["novalue".into()]).is_err());
    }
}

#[derive(Debug, Args)]
pub struct UnsubArgs {
    /// The subscription's id, as `sift sub` or `sift subs` shows it
    id: String,
    #[command(flatten)]
    api: ApiArgs,
}

impl UnsubArgs {
    pub async fn run(self) -> Result<()> {
        let response = Client::new()
            .delete(self.api.url(&format!("/v1/subscriptions/{}", self.id))?)
            .send()
            .await
            .map_err(connect_error(&self.api.api))?;
        if response.status() == StatusCode::NO_CONTENT {
            println!("unsubscribed {}", self.id);
            return Ok(());
        }
        json_body(response, &format!("unsubscribing {}", self.id)).await?;
        Ok(())
    }
}

/// `sift subs`, `sift peers`, `sift stats`: one GET, shown as a table or JSON.
#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    api: ApiArgs,
}

#[derive(Clone, Copy, Debug)]
pub enum Listing {
    Subscriptions,
    Peers,
    Stats,
}

impl ShowArgs {
    pub async fn run(self, listing: Listing) -> Result<()> {
        let path = match listing {
            Listing::Subscriptions => "/v1/subscriptions",
            Listing::Peers => "/v1/peers",
            Listing::Stats => "/v1/stats",
        };
        let response = Client::new()
            .get(self.api.url(path)?)
            .send()
            .await
            .map_err(connect_error(&self.api.api))?;
        let body = json_body(response, "asking the node").await?;
        if self.output.json {
            println!("{body}");
            return Ok(());
        }
        match listing {
            Listing::Subscriptions => {
                let subs = body.as_array().cloned().unwrap_or_default();
                if subs.is_empty() {
                    println!("no subscriptions");
                }
                for sub in subs {
                    println!(
                        "{:<18} {:<7} until {:<26} delivered {:<8} {}",
                        sub["id"].as_str().unwrap_or_default(),
                        sub["callback"].as_str().unwrap_or_default(),
                        sub["expires_at"].as_str().unwrap_or("cancelled"),
                        sub["delivered"].as_u64().unwrap_or_default(),
                        sub["filter"].as_str().unwrap_or_default(),
                    );
                }
            }
            Listing::Peers => {
                let peers = body["peers"].as_array().cloned().unwrap_or_default();
                if peers.is_empty() {
                    println!("no peers");
                }
                for peer in peers {
                    let role = if peer["neighbour"].as_bool() == Some(true) {
                        "neighbour"
                    } else {
                        "connected"
                    };
                    println!(
                        "{:<54} {role}",
                        peer["peer_id"].as_str().unwrap_or_default()
                    );
                }
            }
            Listing::Stats => {
                if let Some(object) = body.as_object() {
                    for (key, value) in object {
                        match value.as_object() {
                            Some(inner) => {
                                for (k, v) in inner {
                                    println!("{key}.{k:<24} {v}");
                                }
                            }
                            None => println!(
                                "{key:<33} {}",
                                value
                                    .as_str()
                                    .map_or_else(|| value.to_string(), str::to_owned)
                            ),
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
