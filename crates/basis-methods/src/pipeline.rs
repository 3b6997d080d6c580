//! Pipelined training for the methods whose batch preparation does not depend on the network
//! (BASiS through [`crate::basis::BasisTrainer::run_pipelined`], SpectralNet, SpecNet2, NeuralEF):
//! a worker thread prepares batch t + 1 (sampling, the batch graph or kernel) while the
//! network steps on batch t, through a bounded queue of [`PipelineConfig::depth`] batches.
//!
//! The worker owns the batch generator and draws the batches in the serial order, so a
//! pipelined run sees the same batches as a serial one and, at the same libtorch thread
//! count, gives the same weights bit for bit. Diffusion Net trains on one fixed batch and
//! has nothing to overlap.

use crate::MethodError;
pub use crate::basis::PipelineConfig;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

/// Runs `produce(state, t)` for `t` in `0..count` on a worker thread and
/// `consume(t, item, waited)` on the calling thread, in order, with at most `pipeline.depth`
/// items waiting between them; `waited` is how long (seconds) the calling thread waited for
/// the item. libtorch runs with `pipeline.torch_threads` meanwhile and gets its previous
/// setting back afterwards. Returns the producer's state after the last item (e.g. its
/// generator, for what the caller draws next), or the first error of either side; a failure
/// on one side stops the other.
pub(crate) fn run_pipelined<S, T, E>(
    pipeline: &PipelineConfig,
    count: usize,
    mut state: S,
    mut produce: impl FnMut(&mut S, usize) -> std::result::Result<T, E> + Send,
    mut consume: impl FnMut(usize, T, f64) -> std::result::Result<(), E>,
) -> std::result::Result<S, E>
where
    S: Send,
    T: Send,
    E: From<MethodError> + Send,
{
    pipeline.check()?;
    let previous_threads = tch::get_num_threads();
    if let Some(t) = pipeline.torch_threads {
        tch::set_num_threads(t as i32);
    }
    let result = std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<std::result::Result<T, E>>(pipeline.depth);
        let idle = pipeline.idle_worker;
        let worker = scope.spawn(move || {
            if idle {
                lower_to_idle_priority();
            }
            for t in 0..count {
                let item = produce(&mut state, t);
                let failed = item.is_err();
                // A closed channel: the consuming side stopped on an error.
                if tx.send(item).is_err() || failed {
                    break;
                }
            }
            state
        });
        let mut outcome = Ok(());
        for t in 0..count {
            let start = Instant::now();
            let Ok(item) = rx.recv() else {
                outcome = Err(MethodError::PipelineWorker("stopped early").into());
                break;
            };
            let waited = start.elapsed().as_secs_f64();
            if let Err(e) = item.and_then(|item| consume(t, item, waited)) {
                outcome = Err(e);
                break;
            }
        }
        drop(rx);
        let state = worker
            .join()
            .map_err(|_| E::from(MethodError::PipelineWorker("panicked")))?;
        outcome.map(|()| state)
    });
    if pipeline.torch_threads.is_some() {
        tch::set_num_threads(previous_threads);
    }
    result
}

/// Puts the calling thread in Linux's `SCHED_IDLE` class: it then runs only when no
/// normal thread wants the core. Best effort (elsewhere, or when refused, nothing changes);
/// returns whether it took effect.
fn lower_to_idle_priority() -> bool {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: pid 0 is the calling thread; `param` is a valid sched_param for SCHED_IDLE.
        unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MethodError, Result};

    /// The worker runs in `SCHED_IDLE` by default and at normal priority when asked; the
    /// calling thread keeps its class either way.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_worker_runs_at_idle_priority_unless_told_otherwise() {
        // SAFETY: querying the calling thread's scheduling class.
        let class = || unsafe { libc::sched_getscheduler(0) };
        let before = class();
        for (idle, want) in [(true, libc::SCHED_IDLE), (false, before)] {
            let p = PipelineConfig {
                idle_worker: idle,
                ..Default::default()
            };
            let mut seen = Vec::new();
            run_pipelined(
                &p,
                3,
                (),
                |_, _| -> Result<i32> { Ok(class()) },
                |_, c, _| {
                    seen.push(c);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(seen, vec![want; 3], "idle_worker {idle}");
            assert_eq!(class(), before);
        }
    }

    #[test]
    fn items_arrive_in_order_and_the_state_comes_back() {
        let p = PipelineConfig {
            depth: 1,
            ..Default::default()
        };
        let mut seen = Vec::new();
        let state = run_pipelined(
            &p,
            5,
            10u64,
            |s, t| {
                *s += 1;
                Ok((t, *s))
            },
            |t, item, _| -> Result<()> {
                seen.push((t, item));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(state, 15);
        let want: Vec<_> = (0..5).map(|t| (t, (t, 11 + t as u64))).collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn an_error_on_either_side_stops_the_run() {
        let p = PipelineConfig::default();
        let producer_fails = run_pipelined(
            &p,
            100,
            (),
            |_, t| {
                if t == 3 {
                    Err(MethodError::Shape("batch 3".into()))
                } else {
                    Ok(t)
                }
            },
            |_, _, _| Ok(()),
        );
        assert!(matches!(producer_fails, Err(MethodError::Shape(m)) if m == "batch 3"));
        let mut consumed = 0;
        let consumer_fails = run_pipelined(
            &p,
            100,
            0usize,
            |s, t| {
                *s += 1;
                Ok(t)
            },
            |t, _, _| {
                consumed += 1;
                if t == 2 {
                    Err(MethodError::NonFinite("step 2".into()))
                } else {
                    Ok(())
                }
            },
        );
        assert!(matches!(consumer_fails, Err(MethodError::NonFinite(_))));
        assert_eq!(consumed, 3);
        let bad = PipelineConfig {
            depth: 0,
            ..Default::default()
        };
        let refused: Result<()> = run_pipelined(&bad, 1, (), |_, _| Ok(()), |_, (), _| Ok(()));
        assert!(refused.is_err());
    }
}
