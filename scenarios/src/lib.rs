//! sift's deterministic simulator: thousands of nodes running the core's strategies over a
//! modelled network, on a virtual clock, reproducible byte for byte from a seed on any number
//! of threads.
//!
//! A run is described by a [`Scenario`]; [`run`] plays it and returns the [`Summary`] of
//! spec/trace-format.md, writing the trace as it goes when asked.

mod agenda;
mod check;
mod network;
mod plan;
mod scenario;
mod sim;
mod sizes;
mod spread;
mod summary;
mod trace;
mod trace_check;
mod window;

pub use plan::{Workload, workload};
pub use scenario::{Among, Fault, FaultKind, PeerChoice, Scenario, ScenarioError, WorkloadKind};
pub use sim::{Details, Progress, RunError, run, run_detailed};
pub use spread::Spread;
pub use summary::{Hops, Latency, Load, Summary};
pub use trace::Trace;
pub use trace_check::{TraceError, TraceReport, check_traces};
