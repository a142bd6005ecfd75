//! Just enough of the NATS client protocol for `sift bench pubsub` to measure nats-server as
//! a reference: CONNECT, SUB, PUB, and reading MSG, answering the server's PING. A benchmark
//! needs nothing else (no TLS, no auth, no reconnection, no headers), and this keeps a full
//! client library, with its TLS stack, out of the `sift` binary.

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Payloads over this are refused as a protocol error (the server's default limit).
const MAX_PAYLOAD: usize = 1 << 20;

#[derive(Debug)]
pub struct NatsConnection {
    reader: BufReader<OwnedReadHalf>,
    writer: BufWriter<OwnedWriteHalf>,
    line: String,
}

impl NatsConnection {
    pub async fn connect(address: &str) -> Result<NatsConnection> {
        let stream = TcpStream::connect(address)
            .await
            .with_context(|| format!("connecting to nats-server at {address}"))?;
        stream.set_nodelay(true)?;
        let (read, write) = stream.into_split();
        let mut connection = NatsConnection {
            reader: BufReader::new(read),
            writer: BufWriter::new(write),
            line: String::new(),
        };
        connection.read_line().await?;
        if !connection.line.starts_with("INFO") {
            bail!(
                "nats-server did not greet with INFO: {}",
                connection.line.trim()
            );
        }
        connection
            .writer
            .write_all(b"CONNECT {\"verbose\":false,\"pedantic\":false}\r\n")
            .await?;
        connection.round_trip().await?;
        Ok(connection)
    }

    async fn read_line(&mut self) -> Result<()> {
        self.line.clear();
        if self.reader.read_line(&mut self.line).await? == 0 {
            bail!("nats-server closed the connection");
        }
        Ok(())
    }

    /// Flushes and waits for the server to answer a PING: everything sent before is processed.
    pub async fn round_trip(&mut self) -> Result<()> {
        self.writer.write_all(b"PING\r\n").await?;
        self.writer.flush().await?;
        loop {
            self.read_line().await?;
            match self.line.trim_end() {
                "PONG" => return Ok(()),
                "PING" => self.writer.write_all(b"PONG\r\n").await?,
                "+OK" => {}
                other if other.starts_with("-ERR") => bail!("nats-server: {other}"),
                _ => {}
            }
        }
    }

    pub async fn subscribe(&mut self, subject: &str, sid: u32) -> Result<()> {
        self.writer
            .write_all(format!("SUB {subject} {sid}\r\n").as_bytes())
            .await?;
        self.round_trip().await
    }

    /// Queues a message; [`NatsConnection::round_trip`] or a full buffer sends it.
    pub async fn publish(&mut self, subject: &str, payload: &[u8]) -> Result<()> {
        self.writer
            .write_all(format!("PUB {subject} {}\r\n", payload.len()).as_bytes())
            .await?;
        self.writer.write_all(payload).await?;
        self.writer.write_all(b"\r\n").await?;
        Ok(())
    }

    /// The next message's payload.
    pub async fn next_message(&mut self) -> Result<Vec<u8>> {
        loop {
            self.read_line().await?;
            let line = self.line.trim_end();
            if line == "PING" {
                self.writer.write_all(b"PONG\r\n").await?;
                self.writer.flush().await?;
                continue;
            }
            if let Some(rest) = line.strip_prefix("MSG ") {
                let len: usize = rest
                    .rsplit(' ')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .with_context(|| format!("a malformed MSG line: {line}"))?;
                if len > MAX_PAYLOAD {
                    bail!("a {len}-byte message is over the payload limit");
                }
                let mut payload = vec![0; len + 2];
                self.reader.read_exact(&mut payload).await?;
                payload.truncate(len);
                return Ok(payload);
            }
            if line.starts_with("-ERR") {
                bail!("nats-server: {line}");
            }
        }
    }
}
