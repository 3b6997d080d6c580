//! The GGAE benchmark's pure entry points: basis-graph::geometry, basis-data::manifolds, basis-metrics::geometry.

use super::*;

/// The GGAE benchmark's pure entry points: the Laplace–Beltrami estimate, geodesic distances,
/// the manifold generators and splits, Spearman's ρ and kNN recall.
pub(super) fn geometry_cases(out: &mut Vec<Case>) {
    use basis::data::manifolds::{
        RotationParams, SwissRollParams, rotate_bilinear, rotating_sequences, split_indices,
        swiss_roll_with_hole,
    };
    use basis::graph::{
        LaplaceBeltramiParams, Unreachable, cycle_distances, geodesic_distances, laplace_beltrami,
    };
    use basis::metrics::{distance_spearman, knn_recall, spearman};
    let lb = |h: f64| LaplaceBeltramiParams {
        h,
        ..Default::default()
    };
    for h in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        out.push(case(
            format!("Laplace–Beltrami: h = {h}"),
            Expect::Err(&["InvalidParameter"]),
            move || finite(laplace_beltrami(&cycle_distances(6), &lb(h))),
        ));
    }
    out.push(case(
        "Laplace–Beltrami: c = 0",
        Expect::Err(&["InvalidParameter"]),
        || {
            finite(laplace_beltrami(
                &cycle_distances(6),
                &LaplaceBeltramiParams { h: 1.0, c: 0.0 },
            ))
        },
    ));
    for (name, d) in [
        ("0 × 0", DMatrix::zeros(0, 0)),
        ("not square", DMatrix::zeros(3, 4)),
        ("NaN", with(cycle_distances(5), 1, 2, f64::NAN)),
        ("∞", with(cycle_distances(5), 0, 3, f64::INFINITY)),
        ("asymmetric", with(cycle_distances(5), 0, 2, 7.0)),
        (
            "negative",
            with(with(cycle_distances(5), 0, 2, -1.0), 2, 0, -1.0),
        ),
        ("a non-zero diagonal", with(cycle_distances(5), 3, 3, 1.0)),
    ] {
        out.push(case(
            format!("Laplace–Beltrami: distances {name}"),
            Expect::Err(&["BadAffinity", "Empty", "NonFinite", "InvalidParameter"]),
            move || finite(laplace_beltrami(&d, &lb(200.0))),
        ));
    }
    // Far-apart points: every off-diagonal kernel entry underflows; L is finite (rows of 0).
    for (name, scale) in [("1e200", 1e200), ("1e-200", 1e-200)] {
        out.push(case(
            format!("Laplace–Beltrami: distances × {name}, rows sum to 0"),
            Expect::Ok,
            move || match laplace_beltrami(&(cycle_distances(7) * scale), &lb(1.0)) {
                Ok(l)
                    if l.iter().all(|v| v.is_finite())
                        && l.row_iter().all(|r| r.sum().abs() < 1e-9) =>
                {
                    Got::Ok
                }
                Ok(l) => Got::Wrong(format!("{l:?}")),
                Err(e) => Got::Err(format!("{e:?}")),
            },
        ));
    }
    // Two clusters far apart: their 2-NN graphs do not meet.
    let two = || {
        let x = DMatrix::from_fn(8, 2, |i, j| {
            (i % 4) as f64 + j as f64 * 0.1 + 1e6 * (i / 4) as f64
        });
        basis::graph::knn_exact(
            &x,
            &basis::graph::KnnParams {
                k: 2,
                ..Default::default()
            },
        )
        .unwrap()
    };
    out.push(case(
        "geodesic distances: a disconnected kNN graph",
        Expect::Err(&["Disconnected"]),
        move || finite(geodesic_distances(&two(), Unreachable::Error, 1)),
    ));
    out.push(case(
        "geodesic distances: a disconnected kNN graph with a cap of 1e9",
        Expect::Ok,
        move || match geodesic_distances(&two(), Unreachable::Cap(1e9), 1) {
            Ok(d) if d[(0, 7)] == 1e9 && d[(0, 1)] < 2.0 && d == d.transpose() => Got::Ok,
            Ok(d) => Got::Wrong(format!("{d:?}")),
            Err(e) => Got::Err(format!("{e:?}")),
        },
    ));
    for cap in [f64::NAN, -1.0, f64::INFINITY] {
        out.push(case(
            format!("geodesic distances: cap {cap}"),
            Expect::Err(&["InvalidParameter"]),
            move || finite(geodesic_distances(&two(), Unreachable::Cap(cap), 1)),
        ));
    }
    let roll = |f: fn(&mut SwissRollParams)| {
        let mut p = SwissRollParams {
            n: 50,
            ..Default::default()
        };
        f(&mut p);
        p
    };
    for (name, p) in [
        ("n = 0", roll(|p| p.n = 0)),
        ("n = usize::MAX", roll(|p| p.n = usize::MAX)),
        ("θ reversed", roll(|p| p.theta = (4.0, 1.0))),
        ("θ NaN", roll(|p| p.theta = (f64::NAN, 4.0))),
        ("θ < 0", roll(|p| p.theta = (-1.0, 4.0))),
        ("θ ∞", roll(|p| p.theta = (1.0, f64::INFINITY))),
        ("a hole of the whole sheet", roll(|p| p.hole = (0.0, 1.0))),
        ("a hole past the sheet", roll(|p| p.hole = (0.5, 1.5))),
        ("a reversed hole", roll(|p| p.hole = (0.6, 0.4))),
        ("a NaN hole", roll(|p| p.hole = (f64::NAN, 0.5))),
    ] {
        out.push(case(
            format!("Swiss roll: {name}"),
            Expect::Err(&["InvalidParameter"]),
            move || outcome(swiss_roll_with_hole(&p)),
        ));
    }
    out.push(case(
        "Swiss roll: no hole, points on the spiral, (s, z) in the sheet",
        Expect::Ok,
        move || match swiss_roll_with_hole(&roll(|p| p.hole = (0.5, 0.5))) {
            Ok(r) => {
                let w = basis::data::manifolds::spiral_arc_length(4.0 * std::f64::consts::PI)
                    - basis::data::manifolds::spiral_arc_length(1.5 * std::f64::consts::PI);
                let inside = r
                    .unrolled
                    .iter()
                    .all(|v| v.is_finite() && (0.0..=w).contains(v));
                if inside && r.points.iter().all(|v| v.is_finite()) {
                    Got::Ok
                } else {
                    Got::Wrong(format!("{:?}", r.unrolled))
                }
            }
            Err(e) => Got::Err(format!("{e:?}")),
        },
    ));
    for (name, n, f) in [
        ("no fractions", 10usize, vec![]),
        ("a negative fraction", 10, vec![1.2, -0.2]),
        ("a NaN fraction", 10, vec![f64::NAN, 0.5]),
        ("fractions summing to 0.9", 10, vec![0.5, 0.4]),
        ("∞", 10, vec![f64::INFINITY]),
    ] {
        out.push(case(
            format!("split_indices: {name}"),
            Expect::Err(&["InvalidParameter"]),
            move || outcome(split_indices(n, &f, 0)),
        ));
    }
    for n in [0usize, 2] {
        out.push(case(
            format!("split_indices: {n} items into 5/7, 1/7, 1/7 (an empty part)"),
            Expect::Err(&["Empty"]),
            move || outcome(split_indices(n, &[5.0 / 7.0, 1.0 / 7.0, 1.0 / 7.0], 0)),
        ));
    }
    for (name, len, w, h, deg) in [
        ("0 × 0", 0usize, 0usize, 0usize, 10.0),
        ("pixels ≠ width · height", 15, 4, 4, 10.0),
        ("width · height overflowing usize", 4, usize::MAX, 2, 10.0),
        ("a NaN angle", 16, 4, 4, f64::NAN),
        ("an ∞ angle", 16, 4, 4, f64::INFINITY),
    ] {
        out.push(case(
            format!("rotate_bilinear: {name}"),
            Expect::Err(&["InvalidParameter"]),
            move || outcome(rotate_bilinear(&vec![0.5; len], w, h, deg)),
        ));
    }
    let images = || DMatrix::from_fn(3, 16, |i, j| ((i + j) % 5) as f64 / 4.0);
    let rot = |f: fn(&mut RotationParams)| {
        let mut p = RotationParams {
            width: 4,
            ..Default::default()
        };
        f(&mut p);
        p
    };
    for (name, x, p) in [
        ("no images", DMatrix::zeros(0, 16), rot(|_| {})),
        ("0 frames", images(), rot(|p| p.frames = 0)),
        (
            "usize::MAX frames",
            images(),
            rot(|p| p.frames = usize::MAX),
        ),
        ("width 0", images(), rot(|p| p.width = 0)),
        (
            "a width that does not divide the pixels",
            images(),
            rot(|p| p.width = 5),
        ),
        ("a NaN step", images(), rot(|p| p.step_degrees = f64::NAN)),
        ("a NaN pixel", with(images(), 1, 3, f64::NAN), rot(|_| {})),
    ] {
        out.push(case(
            format!("rotating sequences: {name}"),
            Expect::Err(&["InvalidParameter"]),
            move || finite(rotating_sequences(&x, &p).map(|s| s.frames)),
        ));
    }
    for (name, a, b) in [
        ("lengths that differ", vec![1.0, 2.0], vec![1.0]),
        ("one value", vec![1.0], vec![2.0]),
        ("no values", vec![], vec![]),
        ("NaN", vec![1.0, f64::NAN, 3.0], vec![1.0, 2.0, 3.0]),
        ("−∞", vec![1.0, 2.0, 3.0], vec![f64::NEG_INFINITY, 2.0, 3.0]),
        (
            "a constant sample",
            vec![2.0, 2.0, 2.0],
            vec![1.0, 2.0, 3.0],
        ),
    ] {
        out.push(case(
            format!("Spearman: {name}"),
            Expect::Err(&["LengthMismatch", "Empty", "NonFinite", "InvalidParameter"]),
            move || within(spearman(&a, &b), -1.0..=1.0),
        ));
    }
    out.push(case(
        "Spearman: values of ±1e300 and 1e-310 (ranks only)",
        Expect::Ok,
        || match spearman(&[-1e300, 1e-310, 1e300], &[1.0, 2.0, 3.0]) {
            Ok(1.0) => Got::Ok,
            r => Got::Wrong(format!("{r:?}")),
        },
    ));
    let c6 = || cycle_distances(6);
    for (name, t, l, ks) in [
        ("shapes that differ", c6(), cycle_distances(5), vec![2usize]),
        ("not square", DMatrix::zeros(6, 5), c6(), vec![2]),
        ("one point", cycle_distances(1), cycle_distances(1), vec![1]),
        (
            "NaN latent distance",
            c6(),
            with(c6(), 1, 2, f64::NAN),
            vec![2],
        ),
        ("k = 0", c6(), c6(), vec![0]),
        ("k = n", c6(), c6(), vec![6]),
        ("k = usize::MAX", c6(), c6(), vec![usize::MAX]),
    ] {
        out.push(case(
            format!("kNN recall: {name}"),
            Expect::Err(&["InvalidParameter", "Empty", "NonFinite"]),
            move || outcome(knn_recall(&t, &l, &ks)),
        ));
    }
    out.push(case(
        "distance Spearman: shapes that differ",
        Expect::Err(&["InvalidParameter"]),
        || {
            within(
                distance_spearman(&cycle_distances(6), &cycle_distances(4)),
                -1.0..=1.0,
            )
        },
    ));
    out.push(case(
        "kNN recall and distance Spearman of a cycle against itself: 1 (ties broken alike)",
        Expect::Ok,
        || {
            let d = cycle_distances(12);
            match (knn_recall(&d, &d, &[1, 5, 11]), distance_spearman(&d, &d)) {
                (Ok(r), Ok(s)) if r.iter().all(|&v| v == 1.0) && (s - 1.0).abs() < 1e-12 => Got::Ok,
                (r, s) => Got::Wrong(format!("{r:?}, {s:?}")),
            }
        },
    ));
}
