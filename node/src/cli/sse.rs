//! Reading a Server-Sent-Events stream: lines in, `(event, data)` pairs out.

/// Collects the fields of one event until the blank line that ends it.
#[derive(Debug, Default)]
pub struct SseParser {
    buffer: Vec<u8>,
    event: String,
    data: Vec<String>,
}

impl SseParser {
    /// Feeds bytes; returns the events they completed, as (type, data).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<(String, String)> {
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
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_come_out_whole() {
        let mut parser = SseParser::default();
        assert!(parser.feed(b": keep-alive\n\nevent: ev").is_empty());
        let done = parser.feed(b"ent\nid: 1\ndata: {\"a\":1}\n\nevent: end\ndata: bye\n\n");
        assert_eq!(
            done,
            vec![
                ("event".to_owned(), "{\"a\":1}".to_owned()),
                ("end".to_owned(), "bye".to_owned())
            ]
        );
    }
}
