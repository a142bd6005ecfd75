//! Windows of the run that several threads step at once, with the same outcome as one.
//!
//! Nothing a node sends reaches another node sooner than the network's smallest latency, `L`
//! (a sender learns of a lost peer later still: [`Network::failure_notice`] exceeds `L`). So
//! within a window of inputs due in `[t, t + L)`, no node's input depends on what another node
//! does in the same window, and the nodes can take their inputs on different threads: each
//! node's inputs in their order, the nodes side by side. That is conservative parallel
//! discrete-event simulation with the latency as lookahead (Chandy and Misra, 1979).
//!
//! The run stays byte for byte what one thread makes of it, whatever the number of threads:
//! the workers only call the nodes' state machines and keep what each call produced; the main
//! thread then plays those outputs in the window's order, drawing latencies from the network's
//! one RNG, feeding the checker and writing the trace exactly as a single-threaded run does.
//!
//! A node's own timer can fall inside the window (an expiry due now). Then its later inputs
//! in the window would come after that timer, which the workers do not see in time, so a
//! worker stops stepping that node at the first such output and leaves its remaining inputs
//! to the main thread, which takes them in order with the timer.
//!
//! [`Network::failure_notice`]: crate::network::Network::failure_notice

use std::cmp::Ordering;
use std::sync::{Arc, Mutex};

use sift_core::{Input, Micros, Outputs, Publication, Strategy};

/// Windows with fewer inputs than this are stepped on the main thread alone: starting the
/// workers would cost more than it saves.
const MIN_PARALLEL: usize = 64;

/// What the run records as an input is taken, before the node sees it.
#[derive(Debug)]
pub(crate) enum Pre {
    /// A message arrives: the node's load counts it (and its event load, if it carries one).
    Message {
        carries_event: bool,
    },
    /// A timer or a peer-down notice: nothing to record.
    Nothing,
    Subscribe {
        sub: u32,
    },
    Publish {
        event: u32,
        publication: Arc<Publication>,
    },
    Unsubscribe {
        sub: u32,
    },
}

impl Pre {
    pub(crate) fn of(input: &Input) -> Self {
        match input {
            Input::Message { msg, .. } => Pre::Message {
                carries_event: msg.payload().is_some(),
            },
            _ => Pre::Nothing,
        }
    }
}

/// One input of a window.
#[derive(Debug)]
pub(crate) struct Due {
    pub(crate) at: Micros,
    pub(crate) node: u32,
    pub(crate) pre: Pre,
    /// `None` once a worker handed it to the node; the main thread hands over the rest.
    pub(crate) input: Option<Input>,
    /// What the node produced, when a worker handed it the input.
    pub(crate) out: Outputs,
}

/// An input scheduled inside the window it was produced in: a timer due before the window
/// ends. Taken in due order, ties in the order they were scheduled.
#[derive(Debug)]
pub(crate) struct Soon {
    pub(crate) at: Micros,
    pub(crate) seq: u64,
    pub(crate) node: u32,
    pub(crate) input: Input,
}

impl PartialEq for Soon {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Soon {}

impl PartialOrd for Soon {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Soon {
    /// Reversed, so that `BinaryHeap` yields the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Hands the window's inputs (`window`, due before `end`) to their nodes on `workers`
/// threads. Each node's inputs stay together, in their order, on one thread; the threads take
/// the nodes with the most inputs first, one at a time from a shared queue, since a few nodes
/// (a tree's root, a broker) can carry much of a window's work. Inputs left untaken are for
/// nodes that are not running, or that scheduled a timer inside the window.
pub(crate) fn step_in_parallel(
    nodes: &mut [Option<Box<dyn Strategy>>],
    window: &mut [Due],
    workers: usize,
    end: Micros,
) {
    if workers < 2 || window.len() < MIN_PARALLEL {
        return;
    }
    let mut dues: Vec<&mut Due> = window.iter_mut().collect();
    // Stable: each node's inputs keep their order.
    dues.sort_by_key(|due| due.node);
    let mut groups = Vec::new();
    let (mut rest, mut first) = (nodes, 0);
    for inputs in dues.chunk_by_mut(|a, b| a.node == b.node) {
        let node = inputs[0].node as usize;
        let (slot, after) = std::mem::take(&mut rest)[node - first..]
            .split_first_mut()
            .expect("inputs are for nodes of the run");
        (rest, first) = (after, node + 1);
        if let Some(strategy) = slot {
            groups.push((strategy, inputs));
        }
    }
    groups.sort_by_key(|(_, inputs)| std::cmp::Reverse(inputs.len()));
    let queue = Mutex::new(groups.into_iter());
    let work = || {
        loop {
            let next = queue.lock().expect("no worker panics").next();
            let Some((strategy, inputs)) = next else {
                break;
            };
            step_node(strategy, inputs, end);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..workers {
            scope.spawn(work);
        }
        work();
    });
}

/// Hands one node its inputs in order, up to the first that sets a timer inside the window.
fn step_node(strategy: &mut Box<dyn Strategy>, inputs: &mut [&mut Due], end: Micros) {
    for due in inputs {
        let input = due.input.take().expect("a window's inputs start untaken");
        strategy.handle(due.at, input, &mut due.out);
        if due.out.timers.iter().any(|&(at, _)| at < end) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use sift_core::{NodeId, StrategyKind, SubId, Timer};

    use super::*;

    /// Counts its inputs; at the second, sets a timer `delay` ahead.
    #[derive(Debug)]
    struct Counter {
        handled: Vec<Micros>,
        delay: Micros,
    }

    impl Strategy for Counter {
        fn kind(&self) -> StrategyKind {
            StrategyKind::Flood
        }

        fn handle(&mut self, now: Micros, _input: Input, out: &mut Outputs) {
            self.handled.push(now);
            if self.handled.len() == 2 {
                out.timers.push((now + self.delay, Timer::Expiry));
            }
        }

        fn neighbours(&self) -> &[NodeId] {
            &[]
        }

        fn routing_entries(&self) -> usize {
            0
        }

        fn routed_subscriptions(&self) -> Vec<SubId> {
            Vec::new()
        }
    }

    fn window(nodes: u32, per_node: u32) -> Vec<Due> {
        (0..per_node)
            .flat_map(|i| {
                (0..nodes).map(move |node| Due {
                    at: Micros::from(i),
                    node,
                    pre: Pre::Nothing,
                    input: Some(Input::Timer(Timer::Gossip)),
                    out: Outputs::default(),
                })
            })
            .collect()
    }

    #[test]
    fn a_node_is_held_from_its_first_timer_inside_the_window() {
        // Node 0 sets its timer inside the window, node 1 beyond it; node 2 is not running.
        let mut nodes: Vec<Option<Box<dyn Strategy>>> = vec![
            Some(Box::new(Counter {
                handled: Vec::new(),
                delay: 5,
            })),
            Some(Box::new(Counter {
                handled: Vec::new(),
                delay: 50,
            })),
            None,
        ];
        let mut dues = window(3, 30);
        step_in_parallel(&mut nodes, &mut dues, 2, 40);
        let untaken = |node| {
            dues.iter()
                .filter(|due| due.node == node && due.input.is_some())
                .count()
        };
        assert_eq!(untaken(0), 28, "node 0 stops after its second input");
        assert_eq!(untaken(1), 0);
        assert_eq!(untaken(2), 30, "inputs for a node that is not running wait");
        let timers: usize = dues.iter().map(|due| due.out.timers.len()).sum();
        assert_eq!(timers, 2);
    }

    #[test]
    fn small_windows_and_one_thread_leave_everything_to_the_caller() {
        let mut nodes: Vec<Option<Box<dyn Strategy>>> = (0..4)
            .map(|_| {
                Some(Box::new(Counter {
                    handled: Vec::new(),
                    delay: 50,
                }) as Box<dyn Strategy>)
            })
            .collect();
        let mut small = window(4, 10);
        step_in_parallel(&mut nodes, &mut small, 2, 40);
        assert!(small.iter().all(|due| due.input.is_some()));
        let mut large = window(4, 30);
        step_in_parallel(&mut nodes, &mut large, 1, 40);
        assert!(large.iter().all(|due| due.input.is_some()));
    }
}
