//! What a test needs to say about a child process it ran: its peak memory, and Ctrl-C.

use std::process::Child;

/// The peak resident set size, in KiB, of the largest child of this process that has been
/// waited for so far (`getrusage(RUSAGE_CHILDREN)`: the kernel's own high-water mark of each
/// child, kept after it exits, where `/proc/PID/status` is gone).
///
/// It covers every child this test binary has reaped, so a test binary that asserts a bound
/// with it runs only children that must all stay under that bound.
pub fn children_peak_rss_kib() -> std::io::Result<u64> {
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map_err(std::io::Error::from)?;
    // Linux reports ru_maxrss in KiB.
    Ok(u64::try_from(usage.max_rss()).unwrap_or(0))
}

/// Sends SIGINT to `child`, as Ctrl-C in a terminal does.
pub fn interrupt(child: &Child) -> std::io::Result<()> {
    let pid = i32::try_from(child.id()).map_err(std::io::Error::other)?;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGINT,
    )
    .map_err(std::io::Error::from)
}
