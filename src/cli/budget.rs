//! The memory budget: how much the CLI may hold at once. Anything that would need more (a whole
//! read printed as JSON or text, one chunk decoded whole) is refused before a byte is read,
//! with the way out; `read --out` streams and needs only a few chunk rows.

use std::time::Duration;

use crate::backend::{Error, LockHolder, LockWaitHook, Result};

use super::progress::fmt_bytes;

/// Used when neither the flag nor /proc says anything.
const FALLBACK: u64 = 1 << 30;
/// The smallest budget that makes sense: below it even the process's own needs do not fit.
const MIN: u64 = 1 << 20;

/// What the JSON or text form of one element costs while it is held: the element in the read,
/// its `serde_json::Value` and its printed digits.
pub const HELD_PER_ELEMENT: u64 = 64;

/// Bytes the CLI may hold at once, and where the number came from (for messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub bytes: u64,
    pub from_flag: bool,
}

impl Budget {
    /// `--memory-limit` / `EXTENT_MEMORY_LIMIT` when given, otherwise half of the memory the
    /// process can have: the smaller of RAM (`/proc/meminfo`) and its address-space limit.
    pub fn resolve(flag: Option<&str>) -> Result<Budget> {
        if let Some(text) = flag {
            let bytes = parse_size(text)?;
            if bytes < MIN {
                return Err(Error::invalid_input(format!(
                    "--memory-limit {text} is below the minimum of {}",
                    fmt_bytes(MIN)
                )));
            }
            return Ok(Budget {
                bytes,
                from_flag: true,
            });
        }
        let ram = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|t| meminfo_total(&t));
        let limit = std::fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|t| address_space_limit(&t));
        let bytes = match (ram, limit) {
            (Some(r), Some(l)) => r.min(l) / 2,
            (Some(x), None) | (None, Some(x)) => x / 2,
            (None, None) => FALLBACK,
        };
        Ok(Budget {
            bytes: bytes.max(MIN),
            from_flag: false,
        })
    }

    /// Refuses to hold `need` bytes for `what` when that is over the budget.
    pub fn hold(&self, need: u64, what: &str, way_out: &str) -> Result<()> {
        if need <= self.bytes {
            return Ok(());
        }
        Err(Error::invalid_input(format!(
            "{what} needs about {} of memory, over the memory budget of {} ({}); {way_out}",
            fmt_bytes(need),
            fmt_bytes(self.bytes),
            self.origin()
        )))
    }

    /// Where the budget came from, said so the user knows what to change.
    fn origin(&self) -> &'static str {
        if self.from_flag {
            "set by --memory-limit or EXTENT_MEMORY_LIMIT"
        } else {
            "half of this machine's memory; raise it with --memory-limit or EXTENT_MEMORY_LIMIT"
        }
    }
}

/// Sets the bound of lock waits from `--lock-timeout` / `EXTENT_LOCK_TIMEOUT` (default 60 s);
/// a command (not the TUI) on a terminal says on stderr whom it waits for.
pub fn apply_lock_wait(flag: Option<&str>, command: bool) -> Result<()> {
    use std::io::IsTerminal;
    let bound = match flag {
        Some(text) => parse_duration(text)?,
        None => crate::backend::DEFAULT_LOCK_WAIT,
    };
    let tell: Option<LockWaitHook> = (command && std::io::stderr().is_terminal()).then(|| {
        Box::new(move |h: Option<&LockHolder>| {
            let who = h.map_or("another process".to_string(), |h| h.to_string());
            eprintln!(
                "waiting for {who} to release the lock (at most {} s; see --lock-timeout)",
                bound.as_secs_f64()
            );
        }) as LockWaitHook
    });
    crate::backend::set_lock_wait(bound, tell);
    Ok(())
}

/// `1.5GiB` → (1.5, "gib"): the leading number and the unit after it, lower case.
fn number_and_unit(text: &str) -> Option<(f64, String)> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    Some((num.parse().ok()?, unit.trim().to_ascii_lowercase()))
}

/// A wait: seconds (`2`, `0.5`), or with a unit (`500ms`, `30s`, `2m`); at most a day.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let bad = || {
        Error::invalid_input(format!(
            "lock timeout '{text}' is not a duration from 0 to 1 day (write e.g. 60, 500ms, 30s or 2m)"
        ))
    };
    let (value, unit) = number_and_unit(text).ok_or_else(bad)?;
    let scale = match unit.as_str() {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" | "min" => 60.0,
        _ => return Err(bad()),
    };
    let secs = value * scale;
    if !(0.0..=86_400.0).contains(&secs) {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A size: bytes, or a number with a unit (`512M`, `1.5GiB`, `2g`; K, M, G, T are powers of
/// 1024, with or without `i`/`B`).
pub fn parse_size(text: &str) -> Result<u64> {
    let bad = || {
        Error::invalid_input(format!(
            "memory limit '{text}' is not a size (write e.g. 1073741824, 512M or 2GiB)"
        ))
    };
    let (value, unit) = number_and_unit(text).ok_or_else(bad)?;
    let shift = match unit.as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(bad()),
    };
    let bytes = value * (1u64 << shift) as f64;
    // Up to 2^63: far beyond any machine, and still exact enough as a u64.
    if !(0.0..9.2e18).contains(&bytes) {
        return Err(bad());
    }
    Ok(bytes as u64)
}

/// `MemTotal` in bytes.
fn meminfo_total(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The soft `Max address space` limit in bytes, when there is one.
fn address_space_limit(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("Max address space"))?;
    let soft = line["Max address space".len()..]
        .split_whitespace()
        .next()?;
    soft.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units_and_bad_ones_are_refused() {
        assert_eq!(parse_size("1024").unwrap(), 1024);
        assert_eq!(parse_size("512M").unwrap(), 512 << 20);
        assert_eq!(parse_size("2GiB").unwrap(), 2 << 30);
        assert_eq!(parse_size("1.5g").unwrap(), 3 << 29);
        for bad in ["", "-1", "1e30", "NaN", "inf", "12 apples", "99999999999T"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert!(Budget::resolve(Some("1K")).is_err(), "below the minimum");
    }

    #[test]
    fn lock_timeouts_parse_and_bad_ones_are_refused() {
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        for bad in ["", "-1", "1e30", "NaN", "2h", "86401", "soon"] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.message.contains("lock timeout"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn proc_files_give_ram_and_the_address_space_limit() {
        let mem = "MemTotal:       24576000 kB\nMemFree: 1 kB\n";
        assert_eq!(meminfo_total(mem), Some(24576000 * 1024));
        let limits = "Limit  Soft Limit  Hard Limit  Units\n\
                      Max address space         1073741824           unlimited            bytes\n";
        assert_eq!(address_space_limit(limits), Some(1 << 30));
        let none = "Max address space         unlimited            unlimited            bytes\n";
        assert_eq!(address_space_limit(none), None);
    }

    #[test]
    fn holding_more_than_the_budget_names_the_size_and_the_way_out() {
        let b = Budget {
            bytes: 1 << 20,
            from_flag: true,
        };
        assert!(b.hold(1 << 20, "x", "y").is_ok());
        let e = b
            .hold(3 << 20, "reading a as JSON", "use --out")
            .unwrap_err();
        assert!(e.message.contains("3.00 MiB"), "{}", e.message);
        assert!(e.message.contains("1.00 MiB"), "{}", e.message);
        assert!(e.message.contains("use --out"), "{}", e.message);
    }
}
