//! The daemon's clock: microseconds since the Unix epoch, the `now` the core is driven with.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sift_core::Micros;

pub(crate) fn now() -> Micros {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_micros() as Micros
}

/// `micros` since the epoch as RFC 3339 text, as the API shows times.
pub(crate) fn rfc3339(micros: Micros) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_micros(micros)).to_string()
}

/// A duration as the core counts it.
pub(crate) fn micros(duration: Duration) -> Micros {
    duration.as_micros().min(u128::from(Micros::MAX)) as Micros
}
