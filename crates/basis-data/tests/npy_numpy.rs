//! Files written by numpy load with the right values: every dtype the reader supports, both
//! byte orders, both memory orders, 1-D arrays and `.npz` archives (plain and compressed).
//! The fixtures are made by `scripts/make_npy_fixtures.py`, whose docstring defines the values.

use basis_data::npy::{encode_npy, read_npy, read_npz};
use nalgebra::DMatrix;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/npy")
        .join(name)
}

/// M = [[0, 1, 2], [3, 4, 5]] minus `offset`.
fn m(offset: f64) -> DMatrix<f64> {
    DMatrix::from_fn(2, 3, |i, j| (3 * i + j) as f64 - offset)
}

#[test]
fn every_dtype_byte_order_and_memory_order_loads_the_same_matrix() {
    let mut checked = 0;
    for dt in ["f8", "f4", "i8", "i4", "i2", "i1", "u8", "u4", "u2", "u1"] {
        let offset = if dt.starts_with('i') { 2.0 } else { 0.0 };
        for order in ["le", "be"] {
            if dt.ends_with('1') && order == "be" {
                continue;
            }
            for mem in ["C", "F"] {
                let name = format!("{dt}_{order}_{mem}.npy");
                let got = read_npy(fixture(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(got, m(offset), "{name}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 36);
    let bools = read_npy(fixture("b1_C.npy")).unwrap();
    assert_eq!(
        bools,
        DMatrix::from_row_slice(2, 3, &[0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    );
}

#[test]
fn one_d_arrays_and_extreme_doubles_keep_every_bit() {
    let v = read_npy(fixture("f8_1d.npy")).unwrap();
    assert_eq!(v, DMatrix::from_column_slice(3, 1, &[0.5, -1.25, 3.0]));
    let p = read_npy(fixture("f8_pi.npy")).unwrap();
    let want = [std::f64::consts::PI, -std::f64::consts::E, 1e-300, 1e300];
    for (k, w) in want.iter().enumerate() {
        assert_eq!(p[(k / 2, k % 2)].to_bits(), w.to_bits(), "element {k}");
    }
    // And what we write, numpy's own reader would see as the same header and bytes.
    let ours = encode_npy(&p);
    assert_eq!(basis_data::npy::parse_npy(&ours).unwrap(), p);
}

#[test]
fn npz_archives_plain_and_compressed() {
    for name in ["pair.npz", "pair_compressed.npz"] {
        let arrays = read_npz(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let names: Vec<&str> = arrays.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["x", "y"], "{name}");
        assert_eq!(arrays[0].1, m(0.0), "{name}");
        assert_eq!(
            arrays[1].1,
            DMatrix::from_column_slice(2, 1, &[0.0, 1.0]),
            "{name}"
        );
    }
}

#[test]
fn a_corrupt_npz_is_a_typed_error() {
    let dir = std::env::temp_dir().join(format!("basis-npz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = std::fs::read(fixture("pair.npz")).unwrap();
    let cut = dir.join("cut.npz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(read_npz(&cut), Err(basis_data::DataError::Npy(_))));
    assert!(matches!(
        read_npz(dir.join("missing.npz")),
        Err(basis_data::DataError::Io { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
