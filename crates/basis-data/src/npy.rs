//! NumPy `.npy` files (format versions 1–3) and `.npz` archives, read into and written from
//! nalgebra matrices through the [`npyz`] crate.
//!
//! npyz decodes the header and the dtypes; this module adds what the toolkit needs on top:
//! 1-D and 2-D arrays only, every numeric dtype converted to `f64`, a payload whose length must
//! match the header exactly (a truncated file or one with trailing bytes is an error, not a
//! silently short or long matrix), and [`DataError`]s instead of `io::Error`s.

use crate::error::{DataError, Result};
use nalgebra::DMatrix;
use npyz::{DType, NpyFile, NpyHeader, Order, TypeChar, WriterBuilder};
use std::io::Read;
use std::path::Path;

const MAGIC: &[u8] = b"\x93NUMPY";

/// Reads a `.npy` array as an `n × d` matrix (a 1-D array becomes `n × 1`).
///
/// Supported dtypes: `f8`, `f4`, `i8`, `i4`, `i2`, `i1`, `u8`, `u4`, `u2`, `u1` and `b1`, in
/// either byte order, in C or Fortran memory order. 64-bit integers above 2^53 lose precision in
/// the conversion to `f64`.
pub fn read_npy(path: impl AsRef<Path>) -> Result<DMatrix<f64>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    parse_npy(&bytes)
}

/// The longest header accepted (numpy itself refuses headers above 10,000 bytes unless told
/// otherwise), so a corrupt length cannot make a reader take gigabytes for a header.
const MAX_HEADER: usize = 1 << 20;

/// The number of bytes the header announces for itself (magic, version, length and text), from
/// the first 12 bytes (or fewer for version 1) of a file.
fn announced_header_len(prefix: &[u8]) -> Result<usize> {
    if prefix.len() < 10 || &prefix[..6] != MAGIC {
        return Err(DataError::Npy("missing \\x93NUMPY magic".into()));
    }
    let (len, start) = match prefix[6] {
        1 => (u16::from_le_bytes([prefix[8], prefix[9]]) as usize, 10),
        2 | 3 if prefix.len() >= 12 => (
            u32::from_le_bytes([prefix[8], prefix[9], prefix[10], prefix[11]]) as usize,
            12,
        ),
        2 | 3 => {
            return Err(DataError::Truncated {
                expected: 12,
                found: prefix.len(),
            });
        }
        v => return Err(DataError::Npy(format!("unsupported format version {v}"))),
    };
    if len > MAX_HEADER {
        return Err(DataError::Npy(format!(
            "header announces {len} bytes, more than the {MAX_HEADER} any .npy writer uses"
        )));
    }
    Ok(start + len)
}

/// The end of the header, checked against what is there.
fn header_end(bytes: &[u8]) -> Result<usize> {
    let end = announced_header_len(bytes)?;
    if end > bytes.len() {
        return Err(DataError::Truncated {
            expected: end,
            found: bytes.len(),
        });
    }
    Ok(end)
}

/// Reads one `.npy` from a stream (a `.npz` member) without trusting any size but the one its
/// header announces: at most that many payload bytes (and one more, to detect trailing data)
/// are read, so a member that inflates without end cannot exhaust memory.
fn read_npy_stream(r: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    r.take(12).read_to_end(&mut bytes)?;
    let Ok(end) = announced_header_len(&bytes) else {
        return Ok(bytes); // parse_npy names what is wrong
    };
    let more = end.saturating_sub(bytes.len()) as u64;
    r.take(more).read_to_end(&mut bytes)?;
    let Ok(head) = announced(&bytes) else {
        return Ok(bytes);
    };
    let limit = (head.end + head.payload).saturating_add(1);
    let more = limit.saturating_sub(bytes.len()) as u64;
    r.take(more).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn npy_error(e: std::io::Error) -> DataError {
    DataError::Npy(e.to_string())
}

/// Decodes the payload as `T` and converts every element to `f64`.
fn values_as<T: npyz::Deserialize>(
    file: NpyFile<&[u8]>,
    to_f64: impl Fn(T) -> f64,
) -> Result<Vec<f64>> {
    Ok(file
        .into_vec::<T>()
        .map_err(npy_error)?
        .into_iter()
        .map(to_f64)
        .collect())
}

/// What a `.npy` header announces: its own length in bytes, the matrix shape, the dtype and
/// the payload length that shape and dtype imply.
struct Announced {
    header: NpyHeader,
    end: usize,
    rows: usize,
    cols: usize,
    payload: usize,
}

/// Parses and checks the header at the start of `bytes` (which may hold the header only).
fn announced(bytes: &[u8]) -> Result<Announced> {
    let end = header_end(bytes)?;
    let mut rest = &bytes[..end];
    let header = NpyHeader::from_reader(&mut rest).map_err(|e| {
        // npyz's parser errors run over several lines; the first one says what is wrong.
        let text = e.to_string();
        let first = text.lines().next().unwrap_or("").trim().to_string();
        DataError::Npy(format!("unreadable header: {first}"))
    })?;
    if !rest.is_empty() {
        return Err(DataError::Npy(
            "header length does not match its text".into(),
        ));
    }
    let shape = header.shape().to_vec();
    let (rows, cols) = match shape.as_slice() {
        [n] => (*n, 1),
        [n, d] => (*n, *d),
        s => {
            return Err(DataError::Npy(format!(
                "expected a 1-D or 2-D array, found shape {s:?}"
            )));
        }
    };
    let too_big = || DataError::Npy(format!("shape {shape:?} overflows"));
    let (rows, cols) = (
        usize::try_from(rows).map_err(|_| too_big())?,
        usize::try_from(cols).map_err(|_| too_big())?,
    );
    let dtype = header.dtype();
    let ts = match &dtype {
        DType::Plain(ts) => ts,
        _ => {
            return Err(DataError::Npy(format!(
                "unsupported dtype {} (structured or array-valued)",
                dtype.descr()
            )));
        }
    };
    if ts.type_char() == TypeChar::Object {
        return Err(DataError::Npy(
            "dtype object ('|O'): a pickled array of Python objects, not numbers; save it with a numeric dtype (e.g. arr.astype(float))".into(),
        ));
    }
    let size = ts.num_bytes().unwrap_or(0);
    let payload = rows
        .checked_mul(cols)
        .and_then(|c| c.checked_mul(size))
        .ok_or_else(too_big)?;
    Ok(Announced {
        header,
        end,
        rows,
        cols,
        payload,
    })
}

/// Parses in-memory `.npy` bytes.
pub fn parse_npy(bytes: &[u8]) -> Result<DMatrix<f64>> {
    let Announced {
        header,
        end,
        rows,
        cols,
        payload: expected,
    } = announced(bytes)?;
    let rest = &bytes[end..];
    let file = NpyFile::with_header(header, rest);
    let dtype = file.dtype();
    let DType::Plain(ts) = &dtype else {
        return Err(DataError::Npy(format!(
            "unsupported dtype {}",
            dtype.descr()
        )));
    };
    let size = ts.num_bytes().unwrap_or(0);
    if rest.len() < expected {
        return Err(DataError::Truncated {
            expected,
            found: rest.len(),
        });
    }
    if rest.len() > expected {
        return Err(DataError::TrailingBytes {
            expected,
            found: rest.len(),
        });
    }
    let fortran = file.order() == Order::Fortran;
    let values = match (ts.type_char(), size) {
        (TypeChar::Float, 8) => values_as(file, |v: f64| v)?,
        (TypeChar::Float, 4) => values_as(file, |v: f32| f64::from(v))?,
        (TypeChar::Int, 8) => values_as(file, |v: i64| v as f64)?,
        (TypeChar::Int, 4) => values_as(file, |v: i32| f64::from(v))?,
        (TypeChar::Int, 2) => values_as(file, |v: i16| f64::from(v))?,
        (TypeChar::Int, 1) => values_as(file, |v: i8| f64::from(v))?,
        (TypeChar::Uint, 8) => values_as(file, |v: u64| v as f64)?,
        (TypeChar::Uint, 4) => values_as(file, |v: u32| f64::from(v))?,
        (TypeChar::Uint, 2) => values_as(file, |v: u16| f64::from(v))?,
        (TypeChar::Uint, 1) => values_as(file, |v: u8| f64::from(v))?,
        (TypeChar::Bool, 1) => values_as(file, |v: bool| f64::from(u8::from(v)))?,
        _ => return Err(DataError::Npy(format!("unsupported dtype {ts}"))),
    };
    Ok(if fortran {
        DMatrix::from_column_slice(rows, cols, &values)
    } else {
        DMatrix::from_row_slice(rows, cols, &values)
    })
}

/// Encodes a matrix as a little-endian `f8` `.npy` file in C order (what `np.load` reads back
/// as an `(n, d)` `float64` array).
pub fn encode_npy(m: &DMatrix<f64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + 8 * m.len());
    // Writing into a Vec cannot fail, and the shape and dtype are always valid.
    let mut w = npyz::WriteOptions::<f64>::new()
        .default_dtype()
        .shape(&[m.nrows() as u64, m.ncols() as u64])
        .writer(&mut out)
        .begin_nd()
        .expect("writing a .npy header into memory");
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            w.push(&m[(i, j)]).expect("writing into memory");
        }
    }
    w.finish().expect("writing into memory");
    out
}

/// Reads every array of a `.npz` archive (as `np.savez` or `np.savez_compressed` writes it),
/// in archive order, each named without its `.npy` suffix.
pub fn read_npz(path: impl AsRef<Path>) -> Result<Vec<(String, DMatrix<f64>)>> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|e| DataError::Npy(format!("{}: not a .npz archive: {e}", path.display())))?;
    let mut arrays = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let mut member = archive
            .by_index(i)
            .map_err(|e| DataError::Npy(format!("{}: member {i}: {e}", path.display())))?;
        let name = member.name().trim_end_matches(".npy").to_string();
        let bytes = read_npy_stream(&mut member)
            .map_err(|e| DataError::Npy(format!("{}: {name}: {e}", path.display())))?;
        let m = parse_npy(&bytes).map_err(|e| DataError::Npy(format!("{name}: {e}")))?;
        arrays.push((name, m));
    }
    Ok(arrays)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `bytes` with the first `from` replaced by `to` (byte-wise: the magic is not UTF-8).
    fn replaced(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
        let at = bytes
            .windows(from.len())
            .position(|w| w == from.as_bytes())
            .expect("pattern present");
        [&bytes[..at], to.as_bytes(), &bytes[at + from.len()..]].concat()
    }

    #[test]
    fn round_trips_a_matrix() {
        let m = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, -6.5]);
        assert_eq!(parse_npy(&encode_npy(&m)).unwrap(), m);
        let empty = DMatrix::<f64>::zeros(0, 4);
        assert_eq!(parse_npy(&encode_npy(&empty)).unwrap().shape(), (0, 4));
    }

    #[test]
    fn the_header_is_what_numpy_writes() {
        let b = encode_npy(&DMatrix::from_element(2, 2, 1.0));
        let text = String::from_utf8_lossy(&b[10..header_end(&b).unwrap()]).into_owned();
        assert!(text.contains("'descr': '<f8'"), "{text}");
        assert!(text.contains("'fortran_order': False"), "{text}");
        // npyz writes the tuple as `(2, 2, )`, which Python (and so numpy) reads as (2, 2).
        assert!(text.contains("'shape': (2, 2"), "{text}");
        assert_eq!(
            header_end(&b).unwrap() % 64,
            0,
            "numpy aligns the payload to 64 bytes"
        );
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
        let mut long = good.clone();
        long.push(0);
        assert!(matches!(
            parse_npy(&long),
            Err(DataError::TrailingBytes { .. })
        ));
        let bad_dtype = replaced(&good, "<f8", "<c8");
        assert!(matches!(parse_npy(&bad_dtype), Err(DataError::Npy(_))));
        // Regressions (issue 24): a dtype of 8-byte booleans was read as integers, and a
        // non-ASCII dtype string panicked in string slicing.
        let bool8 = replaced(&good, "<f8", "<b8");
        assert!(matches!(parse_npy(&bool8), Err(DataError::Npy(_))));
        let mut unicode = replaced(&good, "'<f8'", "'<é8'");
        // Keep the header length byte-exact: 'é' is two bytes where 'f' was one.
        let n = unicode.iter().rposition(|&b| b == b' ').unwrap();
        unicode.remove(n);
        assert!(matches!(parse_npy(&unicode), Err(DataError::Npy(_))));
        let three_d = replaced(&good, "(3, 3, )", "(3,1,3) ");
        let e = parse_npy(&three_d).unwrap_err().to_string();
        assert!(e.contains("1-D or 2-D"), "{e}");
    }

    #[test]
    fn object_dtypes_and_oversized_headers_say_what_they_are() {
        let good = encode_npy(&DMatrix::from_element(3, 3, 1.0));
        let object = replaced(&good, "'<f8'", "'|O' ");
        let e = parse_npy(&object).unwrap_err().to_string();
        assert!(e.contains("dtype object"), "{e}");
        let mut huge = good.clone();
        huge[6] = 2;
        huge.splice(8..10, [0xff, 0xff, 0xff, 0x7f]);
        let e = parse_npy(&huge).unwrap_err().to_string();
        assert!(e.contains("header announces"), "{e}");
        // A header npyz cannot parse: one line saying so, not the parser's multi-line dump.
        let garbled = replaced(&good, "'descr'", "'descr\n");
        let e = parse_npy(&garbled).unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn an_npz_member_is_inflated_no_further_than_its_header_announces() {
        // A 2 × 2 f8 array followed by 64 MiB of zeros that deflate to a few kilobytes.
        let mut member = encode_npy(&DMatrix::from_element(2, 2, 1.0));
        let expected = member.len() - header_end(&member).unwrap();
        member.resize(member.len() + (64 << 20), 0);
        let dir = std::env::temp_dir().join(format!("basis-npz-bomb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("bomb.npz");
        {
            let mut z = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
            let options = zip::write::FileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            z.start_file("x.npy", options).unwrap();
            std::io::Write::write_all(&mut z, &member).unwrap();
            z.finish().unwrap();
        }
        assert!(std::fs::metadata(&p).unwrap().len() < 1 << 20);
        let e = read_npz(&p).unwrap_err().to_string();
        // The reader stopped one byte past the announced payload.
        assert!(
            e.contains(&format!("payload has {} bytes", expected + 1)),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
            let mut b = MAGIC.to_vec();
            b.extend(tail);
            let _ = parse_npy(&b);
        }

        #[test]
        fn any_matrix_round_trips_bit_for_bit(
            rows in 0usize..6,
            cols in 1usize..5,
            seed in proptest::num::u64::ANY,
        ) {
            let m = DMatrix::from_fn(rows, cols, |i, j| {
                f64::from_bits(seed.rotate_left((i * 7 + j) as u32) | 1) .clamp(-1e300, 1e300)
            });
            let back = parse_npy(&encode_npy(&m)).unwrap();
            proptest::prop_assert_eq!(back.shape(), m.shape());
            for (a, b) in back.iter().zip(m.iter()) {
                proptest::prop_assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
            }
        }
    }
}
