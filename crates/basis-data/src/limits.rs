//! Upper limits on counts a user or a file gives (iterations, seeds, trials), checked before
//! anything is allocated or run, so a count near the integer limit is a typed error, not a
//! capacity overflow or an allocation abort.

/// The most training steps (iterations, epochs, Siamese steps) a run accepts. A trainer keeps a
/// log entry of tens of bytes per step, so this bounds the log to a few gigabytes; at a
/// millisecond per step it is more than a day of training.
pub const MAX_STEPS: usize = 100_000_000;

/// The most seeds or trials one command runs (each is a whole training run).
pub const MAX_RUNS: u64 = 10_000;

/// `Err` with a sentence naming `what` when `value` exceeds [`MAX_STEPS`].
pub fn check_steps(what: &str, value: usize) -> Result<(), String> {
    if value > MAX_STEPS {
        return Err(format!(
            "{what} = {value} is more than the {MAX_STEPS} steps one run accepts"
        ));
    }
    Ok(())
}

/// Memory the system can give a new allocation without swapping (`MemAvailable` of
/// `/proc/meminfo`), or `None` where that is not known.
pub fn available_memory_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// `Err` with a sentence when `bytes` (for `what`) exceed the memory available now
/// ([`available_memory_bytes`]); `Ok` where that is not known.
pub fn check_allocation(what: &str, bytes: u128) -> Result<(), String> {
    match available_memory_bytes() {
        Some(free) if bytes > u128::from(free) => Err(format!(
            "{what} needs {:.1} GiB, more than the {:.1} GiB of memory available",
            bytes as f64 / f64::from(1u32 << 30),
            free as f64 / f64::from(1u32 << 30)
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_inclusive_and_names_the_setting() {
        assert!(check_steps("iterations", MAX_STEPS).is_ok());
        let e = check_steps("iterations", usize::MAX).unwrap_err();
        assert!(e.starts_with("iterations = 18446744073709551615"), "{e}");
    }

    #[test]
    fn an_allocation_beyond_the_machine_is_refused_and_a_small_one_is_not() {
        assert!(check_allocation("a vector", 1 << 10).is_ok());
        if available_memory_bytes().is_some() {
            let e = check_allocation("a network", 1 << 80).unwrap_err();
            assert!(e.starts_with("a network needs"), "{e}");
        }
    }
}
