//! Learning-rate schedules: the step size as a function of the iteration only, so a resumed
//! run takes exactly the steps an uninterrupted one would.

use crate::error::{NnError, Result};
use serde::{Deserialize, Serialize};

/// How the learning rate moves over a run of `T` iterations, from the configured base rate `η`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrSchedule {
    /// `η` at every iteration (the published BASiS code).
    #[default]
    Constant,
    /// Half a cosine from `η` at iteration 0 down to `final_fraction · η` at the last
    /// iteration (Loshchilov & Hutter's SGDR without restarts):
    /// `η_t = η (f + (1 − f) (1 + cos(π t / (T − 1))) / 2)`.
    Cosine {
        /// The last iteration's rate as a fraction of the base rate, in `[0, 1]`.
        final_fraction: f64,
    },
}

impl LrSchedule {
    /// Validates the schedule's parameters.
    pub fn check(&self) -> Result<()> {
        match *self {
            LrSchedule::Constant => Ok(()),
            LrSchedule::Cosine { final_fraction } => {
                if (0.0..=1.0).contains(&final_fraction) {
                    Ok(())
                } else {
                    Err(NnError::InvalidConfig(format!(
                        "cosine schedule: final_fraction must be in [0, 1], got {final_fraction}"
                    )))
                }
            }
        }
    }

    /// The rate at iteration `t` (0-based) of `iterations`, from base rate `base`. Iterations
    /// past the end keep the last rate.
    pub fn learning_rate(&self, base: f64, t: usize, iterations: usize) -> f64 {
        match *self {
            LrSchedule::Constant => base,
            LrSchedule::Cosine { final_fraction } => {
                let progress = if iterations <= 1 {
                    1.0
                } else {
                    (t as f64 / (iterations - 1) as f64).min(1.0)
                };
                let c = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
                base * (final_fraction + (1.0 - final_fraction) * c)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_is_the_base_rate() {
        for t in [0, 5, 99, 1000] {
            assert_eq!(LrSchedule::Constant.learning_rate(1e-3, t, 100), 1e-3);
        }
    }

    #[test]
    fn cosine_runs_from_the_base_to_the_final_rate_through_the_midpoint() {
        let s = LrSchedule::Cosine {
            final_fraction: 0.1,
        };
        assert!((s.learning_rate(1e-3, 0, 101) - 1e-3).abs() < 1e-15);
        assert!((s.learning_rate(1e-3, 100, 101) - 1e-4).abs() < 1e-15);
        // cos(π/2) = 0: half way between base and final.
        assert!((s.learning_rate(1e-3, 50, 101) - 5.5e-4).abs() < 1e-15);
        assert!((s.learning_rate(1e-3, 500, 101) - 1e-4).abs() < 1e-15);
        let mut last = f64::INFINITY;
        for t in 0..101 {
            let r = s.learning_rate(1e-3, t, 101);
            assert!(r <= last, "not monotone at {t}");
            last = r;
        }
        assert_eq!(s.learning_rate(2.0, 0, 1), 0.2);
    }

    #[test]
    fn a_final_fraction_outside_the_unit_interval_is_rejected() {
        for f in [-0.1, 1.5, f64::NAN] {
            assert!(
                LrSchedule::Cosine { final_fraction: f }.check().is_err(),
                "{f}"
            );
        }
        assert!(
            LrSchedule::Cosine {
                final_fraction: 0.0
            }
            .check()
            .is_ok()
        );
    }
}
