//! sift's content model: events, the filter language, covering and the subscription index.

pub mod event;
pub mod filter;
pub mod value;

pub use event::{Event, EventError, EventLimits};
pub use filter::{Filter, FilterLimits, ParseError};
pub use value::{Number, Value};
