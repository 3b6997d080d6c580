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

/// The style of a method by its key (`Method::name()`: `basis`, `diffusion-net`,
/// `spectralnet`, `specnet2`, `neuralef`, ...) or of a reference curve (`analytic`,
/// `indicators`). An unknown key keeps its name and gets one of the colours no known method
/// uses, chosen from the key, so it is stable across figures too.
pub fn method_style(key: &str) -> MethodStyle {
    let known = |label: &str, colour: Rgb, dashed: bool| MethodStyle {
        label: label.to_string(),
        colour,
        dashed,
    };
    match key {
        "basis" => known("BASiS", CATEGORICAL[0], false),
        "diffusion-net" => known("Diffusion Net", CATEGORICAL[1], false),
        "spectralnet" => known("SpectralNet", CATEGORICAL[2], false),
        "specnet2" => known("SpecNet2", CATEGORICAL[3], false),
        "neuralef" => known("NeuralEF", CATEGORICAL[4], false),
        "neuralef-head" => known("NeuralEF head", CATEGORICAL[6], false),
        "analytic" => known("analytic eigenvectors", [40, 40, 40], true),
        "indicators" => known("class indicators", CATEGORICAL[5], true),
        other => {
            // FNV-1a over the key: stable across runs and platforms.
            let h = other.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
            let spare = [7, 8, 9];
            known(other, CATEGORICAL[spare[(h % 3) as usize]], false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(method_style("new-method"), method_style("new-method"));
        assert!(!colours.contains(&method_style("new-method").colour));
    }
}
