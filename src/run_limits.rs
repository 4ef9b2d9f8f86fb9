//! The limits `plumb run` can put on a guest: `--fuel`, `--timeout`,
//! `--max-memory` and `--max-wasm-stack`. Each maps to the engine's own
//! control (fuel, epoch interruption with a ticker thread, a resource
//! limiter, the stack limit), and a guest stopped by one hears which.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use plumb::{Engine, ResourceLimiter, StoreLimits, StoreLimitsBuilder, Trap, TrapCode};

/// The limits given on the command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LimitArgs {
    /// Fuel for the guest: each Wasm operator costs 1 (`nop`, `drop`,
    /// `block`, `loop`, `else`, `end`, `unreachable`, `return` cost 0);
    /// running out stops it.
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,
    /// Wall-clock time the guest may run, e.g. `500ms`, `2s`, `1m` (a bare
    /// number is seconds); past it the guest is interrupted at its next
    /// function call or loop iteration.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// The most bytes a memory of the guest may have, e.g. `64MiB`, `1GiB`,
    /// `65536` (suffixes K/KiB, M/MiB, G/GiB are powers of 1024); a
    /// `memory.grow` past it returns -1 and a memory declared larger is
    /// refused.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub max_memory: Option<u64>,
    /// The most bytes of native stack the guest may use (default 512KiB,
    /// same suffixes); deeper recursion traps with `call stack exhausted`.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub max_wasm_stack: Option<u64>,
}

/// `500ms`, `2s`, `1.5s`, `1m`, `1h`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| anyhow!("`{text}` is not a duration such as 500ms or 2s"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        _ => bail!("`{text}`: unknown unit `{unit}` (use ms, s, m or h)"),
    };
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| anyhow!("`{text}` is not a duration the clock can count"))
}

/// `65536`, `64K`/`64KiB`, `16M`/`16MiB`, `1G`/`1GiB` (powers of 1024).
pub fn parse_bytes(text: &str) -> Result<u64> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: u64 = number.parse().map_err(|_| anyhow!("`{text}` is not a size such as 65536 or 64MiB"))?;
    let scale: u64 = match unit {
        "" | "B" => 1,
        "K" | "KiB" | "k" => 1 << 10,
        "M" | "MiB" => 1 << 20,
        "G" | "GiB" => 1 << 30,
        _ => bail!("`{text}`: unknown unit `{unit}` (use K, M or G, or KiB, MiB, GiB)"),
    };
    value.checked_mul(scale).ok_or_else(|| anyhow!("`{text}` is too large"))
}

impl LimitArgs {
    /// An engine that enforces these limits; with `perfmap`, one that
    /// writes the perf map (`Config::perfmap`).
    pub fn engine(&self, perfmap: bool) -> Result<Engine> {
        let mut config = crate::compile_cmd::config(self.fuel.is_some(), self.timeout.is_some());
        config.perfmap(perfmap);
        if let Some(bytes) = self.max_wasm_stack {
            config.max_wasm_stack(
                usize::try_from(bytes).map_err(|_| anyhow!("--max-wasm-stack is too large"))?,
            );
        }
        Ok(Engine::new(&config)?)
    }

    /// The memory limiter for `--max-memory`.
    pub fn limiter(&self) -> Limiter {
        let mut limits = StoreLimitsBuilder::new();
        if let Some(bytes) = self.max_memory {
            limits = limits.memory_size(usize::try_from(bytes).unwrap_or(usize::MAX));
        }
        Limiter { limits: limits.build(), denied: None }
    }

    /// Starts the `--timeout` clock: after it, the engine's epoch advances
    /// past every store's deadline of 1. The thread ends with the process.
    pub fn start_timer(&self, engine: &Engine) {
        if let Some(timeout) = self.timeout {
            let engine = engine.clone();
            std::thread::spawn(move || {
                std::thread::sleep(timeout);
                engine.increment_epoch();
            });
        }
    }

    /// What a trap says about the limit behind it, if one is: appended to
    /// its message.
    pub fn explain(&self, trap: &Trap, limiter: &Limiter) -> Option<String> {
        let flag = match trap.code() {
            TrapCode::OutOfFuel => self.fuel.map(|n| format!("the --fuel of {n} ran out")),
            TrapCode::Interrupt => self.timeout.map(|t| format!("the --timeout of {t:?} passed")),
            TrapCode::StackOverflow => self.max_wasm_stack.map(|n| format!("--max-wasm-stack is {n} bytes")),
            _ => None,
        };
        flag.or_else(|| limiter.denied.map(|bytes| self.denial(bytes)))
    }

    fn denial(&self, bytes: usize) -> String {
        let limit = self.max_memory.unwrap_or_default();
        format!("a memory growth to {bytes} bytes was refused: --max-memory is {limit} bytes")
    }
}

/// The limiter of `plumb run`: `--max-memory`, remembering the last
/// growth it refused so that the exit message can name the limit.
#[derive(Debug)]
pub struct Limiter {
    limits: StoreLimits,
    /// The size of the last memory growth refused, in bytes.
    pub denied: Option<usize>,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> plumb::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        if !allowed {
            self.denied = Some(desired);
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> plumb::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_parse_with_their_units() {
        assert_eq!(parse_duration("500ms").ok(), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2").ok(), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s").ok(), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1m").ok(), Some(Duration::from_secs(60)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3 days").is_err());
        assert_eq!(parse_bytes("65536").ok(), Some(65536));
        assert_eq!(parse_bytes("64KiB").ok(), Some(64 << 10));
        assert_eq!(parse_bytes("16M").ok(), Some(16 << 20));
        assert_eq!(parse_bytes("1GiB").ok(), Some(1 << 30));
        assert!(parse_bytes("12 parsecs").is_err());
        assert!(parse_bytes("99999999999999999999G").is_err());
    }
}
