//! sift's content model: events, the filter language, covering and the subscription index.

pub mod covering;
pub mod event;
pub mod filter;
pub mod fuzzing;
pub mod index;
pub mod normal;
pub mod value;
pub mod workload;

pub use covering::covers;
pub use event::{Event, EventError, EventLimits};
pub use filter::{Filter, FilterLimits, ParseError};
pub use index::{MatchBuffers, SubscriptionIndex};
pub use normal::NormalForm;
pub use value::{Number, Value};
