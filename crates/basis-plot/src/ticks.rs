//! Round tick positions (steps of 1, 2 or 5 × 10ᵉ) and their labels.

/// Tick positions inside a range, all multiples of `step`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    /// The positions, increasing.
    pub values: Vec<f64>,
    /// Their spacing: 1, 2 or 5 × 10ᵉ.
    pub step: f64,
}

impl Ticks {
    /// The label of every position, with as many decimals as the step needs.
    pub fn labels(&self) -> Vec<String> {
        self.values
            .iter()
            .map(|&v| format_tick(v, self.step))
            .collect()
    }
}

/// The finest 1-2-5 ticks inside `[lo, hi]` with at most `max_ticks` positions (at least
/// two are asked for). A range that is empty, reversed, non-finite or narrower than
/// floating point resolves gets the single tick `lo` (or none if `lo` is not finite).
pub fn nice_ticks(lo: f64, hi: f64, max_ticks: usize) -> Ticks {
    let max_ticks = max_ticks.max(2);
    let span = hi - lo;
    if !lo.is_finite() || !hi.is_finite() || !span.is_finite() {
        let values = if lo.is_finite() { vec![lo] } else { vec![] };
        return Ticks { values, step: 1.0 };
    }
    if span <= 1e-12 * lo.abs().max(hi.abs()).max(f64::MIN_POSITIVE) {
        return Ticks {
            values: vec![lo],
            step: 1.0,
        };
    }
    let mut exponent = (span / max_ticks as f64).log10().floor() as i32 - 1;
    loop {
        for mantissa in [1.0, 2.0, 5.0] {
            let step = mantissa * 10f64.powi(exponent);
            let (first, last) = ((lo / step).ceil(), (hi / step).floor());
            if last - first + 1.0 <= max_ticks as f64 {
                let values = (0..=(last - first) as i64)
                    .map(|i| clean((first + i as f64) * step, step))
                    .collect();
                return Ticks { values, step };
            }
        }
        exponent += 1;
    }
}

/// Rounds `v` to the decimal grid of `step`, so that 3 × 0.1 is drawn as 0.3 and −0 as 0.
fn clean(v: f64, step: f64) -> f64 {
    let decimals = decimals(step);
    if decimals == 0 || decimals > 15 {
        return if v == 0.0 { 0.0 } else { v };
    }
    let scale = 10f64.powi(decimals as i32);
    let r = (v * scale).round() / scale;
    if r == 0.0 { 0.0 } else { r }
}

/// Decimals needed to print multiples of `step` exactly (0 for steps ≥ 1).
fn decimals(step: f64) -> usize {
    if step >= 1.0 || step <= 0.0 || !step.is_finite() {
        0
    } else {
        (-step.log10().floor()) as usize
    }
}

/// A tick value printed with the decimals its step needs: `0.25` for step 0.05, `100` for
/// step 50. Values of magnitude 10⁶ or more, or steps below 10⁻⁴, are printed as `2.5e-5`.
pub fn format_tick(value: f64, step: f64) -> String {
    let v = if value == 0.0 { 0.0 } else { value };
    if v.abs() >= 1e6 || (step < 1e-4 && v != 0.0) {
        let s = format!("{v:e}");
        return s;
    }
    format!("{v:.*}", decimals(step))
}

/// Ticks for a log₁₀ axis over `[lo, hi]` given as log₁₀ values, each paired with its
/// label in the data's own units. The first that fits `max_ticks`: 1, 2 and 5 in every
/// decade (`0.01 0.02 0.05`), then 1 and 3, then whole decades (`10⁻²`, every second one if
/// needed). A range narrower than two such ticks gets linear 1-2-5 ticks of the exponent.
pub fn log_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<(f64, String)> {
    if !lo.is_finite() || !hi.is_finite() || hi <= lo {
        return vec![];
    }
    let max_ticks = max_ticks.max(2);
    let within = |mantissas: &[f64]| {
        let mut ticks = Vec::new();
        for e in (lo.floor() as i32)..=(hi.ceil() as i32) {
            for &m in mantissas {
                let t = e as f64 + m.log10();
                if t >= lo - 1e-12 && t <= hi + 1e-12 {
                    ticks.push((t, format_tick(m * 10f64.powi(e), 10f64.powi(e))));
                }
            }
        }
        ticks
    };
    for mantissas in [&[1.0, 2.0, 5.0][..], &[1.0, 3.0][..]] {
        let ticks = within(mantissas);
        if ticks.len() >= 2 && ticks.len() <= max_ticks {
            return ticks;
        }
    }
    let decades: Vec<i32> = ((lo.ceil() as i32)..=(hi.floor() as i32)).collect();
    if decades.len() >= 2 {
        let stride = decades.len().div_ceil(max_ticks);
        return decades
            .iter()
            .step_by(stride)
            .map(|&e| (e as f64, power_of_ten(e)))
            .collect();
    }
    nice_ticks(lo, hi, max_ticks)
        .values
        .into_iter()
        .map(|t| (t, format_tick(10f64.powf(t), 10f64.powf(t) / 10.0)))
        .collect()
}

/// `10ⁿ` written with superscript digits (`1` and `10` for n = 0, 1).
pub fn power_of_ten(n: i32) -> String {
    match n {
        0 => "1".into(),
        1 => "10".into(),
        _ => {
            const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
            let digits: String = n
                .unsigned_abs()
                .to_string()
                .chars()
                .map(|c| SUP[c.to_digit(10).unwrap_or(0) as usize])
                .collect();
            format!("10{}{digits}", if n < 0 { "⁻" } else { "" })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        for (lo, hi) in [
            (0.0, 1.0),
            (0.344, 1.52),
            (-3.7, 12.9),
            (1e-5, 3e-5),
            (0.0, 980.0),
        ] {
            for max in 3..9 {
                let t = nice_ticks(lo, hi, max);
                assert!(
                    t.values.len() <= max && t.values.len() >= 2,
                    "{lo} {hi} {max}: {t:?}"
                );
                let m = t.step / 10f64.powf(t.step.log10().floor());
                assert!(
                    [1.0, 2.0, 5.0].iter().any(|c| (m - c).abs() < 1e-9),
                    "{}",
                    t.step
                );
                assert!(t.values.iter().all(|&v| v >= lo - 1e-12 && v <= hi + 1e-12));
                for v in &t.values {
                    let k = v / t.step;
                    assert!(
                        (k - k.round()).abs() < 1e-6,
                        "{v} not a multiple of {}",
                        t.step
                    );
                }
            }
        }
    }

    #[test]
    fn hand_worked_ticks_and_labels() {
        let t = nice_ticks(0.344, 1.52, 6);
        assert_eq!(t.step, 0.2);
        assert_eq!(t.labels(), ["0.4", "0.6", "0.8", "1.0", "1.2", "1.4"]);
        let t = nice_ticks(-0.05, 0.31, 5);
        assert_eq!(t.labels(), ["0.0", "0.1", "0.2", "0.3"]);
        assert_eq!(nice_ticks(0.0, 1000.0, 3).labels(), ["0", "500", "1000"]);
        assert_eq!(format_tick(-0.0, 0.1), "0.0");
        assert_eq!(format_tick(2.5e-5, 1e-5), "2.5e-5");
    }

    #[test]
    fn degenerate_ranges_do_not_loop_or_panic() {
        assert_eq!(nice_ticks(1.0, 1.0, 5).values, [1.0]);
        assert_eq!(nice_ticks(2.0, 1.0, 5).values, [2.0]);
        assert!(nice_ticks(f64::NAN, 1.0, 5).values.is_empty());
        assert_eq!(nice_ticks(1e300, 1e300 * (1.0 + 1e-15), 5).values.len(), 1);
        assert!(nice_ticks(-1e308, 1e308, 5).values.len() == 1);
        assert!(log_ticks(1.0, 0.0, 5).is_empty());
    }

    #[test]
    fn log_ticks_use_decades_or_one_two_five() {
        let labels = |t: Vec<(f64, String)>| t.into_iter().map(|p| p.1).collect::<Vec<_>>();
        assert_eq!(
            labels(log_ticks(-3.2, 0.4, 6)),
            ["10⁻³", "10⁻²", "10⁻¹", "1"]
        );
        assert_eq!(
            labels(log_ticks(-6.0, 6.0, 6)),
            ["10⁻⁶", "10⁻³", "1", "10³", "10⁶"]
        );
        // 0.003 to 0.3: 1-2-5 would be seven ticks, 1-3 gives five.
        assert_eq!(
            labels(log_ticks(0.003f64.log10(), 0.3f64.log10(), 5)),
            ["0.003", "0.01", "0.03", "0.1", "0.3"]
        );
        let t = log_ticks(-1.1, -0.2, 6);
        let labels: Vec<&str> = t.iter().map(|p| p.1.as_str()).collect();
        assert_eq!(labels, ["0.1", "0.2", "0.5"]);
        assert!((t[1].0 - 0.2f64.log10()).abs() < 1e-12);
        assert_eq!(power_of_ten(-12), "10⁻¹²");
    }
}
