//! Anchor selection and batch sampling for Algorithm 1 of the BASiS paper.
//!
//! A batch is always laid out as `[anchors..., fresh samples...]`, so the
//! anchors sit at rows `0..l` of every batch.

use crate::error::{DataError, Result};
use rand::Rng;
use rand::seq::{SliceRandom, index};

/// Draws `per_class` distinct anchors from every class present in `labels`,
/// returned class by class (sorted by class, random within a class).
pub fn sample_anchors_per_class<R: Rng + ?Sized>(
    labels: &[usize],
    per_class: usize,
    rng: &mut R,
) -> Result<Vec<usize>> {
    if labels.is_empty() {
        return Err(DataError::Empty("no labels to draw anchors from".into()));
    }
    if per_class == 0 {
        return Err(DataError::InvalidParameter(
            "anchors per class (per_class) must be >= 1".into(),
        ));
    }
    // Grouped by the labels present (ascending), so neither the memory nor the time depends
    // on how large a label id is.
    let mut by_class: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (i, &l) in labels.iter().enumerate() {
        by_class.entry(l).or_default().push(i);
    }
    let mut anchors = Vec::new();
    for (&c, members) in &by_class {
        if members.len() < per_class {
            return Err(DataError::InvalidParameter(format!(
                "class {c} has {} points, fewer than {per_class} anchors per class",
                members.len()
            )));
        }
        anchors.extend(
            index::sample(rng, members.len(), per_class)
                .into_iter()
                .map(|k| members[k]),
        );
    }
    Ok(anchors)
}

/// The most anchors [`sample_anchors_uniform`] draws (they are held in memory, as are their
/// reference coordinates).
pub const MAX_ANCHORS: usize = 1 << 31;

/// Draws `l` distinct anchors uniformly from `0..n` (at most [`MAX_ANCHORS`]).
pub fn sample_anchors_uniform<R: Rng + ?Sized>(
    n: usize,
    l: usize,
    rng: &mut R,
) -> Result<Vec<usize>> {
    if l == 0 || l > n {
        return Err(DataError::InvalidParameter(format!(
            "cannot draw {l} anchors from {n} points"
        )));
    }
    if l > MAX_ANCHORS {
        return Err(DataError::InvalidParameter(format!(
            "{l} anchors requested; at most {MAX_ANCHORS} are supported"
        )));
    }
    Ok(index::sample(rng, n, l).into_vec())
}

/// Draws batches of `anchors + fresh` indices, the fresh ones distinct, never anchors.
///
/// Serialisable, so a training checkpoint can resume the exact sequence of batches.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BatchSampler {
    anchors: Vec<usize>,
    pool: Vec<usize>,
}

impl BatchSampler {
    /// Builds a sampler over `0..n` with the given anchors (which must be distinct and `< n`).
    pub fn new(n: usize, anchors: Vec<usize>) -> Result<Self> {
        let mut is_anchor = vec![false; n];
        for &a in &anchors {
            if a >= n {
                return Err(DataError::InvalidParameter(format!(
                    "anchor {a} out of range for {n} points"
                )));
            }
            if is_anchor[a] {
                return Err(DataError::InvalidParameter(format!(
                    "anchor {a} listed twice"
                )));
            }
            is_anchor[a] = true;
        }
        let pool: Vec<usize> = (0..n).filter(|&i| !is_anchor[i]).collect();
        Ok(Self { anchors, pool })
    }

    /// The anchor indices, in batch order.
    pub fn anchors(&self) -> &[usize] {
        &self.anchors
    }

    /// Number of non-anchor points available.
    pub fn pool_size(&self) -> usize {
        self.pool.len()
    }

    /// Writes a batch into `out`: the anchors, then `fresh` distinct non-anchor indices.
    /// Reuses `out`'s allocation.
    pub fn draw_into<R: Rng + ?Sized>(
        &mut self,
        fresh: usize,
        rng: &mut R,
        out: &mut Vec<usize>,
    ) -> Result<()> {
        if fresh > self.pool.len() {
            return Err(DataError::InvalidParameter(format!(
                "batch asks for {fresh} fresh points but only {} non-anchor points exist",
                self.pool.len()
            )));
        }
        // Partial Fisher–Yates on the pool: O(fresh), no allocation.
        let (chosen, _) = self.pool.partial_shuffle(rng, fresh);
        out.clear();
        out.extend_from_slice(&self.anchors);
        out.extend_from_slice(chosen);
        Ok(())
    }

    /// Allocating convenience around [`BatchSampler::draw_into`].
    pub fn draw<R: Rng + ?Sized>(&mut self, fresh: usize, rng: &mut R) -> Result<Vec<usize>> {
        let mut out = Vec::with_capacity(self.anchors.len() + fresh);
        self.draw_into(fresh, rng, &mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn anchors_per_class_are_balanced_and_distinct() {
        let labels: Vec<usize> = (0..300).map(|i| i % 3).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let a = sample_anchors_per_class(&labels, 3, &mut rng).unwrap();
        assert_eq!(a.len(), 9);
        for c in 0..3 {
            assert_eq!(a.iter().filter(|&&i| labels[i] == c).count(), 3);
        }
        let mut s = a.clone();
        s.sort();
        s.dedup();
        assert_eq!(s.len(), 9);
        assert!(sample_anchors_per_class(&labels, 101, &mut rng).is_err());
        assert!(sample_anchors_per_class(&[], 1, &mut rng).is_err());
    }

    #[test]
    fn batches_start_with_anchors_and_never_repeat() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut s = BatchSampler::new(50, vec![3, 7, 11]).unwrap();
        for _ in 0..20 {
            let b = s.draw(20, &mut rng).unwrap();
            assert_eq!(&b[..3], &[3, 7, 11]);
            let mut f = b.clone();
            f.sort();
            f.dedup();
            assert_eq!(f.len(), 23);
        }
        assert!(s.draw(48, &mut rng).is_err());
        assert!(BatchSampler::new(5, vec![1, 1]).is_err());
        assert!(BatchSampler::new(5, vec![9]).is_err());
    }

    #[test]
    fn batches_are_reproducible_under_a_seed() {
        let draw = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut s = BatchSampler::new(100, vec![0, 1]).unwrap();
            (0..5)
                .map(|_| s.draw(10, &mut rng).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(9), draw(9));
        assert_ne!(draw(9), draw(10));
    }
}
