//! Colours: categorical classes, the diverging map of embedding fields, and one fixed colour
//! and display name per method so that a method looks the same in every figure.

/// An RGB colour.
pub type Rgb = [u8; 3];

/// Ten distinguishable categorical colours (Tableau 10), used for classes and clusters.
pub const CATEGORICAL: [Rgb; 10] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
];

/// Categorical colour of class `c` (cycles after ten).
pub fn categorical(c: usize) -> Rgb {
    CATEGORICAL[c % CATEGORICAL.len()]
}

/// Diverging blue–white–red colour for `t ∈ [-1, 1]` (clamped; a non-finite `t` is white).
pub fn diverging(t: f64) -> Rgb {
    let t = if t.is_finite() {
        t.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let (lo, mid, hi) = (
        [59.0, 76.0, 192.0],
        [242.0, 242.0, 242.0],
        [180.0, 4.0, 38.0],
    );
    let (a, b, s) = if t < 0.0 { (mid, lo, -t) } else { (mid, hi, t) };
    [0, 1, 2].map(|i| (a[i] + (b[i] - a[i]) * s).round() as u8)
}

/// Piecewise-linear interpolation through equally spaced `anchors` at `t ∈ [0, 1]`.
fn through(anchors: &[[f64; 3]], t: f64) -> Rgb {
    let steps = (anchors.len() - 1) as f64;
    let x = t * steps;
    let i = (x.floor() as usize).min(anchors.len() - 2);
    let s = x - i as f64;
    [0, 1, 2].map(|c| (anchors[i][c] + (anchors[i + 1][c] - anchors[i][c]) * s).round() as u8)
}

/// Sequential dark-blue → green → yellow colour for `t ∈ [0, 1]` (viridis' anchors at
/// 0, ¼, ½, ¾, 1; clamped; a non-finite `t` is grey): ground-truth coordinates on a latent
/// scatter.
pub fn sequential(t: f64) -> Rgb {
    if !t.is_finite() {
        return [160, 160, 160];
    }
    const VIRIDIS: [[f64; 3]; 5] = [
        [68.0, 1.0, 84.0],
        [59.0, 82.0, 139.0],
        [33.0, 145.0, 140.0],
        [94.0, 201.0, 98.0],
        [253.0, 231.0, 37.0],
    ];
    through(&VIRIDIS, t.clamp(0.0, 1.0))
}

/// Cyclic colour for `t` in turns (`t` and `t + 1` look the same): angles on a latent
/// scatter. Six anchors around a muted hue wheel; a non-finite `t` is grey.
pub fn cyclic(t: f64) -> Rgb {
    if !t.is_finite() {
        return [160, 160, 160];
    }
    const WHEEL: [[f64; 3]; 7] = [
        [214.0, 39.0, 40.0],
        [230.0, 171.0, 2.0],
        [44.0, 160.0, 44.0],
        [23.0, 190.0, 207.0],
        [31.0, 90.0, 200.0],
        [170.0, 60.0, 190.0],
        [214.0, 39.0, 40.0],
    ];
    through(&WHEEL, t.rem_euclid(1.0))
}

/// How a method (or a reference curve) is drawn in every figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodStyle {
    /// Display name, in the spelling of its paper.
    pub label: String,
    /// Line and marker colour.
    pub colour: Rgb,
    /// Reference curves (analytic eigenvectors, class indicators) are dashed.
    pub dashed: bool,
}

/// The known methods and references: slug, display name, colour, dashed.
const KNOWN: [(&str, &str, Rgb, bool); 8] = [
    ("basis", "BASiS", CATEGORICAL[0], false),
    ("diffusion-net", "Diffusion Net", CATEGORICAL[1], false),
    ("spectralnet", "SpectralNet", CATEGORICAL[2], false),
    ("specnet2", "SpecNet2", CATEGORICAL[3], false),
    ("neuralef-head", "NeuralEF head", CATEGORICAL[6], false),
    ("neuralef", "NeuralEF", CATEGORICAL[4], false),
    ("analytic", "analytic eigenvectors", [40, 40, 40], true),
    ("indicators", "class indicators", CATEGORICAL[5], true),
];

/// The style of a method (or a reference curve) by its slug (`Method::slug()`: `basis`,
/// `diffusion-net`, `spectralnet`, `specnet2`, `neuralef`, ...; `analytic`,
/// `indicators`) or its display name (`BASiS`, `Diffusion Net`, ...). A table row that
/// names a variant of a method, `"SpecNet2 (post-processed on the test set)"`, keeps its
/// name and takes the method's colour. An unknown name keeps its name and gets one of the
/// colours no known method uses, chosen from the name, so it is stable across figures too.
pub fn method_style(name: &str) -> MethodStyle {
    for (slug, label, colour, dashed) in KNOWN {
        let label_of = if name == slug || name == label {
            Some(label.to_string())
        } else if name.starts_with(label) && name[label.len()..].starts_with(" (") {
            Some(name.to_string())
        } else {
            None
        };
        if let Some(label) = label_of {
            return MethodStyle {
                label,
                colour,
                dashed,
            };
        }
    }
    // FNV-1a over the name: stable across runs and platforms.
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let spare = [7, 8, 9];
    MethodStyle {
        label: name.to_string(),
        colour: CATEGORICAL[spare[(h % 3) as usize]],
        dashed: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_and_cyclic_maps() {
        assert_eq!(sequential(0.0), [68, 1, 84]);
        assert_eq!(sequential(1.0), [253, 231, 37]);
        assert_eq!(sequential(0.5), [33, 145, 140]);
        assert_eq!(sequential(-3.0), sequential(0.0));
        assert_eq!(sequential(f64::NAN), [160, 160, 160]);
        // Halfway between the first two anchors.
        assert_eq!(sequential(0.125), [64, 42, 112]);
        assert_eq!(cyclic(0.0), cyclic(1.0));
        assert_eq!(cyclic(0.25), cyclic(-0.75));
        assert_eq!(cyclic(0.999_999), [214, 39, 40]);
        assert_ne!(cyclic(0.5), cyclic(0.0));
    }

    #[test]
    fn diverging_ends_and_middle() {
        assert_eq!(diverging(0.0), [242, 242, 242]);
        assert_eq!(diverging(-1.0), [59, 76, 192]);
        assert_eq!(diverging(5.0), [180, 4, 38]);
        assert_eq!(diverging(f64::NAN), [242, 242, 242]);
    }

    #[test]
    fn methods_have_distinct_stable_colours() {
        let keys = [
            "basis",
            "diffusion-net",
            "spectralnet",
            "specnet2",
            "neuralef",
            "analytic",
            "indicators",
        ];
        let colours: Vec<Rgb> = keys.iter().map(|k| method_style(k).colour).collect();
        for i in 0..colours.len() {
            for j in 0..i {
                assert_ne!(colours[i], colours[j], "{} and {}", keys[i], keys[j]);
            }
        }
        assert_eq!(method_style("basis").label, "BASiS");
        assert_eq!(method_style("Diffusion Net"), method_style("diffusion-net"));
        let variant = method_style("SpecNet2 (post-processed on training batches)");
        assert_eq!(variant.colour, method_style("specnet2").colour);
        assert_eq!(
            variant.label,
            "SpecNet2 (post-processed on training batches)"
        );
        assert_eq!(method_style("NeuralEF head").colour, CATEGORICAL[6]);
        assert_ne!(
            method_style("SpecNet2x").colour,
            method_style("specnet2").colour
        );
        assert_eq!(method_style("new-method"), method_style("new-method"));
        assert!(!colours.contains(&method_style("new-method").colour));
    }
}
