//! Labels and files (IDX, .npy, CSV) of every shape and corruption: basis-data.

use super::*;

/// Labelings: the clustering scores and the label validator.
pub(super) fn label_cases(out: &mut Vec<Case>) {
    let scores: Vec<(&str, Score)> = vec![
        ("nmi", |a, b| {
            within(nmi(a, b, NmiNormalization::Max), 0.0..=1.0)
        }),
        ("nmi arithmetic", |a, b| {
            within(nmi(a, b, NmiNormalization::Arithmetic), 0.0..=1.0)
        }),
        ("clustering_accuracy", |a, b| {
            within(clustering_accuracy(a, b), 0.0..=1.0)
        }),
        ("contingency", |a, b| outcome(contingency(a, b))),
    ];
    let inputs: Vec<(&str, Vec<usize>, Vec<usize>, Expect)> = vec![
        ("empty", vec![], vec![], Expect::Err(&["Empty"])),
        (
            "lengths 3 and 2",
            vec![0, 1, 2],
            vec![0, 1],
            Expect::Err(&["LengthMismatch"]),
        ),
        ("one point", vec![0], vec![0], Expect::Ok),
        ("one class each", vec![0; 5], vec![0; 5], Expect::Ok),
        (
            "label usize::MAX",
            vec![0, usize::MAX, 1],
            vec![0, 1, 1],
            Expect::Ok,
        ),
        (
            "labels 10⁹ apart",
            vec![0, 1_000_000_000, 0],
            vec![7, 7, 2_000_000_000],
            Expect::Ok,
        ),
    ];
    for (fname, run) in scores {
        for (iname, a, b, e) in inputs.clone() {
            out.push(case(format!("{fname}: {iname}"), e, move || run(&a, &b)));
        }
    }
    let values: Vec<(&str, f64, Expect)> = vec![
        ("-1", -1.0, Expect::Err(&["InvalidParameter"])),
        ("0.5", 0.5, Expect::Err(&["InvalidParameter"])),
        (
            "NaN",
            f64::NAN,
            Expect::Err(&["InvalidParameter", "NonFinite"]),
        ),
        (
            "+inf",
            f64::INFINITY,
            Expect::Err(&["InvalidParameter", "NonFinite"]),
        ),
        ("1e300", 1e300, Expect::Err(&["InvalidParameter"])),
        (
            "MAX_LABEL + 1",
            (MAX_LABEL + 1) as f64,
            Expect::Err(&["InvalidParameter"]),
        ),
        ("MAX_LABEL", MAX_LABEL as f64, Expect::Ok),
        ("-0", -0.0, Expect::Ok),
    ];
    for (name, v, e) in values {
        out.push(case(format!("class_labels: {name}"), e, move || {
            outcome(class_labels([0.0, v, 1.0], "corpus"))
        }));
    }
    // Anchor sampling: overflowing or impossible requests.
    let mut rng_cases: Vec<(&str, Draw, Expect)> = vec![
        (
            "per class usize::MAX",
            Box::new(|r| outcome(sample_anchors_per_class(&labels(), usize::MAX, r))),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "per class 0",
            Box::new(|r| outcome(sample_anchors_per_class(&labels(), 0, r))),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "no labels",
            Box::new(|r| outcome(sample_anchors_per_class(&[], 2, r))),
            Expect::Err(&["Empty"]),
        ),
        (
            "label usize::MAX",
            Box::new(|r| outcome(sample_anchors_per_class(&[0, usize::MAX, 1, 1], 1, r))),
            Expect::Ok,
        ),
        (
            "more per class than a class has",
            Box::new(|r| outcome(sample_anchors_per_class(&labels(), N, r))),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "uniform: more than n",
            Box::new(|r| outcome(sample_anchors_uniform(5, 6, r))),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "uniform: none",
            Box::new(|r| outcome(sample_anchors_uniform(5, 0, r))),
            Expect::Err(&["InvalidParameter"]),
        ),
        (
            "uniform: usize::MAX of usize::MAX",
            Box::new(|r| outcome(sample_anchors_uniform(usize::MAX, usize::MAX, r))),
            Expect::Err(&["InvalidParameter", "TooLarge"]),
        ),
    ];
    for (name, run, e) in rng_cases.drain(..) {
        out.push(case(format!("anchors: {name}"), e, move || {
            run(&mut ChaCha8Rng::seed_from_u64(0))
        }));
    }
}

/// Corrupt files: IDX, .npy and CSV bytes.
pub(super) fn file_cases(out: &mut Vec<Case>) {
    let idx: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("empty", vec![], Expect::Err(&["Truncated", "IdxBadMagic"])),
        (
            "bad magic",
            vec![1, 2, 8, 1, 0, 0, 0, 1, 7],
            Expect::Err(&["IdxBadMagic"]),
        ),
        (
            "unknown type 0x07",
            vec![0, 0, 7, 1, 0, 0, 0, 1, 7],
            Expect::Err(&["IdxUnknownType"]),
        ),
        (
            "no dimensions",
            vec![0, 0, 8, 0],
            Expect::Err(&["IdxBadShape"]),
        ),
        (
            "cut header",
            vec![0, 0, 8, 2, 0, 0],
            Expect::Err(&["Truncated"]),
        ),
        (
            "cut payload",
            vec![0, 0, 8, 1, 0, 0, 0, 3, 1, 2],
            Expect::Err(&["Truncated"]),
        ),
        (
            "trailing bytes",
            vec![0, 0, 8, 1, 0, 0, 0, 1, 7, 9],
            Expect::Err(&["TrailingBytes"]),
        ),
        (
            "dimensions overflowing usize",
            vec![
                0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
            ],
            Expect::Err(&["IdxBadShape", "Truncated"]),
        ),
        ("a good one", vec![0, 0, 8, 1, 0, 0, 0, 2, 7, 9], Expect::Ok),
    ];
    for (name, bytes, e) in idx {
        out.push(case(format!("parse_idx: {name}"), e, move || {
            outcome(parse_idx(&bytes))
        }));
    }
    let good_npy = basis::data::npy::encode_npy(&good());
    let mut npy: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("empty", vec![], Expect::Err(&["Truncated", "Npy"])),
        (
            "bad magic",
            b"\x93NUMPZ\x01\x00".to_vec(),
            Expect::Err(&["Npy", "Truncated"]),
        ),
        (
            "cut header",
            good_npy[..20].to_vec(),
            Expect::Err(&["Truncated"]),
        ),
        (
            "cut payload",
            good_npy[..good_npy.len() - 3].to_vec(),
            Expect::Err(&["Truncated"]),
        ),
        (
            "trailing bytes",
            [&good_npy[..], &[0u8; 8]].concat(),
            Expect::Err(&["TrailingBytes"]),
        ),
        ("a good one", good_npy.clone(), Expect::Ok),
    ];
    for (what, from, to) in [
        ("dtype <b8", "'<f8'", "'<b8'"),
        ("dtype object", "'<f8'", "'|O8'"),
        ("non-ASCII dtype", "'<f8'", "'<fé'"),
        ("3-D shape", "(24, 3)", "(2, 12, 3)"),
        ("negative shape", "(24, 3)", "(-24, 3)"),
        ("shape larger than the payload", "(24, 3)", "(2400, 3)"),
    ] {
        let text = String::from_utf8_lossy(&good_npy[..128]).replace(from, to);
        let header: Vec<u8> = text.into_bytes();
        let bytes = [&header[..], &good_npy[128..]].concat();
        npy.push((
            what,
            bytes,
            Expect::Err(&["Npy", "Truncated", "ShapeMismatch", "TrailingBytes"]),
        ));
    }
    for (name, bytes, e) in npy {
        out.push(case(format!("parse_npy: {name}"), e, move || {
            finite(parse_npy(&bytes))
        }));
    }
    let csv: Vec<(&str, &str, Expect)> = vec![
        ("empty", "", Expect::Err(&["Empty"])),
        ("only a newline", "\n", Expect::Err(&["Empty"])),
        ("ragged", "1,2,3\n4,5\n", Expect::Err(&["CsvRagged"])),
        ("a word", "1,2,x\n", Expect::Err(&["CsvParse"])),
        ("NaN", "1,2,NaN\n", Expect::Err(&["NonFinite", "CsvParse"])),
        ("inf", "1,inf,2\n", Expect::Err(&["NonFinite", "CsvParse"])),
        (
            "1e400",
            "1,1e400,2\n",
            Expect::Err(&["NonFinite", "CsvParse"]),
        ),
        ("good", "1,2,3\n4,5,6\n", Expect::Ok),
    ];
    for (name, text, e) in csv {
        out.push(case(format!("parse_csv: {name}"), e, move || {
            outcome(parse_csv(text, &CsvOptions::default()))
        }));
    }
    let labelled = |label: &'static str| {
        move || {
            let text = format!("1,2,0\n3,4,{label}\n5,6,1\n");
            outcome(parse_csv(
                &text,
                &CsvOptions {
                    label_column: Some(-1),
                    ..CsvOptions::default()
                },
            ))
        }
    };
    for (label, e) in [
        ("-1", Expect::Err(&["InvalidParameter"])),
        ("1.5", Expect::Err(&["InvalidParameter"])),
        ("1e300", Expect::Err(&["InvalidParameter"])),
        ("2", Expect::Ok),
    ] {
        out.push(case(
            format!("parse_csv: label {label}"),
            e,
            labelled(label),
        ));
    }
}
