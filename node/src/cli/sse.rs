//! Reading a Server-Sent-Events stream: lines in, `(event, data)` pairs out.

/// Longest line taken from a stream; a longer one is an error, not an ever-growing buffer.
/// The node's events are at most 256 KiB of JSON, so their lines stay well below it.
const MAX_LINE: usize = 4 << 20;

/// Collects the fields of one event until the blank line that ends it.
#[derive(Debug, Default)]
pub struct SseParser {
    buffer: Vec<u8>,
    event: String,
    data: Vec<String>,
}

impl SseParser {
    /// Feeds bytes; returns the events they completed, as (type, data), or an error if a
    /// line runs past [`MAX_LINE`].
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
        self.buffer.extend_from_slice(bytes);
        let mut done = Vec::new();
        while let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() || !self.event.is_empty() {
                    let event = std::mem::take(&mut self.event);
                    let kind = if event.is_empty() {
                        "message".to_owned()
                    } else {
                        event
                    };
                    done.push((kind, std::mem::take(&mut self.data).join("\n")));
                }
                continue;
            }
            // Comments (keep-alives) start with a colon.
            let Some((field, value)) = line.split_once(':').or(Some((line, ""))) else {
                continue;
            };
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => self.event = value.to_owned(),
                "data" => self.data.push(value.to_owned()),
                _ => {}
            }
        }
        if self.buffer.len() > MAX_LINE {
            return Err(format!("a stream line over {MAX_LINE} bytes"));
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_come_out_whole() {
        let mut parser = SseParser::default();
        assert!(
            parser
                .feed(b": keep-alive\n\nevent: ev")
                .unwrap()
                .is_empty()
        );
        let done = parser
            .feed(b"ent\nid: 1\ndata: {\"a\":1}\n\nevent: end\ndata: bye\n\n")
            .unwrap();
        assert_eq!(
            done,
            vec![
                ("event".to_owned(), "{\"a\":1}".to_owned()),
                ("end".to_owned(), "bye".to_owned())
            ]
        );
        assert!(parser.feed(&vec![b'x'; MAX_LINE + 1]).is_err());
    }
}
