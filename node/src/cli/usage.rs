//! What a measured stretch of work costs the process besides wall-clock time: resident memory,
//! and CPU time split between the program's own instructions and the kernel's work on its
//! behalf. Both come from Linux (`/proc`, `getrusage`); elsewhere they are unknown (`None`).
//!
//! The split matters for an index that grows: every page it touches for the first time is
//! zeroed by the kernel, and under a hypervisor that is slow to back guest memory, that alone
//! has taken from nothing to more than the index's own work per insertion, from one run to
//! the next on the same binary.

use std::ops::{AddAssign, Sub};
use std::time::Duration;

/// CPU time used by one thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct CpuTime {
    /// Running the program's own code.
    pub(super) user: Duration,
    /// In the kernel on the thread's behalf: system calls and page faults.
    pub(super) kernel: Duration,
}

impl CpuTime {
    /// The calling thread's CPU time so far.
    #[cfg(target_os = "linux")]
    pub(super) fn of_this_thread() -> Option<CpuTime> {
        use nix::sys::resource::{UsageWho, getrusage};
        use nix::sys::time::{TimeVal, TimeValLike};
        let usage = getrusage(UsageWho::RUSAGE_THREAD).ok()?;
        let duration = |t: TimeVal| Duration::from_micros(t.num_microseconds().max(0) as u64);
        Some(CpuTime {
            user: duration(usage.user_time()),
            kernel: duration(usage.system_time()),
        })
    }

    #[cfg(not(target_os = "linux"))]
    pub(super) fn of_this_thread() -> Option<CpuTime> {
        None
    }
}

impl Sub for CpuTime {
    type Output = CpuTime;

    /// The time used between two readings of one thread (`self` the later); the kernel's
    /// counters never go back, and a reading that seems to is taken as no time.
    fn sub(self, earlier: CpuTime) -> CpuTime {
        CpuTime {
            user: self.user.saturating_sub(earlier.user),
            kernel: self.kernel.saturating_sub(earlier.kernel),
        }
    }
}

impl AddAssign for CpuTime {
    fn add_assign(&mut self, other: CpuTime) {
        self.user += other.user;
        self.kernel += other.kernel;
    }
}

/// The process's resident set size, from /proc/self/statm.
pub(super) fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_thread_s_cpu_time_grows_with_its_work() {
        let before = CpuTime::of_this_thread().expect("getrusage answers on Linux");
        // Spin until the user time moves: the kernel accounts CPU time in ticks.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut spins = 0u64;
        let after = loop {
            for _ in 0..100_000 {
                spins = std::hint::black_box(spins.wrapping_add(1));
            }
            let now = CpuTime::of_this_thread().expect("getrusage answers on Linux");
            if now.user > before.user {
                break now;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "10 s of spinning and no user time"
            );
        };
        let used = after - before;
        assert!(used.user > Duration::ZERO);
        let mut total = CpuTime::default();
        total += used;
        total += used;
        assert_eq!(total.user, used.user * 2);
        assert_eq!(before - after, CpuTime::default(), "never negative");
    }

    #[test]
    fn resident_memory_is_read() {
        let bytes = resident_bytes().expect("/proc/self/statm on Linux");
        assert!(bytes > 0);
    }
}
