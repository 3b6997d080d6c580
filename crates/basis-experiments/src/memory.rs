//! Peak resident memory of one stage of a run, for the benchmark tables.
//!
//! Linux only (`/proc/self`): [`PeakProbe::start`] resets the process's
//! resident high-water mark to its current resident size (`clear_refs` 5) and
//! remembers that size; [`PeakProbe::peak_above_start`] is then the most the
//! stage added on top of what was already resident (the loaded data set, the
//! allocator's pools). Elsewhere, or where `/proc` refuses, both return `None`
//! and the tables say "n/a". `scripts/bench_scipy_spectral.py` measures its
//! side the same way.

use std::fs;

/// A started measurement.
#[derive(Debug, Clone, Copy)]
pub struct PeakProbe {
    start_kib: u64,
}

/// A `kB` field of `/proc/self/status`.
fn status_kib(field: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

impl PeakProbe {
    /// Resets the high-water mark; `None` where that is not possible.
    pub fn start() -> Option<Self> {
        fs::write("/proc/self/clear_refs", "5").ok()?;
        Some(Self {
            start_kib: status_kib("VmRSS:")?,
        })
    }

    /// Bytes the peak rose above the resident size at [`Self::start`].
    pub fn peak_above_start(&self) -> Option<u64> {
        let hwm = status_kib("VmHWM:")?;
        Some(hwm.saturating_sub(self.start_kib) * 1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_touched_allocation_shows_in_the_peak() {
        let Some(probe) = PeakProbe::start() else {
            return; // not Linux, or /proc refuses: nothing to measure
        };
        // 64 MiB, every page written so that it is resident, then freed.
        let mut v = vec![0u8; 64 << 20];
        for i in (0..v.len()).step_by(4096) {
            v[i] = 1;
        }
        std::hint::black_box(&v);
        drop(v);
        let peak = probe
            .peak_above_start()
            .expect("VmHWM readable once VmRSS was");
        assert!(peak >= 60 << 20, "peak rose by only {peak} bytes");
    }
}
