//! Reader for NumPy `.npy` files (format versions 1–3), 1-D or 2-D, numeric dtypes.

use crate::error::{DataError, Result};
use nalgebra::DMatrix;
use std::path::Path;

const MAGIC: &[u8] = b"\x93NUMPY";

/// Reads a `.npy` array as an `n × d` matrix (a 1-D array becomes `n × 1`).
///
/// Supported dtypes: little- or big-endian `f8`, `f4`, `i8`, `i4`, `i2`, `u8`, `u4`, `u2`, and `u1`/`i1`/`b1`.
/// Both C and Fortran order are accepted.
pub fn read_npy(path: impl AsRef<Path>) -> Result<DMatrix<f64>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    parse_npy(&bytes)
}

/// Parses in-memory `.npy` bytes.
pub fn parse_npy(bytes: &[u8]) -> Result<DMatrix<f64>> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(DataError::Npy("missing \\x93NUMPY magic".into()));
    }
    let major = bytes[6];
    let (header_len, start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10usize),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(DataError::Truncated {
                    expected: 12,
                    found: bytes.len(),
                });
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        v => return Err(DataError::Npy(format!("unsupported format version {v}"))),
    };
    let end = start
        .checked_add(header_len)
        .filter(|&e| e <= bytes.len())
        .ok_or(DataError::Truncated {
            expected: start.saturating_add(header_len),
            found: bytes.len(),
        })?;
    let header = std::str::from_utf8(&bytes[start..end])
        .map_err(|_| DataError::Npy("header is not UTF-8".into()))?;
    let descr =
        dict_value(header, "descr").ok_or_else(|| DataError::Npy("header lacks 'descr'".into()))?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    let fortran = dict_value(header, "fortran_order")
        .ok_or_else(|| DataError::Npy("header lacks 'fortran_order'".into()))?
        .starts_with("True");
    let shape = parse_shape(
        dict_value(header, "shape").ok_or_else(|| DataError::Npy("header lacks 'shape'".into()))?,
    )?;
    let (rows, cols) = match shape.as_slice() {
        [n] => (*n, 1),
        [n, d] => (*n, *d),
        s => {
            return Err(DataError::Npy(format!(
                "expected a 1-D or 2-D array, found shape {s:?}"
            )));
        }
    };
    let (big_endian, kind, size) = parse_descr(descr)?;
    let count = rows
        .checked_mul(cols)
        .ok_or_else(|| DataError::Npy(format!("shape {shape:?} overflows")))?;
    let expected = count
        .checked_mul(size)
        .ok_or_else(|| DataError::Npy(format!("shape {shape:?} overflows")))?;
    let payload = &bytes[end..];
    if payload.len() < expected {
        return Err(DataError::Truncated {
            expected,
            found: payload.len(),
        });
    }
    if payload.len() > expected {
        return Err(DataError::TrailingBytes {
            expected,
            found: payload.len(),
        });
    }
    let values: Vec<f64> = payload
        .chunks_exact(size)
        .map(|c| decode(c, kind, big_endian))
        .collect();
    Ok(if fortran {
        DMatrix::from_column_slice(rows, cols, &values)
    } else {
        DMatrix::from_row_slice(rows, cols, &values)
    })
}

fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let pos = header
        .find(&format!("'{key}'"))
        .or_else(|| header.find(&format!("\"{key}\"")))?;
    let rest = &header[pos + key.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    if rest.starts_with('(') {
        let close = rest.find(')')?;
        Some(&rest[..=close])
    } else {
        let stop = rest.find([',', '}']).unwrap_or(rest.len());
        Some(rest[..stop].trim())
    }
}

fn parse_shape(s: &str) -> Result<Vec<usize>> {
    let inner = s.trim().trim_start_matches('(').trim_end_matches(')');
    inner
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<usize>()
                .map_err(|_| DataError::Npy(format!("bad shape entry {t:?}")))
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Kind {
    Float,
    Int,
    UInt,
}

fn parse_descr(d: &str) -> Result<(bool, Kind, usize)> {
    let (order, rest) = d.split_at(d.len().min(1));
    let (big, rest) = match order {
        "<" | "|" | "=" => (false, rest),
        ">" => (true, rest),
        _ => (false, d),
    };
    let (k, n) = rest.split_at(rest.len().min(1));
    let size: usize = n
        .parse()
        .map_err(|_| DataError::Npy(format!("unsupported dtype {d:?}")))?;
    let kind = match (k, size) {
        ("f", 4 | 8) => Kind::Float,
        ("i", 1 | 2 | 4 | 8) => Kind::Int,
        ("u" | "b", 1 | 2 | 4 | 8) => Kind::UInt,
        _ => return Err(DataError::Npy(format!("unsupported dtype {d:?}"))),
    };
    Ok((big, kind, size))
}

fn decode(c: &[u8], kind: Kind, big: bool) -> f64 {
    let mut b = [0u8; 8];
    b[..c.len()].copy_from_slice(c);
    if big {
        b[..c.len()].reverse();
    }
    match (kind, c.len()) {
        (Kind::Float, 4) => f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
        (Kind::Float, _) => f64::from_le_bytes(b),
        (Kind::Int, 1) => b[0] as i8 as f64,
        (Kind::Int, 2) => i16::from_le_bytes([b[0], b[1]]) as f64,
        (Kind::Int, 4) => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
        (Kind::Int, _) => i64::from_le_bytes(b) as f64,
        (Kind::UInt, _) => u64::from_le_bytes(b) as f64,
    }
}

/// Encodes a matrix as a version-1 little-endian `f8` `.npy` file in C order.
pub fn encode_npy(m: &DMatrix<f64>) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, {}), }}",
        m.nrows(),
        m.ncols()
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            out.extend_from_slice(&m[(i, j)].to_le_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_matrix() {
        let m = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, -6.5]);
        assert_eq!(parse_npy(&encode_npy(&m)).unwrap(), m);
    }

    #[test]
    fn reads_numpy_written_bytes() {
        // Bytes of `np.save(f, np.array([[1, 2], [3, 4]], dtype='<i4'))` (header as numpy writes it).
        let header = "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }";
        let mut h = header.to_string();
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&[1, 0]);
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        for v in [1i32, 2, 3, 4] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        let m = parse_npy(&b).unwrap();
        assert_eq!(m, DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]));
    }

    #[test]
    fn fortran_order_and_1d() {
        let mut b = encode_npy(&DMatrix::from_row_slice(1, 4, &[1.0, 2.0, 3.0, 4.0]));
        let text = String::from_utf8_lossy(&b[10..74])
            .replace("False", "True ")
            .replace("(1, 4)", "(2, 2)");
        b.splice(10..74, text.bytes());
        assert_eq!(
            parse_npy(&b).unwrap(),
            DMatrix::from_row_slice(2, 2, &[1.0, 3.0, 2.0, 4.0])
        );
        let mut b = encode_npy(&DMatrix::from_row_slice(1, 3, &[1.0, 2.0, 3.0]));
        let text = String::from_utf8_lossy(&b[10..74]).replace("(1, 3)", "(3,)  ");
        b.splice(10..74, text.bytes());
        assert_eq!(parse_npy(&b).unwrap().shape(), (3, 1));
    }

    #[test]
    fn corrupt_files_are_typed_errors() {
        let good = encode_npy(&DMatrix::from_element(3, 3, 1.0));
        assert!(matches!(parse_npy(b"hello"), Err(DataError::Npy(_))));
        assert!(matches!(
            parse_npy(&good[..good.len() - 1]),
            Err(DataError::Truncated { .. })
        ));
        assert!(matches!(
            parse_npy(&good[..20]),
            Err(DataError::Truncated { .. })
        ));
        let bad_dtype = String::from_utf8_lossy(&good).replace("<f8", "<c8");
        assert!(matches!(
            parse_npy(bad_dtype.as_bytes()),
            Err(DataError::Npy(_))
        ));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
            let mut b = MAGIC.to_vec();
            b.extend(tail);
            let _ = parse_npy(&b);
        }
    }
}
