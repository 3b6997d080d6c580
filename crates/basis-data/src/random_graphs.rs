//! Random graphs and edge splits for link prediction (the twin-graph protocol of Lim et al.,
//! "Expressive Sign Equivariant Networks", NeurIPS 2023): Erdős–Rényi and Barabási–Albert
//! graphs, two disjoint copies of one joined by uniformly random extra edges, and the
//! validation / test edge split with negatives. Every draw flows from a seed.

use crate::error::{DataError, Result};
use rand::seq::index;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

/// An undirected simple graph: edges `(i, j)` with `i < j`, sorted, no duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndirectedGraph {
    /// Number of nodes.
    pub n: usize,
    /// Edges `(i, j)`, `i < j < n`, sorted.
    pub edges: Vec<(usize, usize)>,
}

impl UndirectedGraph {
    /// A graph from any edge list: pairs are ordered, duplicates removed; self-loops or nodes
    /// ≥ `n` are errors.
    pub fn from_edges(n: usize, edges: impl IntoIterator<Item = (usize, usize)>) -> Result<Self> {
        let mut e: Vec<(usize, usize)> = Vec::new();
        for (a, b) in edges {
            if a == b || a >= n || b >= n {
                return Err(DataError::InvalidParameter(format!(
                    "edge ({a}, {b}) is a self-loop or leaves the {n} nodes"
                )));
            }
            e.push((a.min(b), a.max(b)));
        }
        e.sort_unstable();
        e.dedup();
        Ok(Self { n, edges: e })
    }

    /// The edges as a set (for membership tests).
    pub fn edge_set(&self) -> HashSet<(usize, usize)> {
        self.edges.iter().copied().collect()
    }

    /// Node degrees.
    pub fn degrees(&self) -> Vec<usize> {
        let mut d = vec![0; self.n];
        for &(a, b) in &self.edges {
            d[a] += 1;
            d[b] += 1;
        }
        d
    }
}

/// G(n, p): every pair an edge with probability `p`, independently.
pub fn erdos_renyi(n: usize, p: f64, seed: u64) -> Result<UndirectedGraph> {
    if n < 2 || !(0.0..=1.0).contains(&p) {
        return Err(DataError::InvalidParameter(format!(
            "G(n, p) needs n ≥ 2 and p in [0, 1], got n = {n}, p = {p}"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut edges = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            if rng.random::<f64>() < p {
                edges.push((i, j));
            }
        }
    }
    Ok(UndirectedGraph { n, edges })
}

/// Barabási–Albert preferential attachment with `m` edges per new node, as networkx 2's
/// `barabasi_albert_graph`: nodes `0..m` start unconnected and are the first node's targets;
/// each later node joins `m` distinct targets drawn from the list in which every node appears
/// once per edge end.
pub fn barabasi_albert(n: usize, m: usize, seed: u64) -> Result<UndirectedGraph> {
    if m == 0 || m >= n {
        return Err(DataError::InvalidParameter(format!(
            "Barabási–Albert needs 1 ≤ m < n, got m = {m}, n = {n}"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut edges = Vec::with_capacity((n - m) * m);
    let mut repeated: Vec<usize> = Vec::with_capacity(2 * (n - m) * m);
    let mut targets: Vec<usize> = (0..m).collect();
    for source in m..n {
        for &t in &targets {
            edges.push((t.min(source), t.max(source)));
        }
        repeated.extend(&targets);
        repeated.extend(std::iter::repeat_n(source, m));
        // m distinct nodes, each drawn with probability ∝ its count in `repeated`.
        let mut chosen = HashSet::with_capacity(m);
        while chosen.len() < m {
            chosen.insert(repeated[rng.random_range(0..repeated.len())]);
        }
        targets = chosen.into_iter().collect();
        targets.sort_unstable();
    }
    UndirectedGraph::from_edges(n, edges)
}

/// Two disjoint copies of `base` (nodes `0..n` and `n..2n`, node `i`'s twin is `i + n`) plus
/// `extra` uniformly random new edges between any two of the `2n` nodes.
pub fn twin_graph(base: &UndirectedGraph, extra: usize, seed: u64) -> Result<UndirectedGraph> {
    let n = base.n;
    let total = 2 * n;
    let mut set: HashSet<(usize, usize)> = base
        .edges
        .iter()
        .flat_map(|&(a, b)| [(a, b), (a + n, b + n)])
        .collect();
    let free = total * (total - 1) / 2 - set.len();
    if extra > free {
        return Err(DataError::InvalidParameter(format!(
            "{extra} extra edges asked of a graph with {free} free pairs"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut added = 0;
    while added < extra {
        let (a, b) = (rng.random_range(0..total), rng.random_range(0..total));
        if a != b && set.insert((a.min(b), a.max(b))) {
            added += 1;
        }
    }
    UndirectedGraph::from_edges(total, set)
}

/// A link-prediction split: training edges (the graph the models see), held-out positive
/// validation and test edges, and as many negatives (non-edges of the whole graph) for each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeSplit {
    /// Nodes.
    pub n: usize,
    /// Training edges.
    pub train: Vec<(usize, usize)>,
    /// Validation positives.
    pub val: Vec<(usize, usize)>,
    /// Test positives.
    pub test: Vec<(usize, usize)>,
    /// Validation negatives (as many as `val`).
    pub val_negatives: Vec<(usize, usize)>,
    /// Test negatives (as many as `test`).
    pub test_negatives: Vec<(usize, usize)>,
}

/// `count` distinct node pairs `(i < j)` that are not in `forbidden` and not yet drawn.
pub fn sample_negatives(
    n: usize,
    forbidden: &HashSet<(usize, usize)>,
    count: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<(usize, usize)>> {
    let free = n * n.saturating_sub(1) / 2 - forbidden.len().min(n * n.saturating_sub(1) / 2);
    if count > free {
        return Err(DataError::InvalidParameter(format!(
            "{count} negatives asked of {free} non-edges"
        )));
    }
    let mut drawn = HashSet::with_capacity(count);
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let (a, b) = (rng.random_range(0..n), rng.random_range(0..n));
        let e = (a.min(b), a.max(b));
        if a != b && !forbidden.contains(&e) && drawn.insert(e) {
            out.push(e);
        }
    }
    Ok(out)
}

/// Holds out `val_fraction` and `test_fraction` of the edges (rounded down, at least one each)
/// and draws as many negatives for each from the non-edges of the whole graph.
pub fn split_edges(
    g: &UndirectedGraph,
    val_fraction: f64,
    test_fraction: f64,
    seed: u64,
) -> Result<EdgeSplit> {
    let m = g.edges.len();
    let ok = |f: f64| f.is_finite() && f > 0.0;
    if !ok(val_fraction) || !ok(test_fraction) || val_fraction + test_fraction >= 1.0 {
        return Err(DataError::InvalidParameter(format!(
            "edge split: fractions must be > 0 with a sum < 1, got {val_fraction} and {test_fraction}"
        )));
    }
    let n_val = ((m as f64 * val_fraction) as usize).max(1);
    let n_test = ((m as f64 * test_fraction) as usize).max(1);
    if m < n_val + n_test + 1 {
        return Err(DataError::Empty(format!(
            "a graph of {m} edges cannot give {n_val} validation, {n_test} test and ≥ 1 training edge"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let order = index::sample(&mut rng, m, m).into_vec();
    let pick = |r: std::ops::Range<usize>| -> Vec<(usize, usize)> {
        let mut v: Vec<_> = order[r].iter().map(|&i| g.edges[i]).collect();
        v.sort_unstable();
        v
    };
    let val = pick(0..n_val);
    let test = pick(n_val..n_val + n_test);
    let train = pick(n_val + n_test..m);
    let all = g.edge_set();
    let val_negatives = sample_negatives(g.n, &all, n_val, &mut rng)?;
    let mut forbidden = all;
    forbidden.extend(&val_negatives);
    let test_negatives = sample_negatives(g.n, &forbidden, n_test, &mut rng)?;
    Ok(EdgeSplit {
        n: g.n,
        train,
        val,
        test,
        val_negatives,
        test_negatives,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erdos_renyi_density_and_determinism() {
        let g = erdos_renyi(400, 0.05, 3).unwrap();
        let pairs = 400.0 * 399.0 / 2.0;
        let density = g.edges.len() as f64 / pairs;
        // Binomial(79800, 0.05): std of the density 7.7e-4; 5 std.
        assert!((density - 0.05).abs() < 4e-3, "{density}");
        assert_eq!(g, erdos_renyi(400, 0.05, 3).unwrap());
        assert!(g.edges.windows(2).all(|w| w[0] < w[1]));
        assert!(erdos_renyi(1, 0.5, 0).is_err());
        assert!(erdos_renyi(10, 1.5, 0).is_err());
    }

    #[test]
    fn barabasi_albert_has_m_edges_per_new_node_and_hubs() {
        let (n, m) = (1000, 20);
        let g = barabasi_albert(n, m, 1).unwrap();
        assert_eq!(g.edges.len(), (n - m) * m);
        let d = g.degrees();
        assert!(d[m..].iter().all(|&x| x >= m));
        // Preferential attachment: the oldest nodes are hubs.
        let max = *d.iter().max().unwrap();
        assert!(max > 5 * m, "max degree {max}");
        assert!(barabasi_albert(10, 0, 0).is_err());
        assert!(barabasi_albert(10, 10, 0).is_err());
    }

    #[test]
    fn twins_are_copies_joined_by_extra_edges() {
        let base = erdos_renyi(50, 0.1, 2).unwrap();
        let g = twin_graph(&base, 30, 5).unwrap();
        assert_eq!(g.n, 100);
        assert_eq!(g.edges.len(), 2 * base.edges.len() + 30);
        let set = g.edge_set();
        for &(a, b) in &base.edges {
            assert!(set.contains(&(a, b)) && set.contains(&(a + 50, b + 50)));
        }
        assert!(twin_graph(&base, 10_000, 0).is_err());
    }

    #[test]
    fn splits_are_disjoint_and_negatives_are_non_edges() {
        let g = twin_graph(&erdos_renyi(60, 0.1, 4).unwrap(), 20, 6).unwrap();
        let s = split_edges(&g, 0.1, 0.1, 9).unwrap();
        let m = g.edges.len();
        assert_eq!(s.val.len(), m / 10);
        assert_eq!(s.test.len(), m / 10);
        assert_eq!(s.train.len() + s.val.len() + s.test.len(), m);
        let all = g.edge_set();
        let mut seen = HashSet::new();
        for e in s.train.iter().chain(&s.val).chain(&s.test) {
            assert!(all.contains(e) && seen.insert(*e));
        }
        for e in s.val_negatives.iter().chain(&s.test_negatives) {
            assert!(!all.contains(e) && e.0 < e.1 && seen.insert(*e));
        }
        assert_eq!(s.val_negatives.len(), s.val.len());
        assert!(split_edges(&g, 0.6, 0.5, 0).is_err());
        let tiny = UndirectedGraph::from_edges(3, [(0, 1)]).unwrap();
        assert!(matches!(
            split_edges(&tiny, 0.1, 0.1, 0),
            Err(DataError::Empty(_))
        ));
        assert!(UndirectedGraph::from_edges(3, [(1, 1)]).is_err());
        assert!(UndirectedGraph::from_edges(3, [(0, 3)]).is_err());
    }
}
