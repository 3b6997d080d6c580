//! A progress line for long solves: nothing for the first second, then an
//! indicatif spinner on stderr with the restart count, converged pairs and
//! the largest residual estimate (hidden when stderr is not a terminal).

use crate::lanczos::LanczosProgress;
use indicatif::{ProgressBar, ProgressStyle};
use std::time::{Duration, Instant};

/// Solves shorter than this show nothing.
const QUIET_FOR: Duration = Duration::from_secs(1);

/// Turns [`LanczosProgress`] reports into a progress line once a solve has run for a second.
#[derive(Debug)]
pub struct SolveProgress {
    label: &'static str,
    started: Instant,
    bar: Option<ProgressBar>,
}

impl SolveProgress {
    /// Starts the clock.
    pub fn new(label: &'static str) -> Self {
        Self {
            label,
            started: Instant::now(),
            bar: None,
        }
    }

    /// Records one restart cycle.
    pub fn update(&mut self, p: &LanczosProgress) {
        if self.bar.is_none() && self.started.elapsed() >= QUIET_FOR {
            let bar = ProgressBar::new(p.requested as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {prefix}: {pos}/{len} eigenpairs converged [{elapsed}] {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(self.label);
            bar.enable_steady_tick(Duration::from_millis(200));
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            bar.set_position(p.converged as u64);
            bar.set_message(format!(
                "restart {}, {} products, largest residual {:.1e}",
                p.restart, p.matvecs, p.max_residual
            ));
        }
    }

    /// Clears the line.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
