//! Standard output of the commands. A reader that goes away (`plumb wast
//! ... | head -1`) ends the command quietly: Rust ignores SIGPIPE, so a
//! write to a closed pipe fails with `BrokenPipe`, and `println!` would
//! panic on it. Every command prints through [`line()`] instead.

use std::io::Write;

/// Writes `text` and a newline to standard output. When standard output is
/// a closed pipe, the process exits at once with status 0: nobody is left
/// to read the rest. Any other write error is reported once on standard
/// error, and the process exits with status 1.
pub fn line(text: impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    let result = writeln!(out, "{text}").and_then(|()| out.flush());
    if let Err(e) = result {
        closed(e);
    }
}

/// Writes `text` as it is (no newline added), as [`line()`] does.
pub fn text(text: impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    let result = write!(out, "{text}").and_then(|()| out.flush());
    if let Err(e) = result {
        closed(e);
    }
}

fn closed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    let _ = writeln!(std::io::stderr(), "error: cannot write to standard output: {e}");
    std::process::exit(1);
}
