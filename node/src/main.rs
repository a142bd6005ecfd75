//! The `sift` command line: one binary for every subcommand.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than the platform's allocator: the subscription index makes many small
/// allocations that live long, and with glibc's malloc a million of them left the heap
/// fragmented (a third more resident memory) and made matching half again slower, since
/// related entries ended up far apart in memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cli.run()
}
