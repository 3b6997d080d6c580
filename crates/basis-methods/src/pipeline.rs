//! Pipelined training for the methods whose batch preparation does not depend on the network
//! (SpectralNet, SpecNet2, NeuralEF; BASiS has its own, [`crate::basis::BasisTrainer::run_pipelined`]):
//! a worker thread prepares batch t + 1 (sampling, the batch graph or kernel) while the
//! network steps on batch t, through a bounded queue of [`PipelineConfig::depth`] batches.
//!
//! The worker owns the batch generator and draws the batches in the serial order, so a
//! pipelined run sees the same batches as a serial one and, at the same libtorch thread
//! count, gives the same weights bit for bit. Diffusion Net trains on one fixed batch and
//! has nothing to overlap.

pub use crate::basis::PipelineConfig;
use crate::{MethodError, Result};
use std::sync::mpsc::sync_channel;

/// Runs `produce(state, t)` for `t` in `0..count` on a worker thread and `consume(t, item)`
/// on the calling thread, in order, with at most `pipeline.depth` items waiting between
/// them. libtorch runs with `pipeline.torch_threads` meanwhile and gets its previous setting
/// back afterwards. Returns the producer's state after the last item (e.g. its generator,
/// for what the caller draws next), or the first error of either side; a failure on one
/// side stops the other.
pub(crate) fn run_pipelined<S, T>(
    pipeline: &PipelineConfig,
    count: usize,
    mut state: S,
    mut produce: impl FnMut(&mut S, usize) -> Result<T> + Send,
    mut consume: impl FnMut(usize, T) -> Result<()>,
) -> Result<S>
where
    S: Send,
    T: Send,
{
    pipeline.check()?;
    let previous_threads = tch::get_num_threads();
    if let Some(t) = pipeline.torch_threads {
        tch::set_num_threads(t as i32);
    }
    let result = std::thread::scope(|scope| -> Result<S> {
        let (tx, rx) = sync_channel::<Result<T>>(pipeline.depth);
        let worker = scope.spawn(move || {
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
            let Ok(item) = rx.recv() else {
                outcome = Err(MethodError::InvalidConfig(
                    "pipeline: the batch worker stopped early".into(),
                ));
                break;
            };
            if let Err(e) = item.and_then(|item| consume(t, item)) {
                outcome = Err(e);
                break;
            }
        }
        drop(rx);
        let state = worker.join().map_err(|_| {
            MethodError::InvalidConfig("pipeline: the batch worker panicked".into())
        })?;
        outcome.map(|()| state)
    });
    if pipeline.torch_threads.is_some() {
        tch::set_num_threads(previous_threads);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_arrive_in_order_and_the_state_comes_back() {
        let p = PipelineConfig {
            depth: 1,
            torch_threads: None,
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
            |t, item| {
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
        let p = PipelineConfig {
            depth: 2,
            torch_threads: None,
        };
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
            |_, _| Ok(()),
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
            |t, _| {
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
            torch_threads: None,
        };
        assert!(run_pipelined(&bad, 1, (), |_, _| Ok(()), |_, ()| Ok(())).is_err());
    }
}
