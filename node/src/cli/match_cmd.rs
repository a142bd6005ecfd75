//! `sift match FILTER EVENT_JSON`: the reference for what "matches" means everywhere else.

use std::io::Read;
use std::process::ExitCode;

use sift_matcher::{Event, EventLimits, Filter};

/// Checks one event against one filter: prints `match` (exit 0) or `no match` (exit 1); a bad
/// filter or event prints the error and exits 2.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  sift match 'price > 100 && symbol == \"ACME\"' '{\"price\": 120, \"symbol\": \"ACME\"}'\n  echo '{\"tags\": [\"x\", \"urgent\"]}' | sift match 'tags == \"urgent\"' -"
)]
pub struct MatchArgs {
    /// The filter, e.g. 'price > 100 && symbol == "ACME"'.
    filter: String,
    /// The event as a JSON object, or `-` to read it from standard input.
    event: String,
}

impl MatchArgs {
    pub fn run(self) -> ExitCode {
        match self.evaluate() {
            Ok(true) => {
                println!("match");
                ExitCode::SUCCESS
            }
            Ok(false) => {
                println!("no match");
                ExitCode::from(1)
            }
            Err(message) => {
                eprintln!("sift match: {message}");
                ExitCode::from(2)
            }
        }
    }

    fn evaluate(&self) -> Result<bool, String> {
        let filter = Filter::parse(&self.filter).map_err(|e| format!("bad filter: {e}"))?;
        let event_text = if self.event == "-" {
            let limit = EventLimits::default().max_encoded_size;
            let mut bytes = Vec::new();
            // Read one byte past the limit so an oversize event is reported as such. The size is
            // checked before the text is decoded: the cut may fall inside a UTF-8 character.
            std::io::stdin()
                .take(limit as u64 + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read the event from standard input: {e}"))?;
            if bytes.len() > limit {
                return Err(format!(
                    "bad event: the event on standard input is over the limit of {limit} bytes"
                ));
            }
            String::from_utf8(bytes)
                .map_err(|e| format!("bad event: standard input is not UTF-8 text: {e}"))?
        } else {
            self.event.clone()
        };
        let event = Event::from_json(&event_text, &EventLimits::default())
            .map_err(|e| format!("bad event: {e}"))?;
        Ok(filter.matches(&event))
    }
}
