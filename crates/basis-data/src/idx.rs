//! Reader for the IDX format (MNIST, Fashion-MNIST, ...), gzipped or raw.
//!
//! Layout: two zero bytes, one element-type byte, one byte with the number of
//! dimensions `r`, then `r` big-endian `u32` sizes, then the elements in
//! row-major order, big-endian. Gzip is detected from the content (`1f 8b`),
//! not from the file name.

use crate::error::{DataError, Result};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::Path;

/// The element type announced by an IDX header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdxType {
    /// `0x08`, unsigned byte.
    U8,
    /// `0x09`, signed byte.
    I8,
    /// `0x0B`, 16-bit signed integer.
    I16,
    /// `0x0C`, 32-bit signed integer.
    I32,
    /// `0x0D`, 32-bit float.
    F32,
    /// `0x0E`, 64-bit float.
    F64,
}

impl IdxType {
    fn from_code(code: u8) -> Result<Self> {
        Ok(match code {
            0x08 => IdxType::U8,
            0x09 => IdxType::I8,
            0x0B => IdxType::I16,
            0x0C => IdxType::I32,
            0x0D => IdxType::F32,
            0x0E => IdxType::F64,
            other => return Err(DataError::IdxUnknownType(other)),
        })
    }

    /// The type byte used in headers.
    pub fn code(self) -> u8 {
        match self {
            IdxType::U8 => 0x08,
            IdxType::I8 => 0x09,
            IdxType::I16 => 0x0B,
            IdxType::I32 => 0x0C,
            IdxType::F32 => 0x0D,
            IdxType::F64 => 0x0E,
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            IdxType::U8 | IdxType::I8 => 1,
            IdxType::I16 => 2,
            IdxType::I32 | IdxType::F32 => 4,
            IdxType::F64 => 8,
        }
    }
}

/// A decoded IDX array: its shape and its elements converted to `f64`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    /// The element type stored in the file.
    pub elem_type: IdxType,
    /// The dimensions, outermost first (e.g. `[60000, 28, 28]`).
    pub dims: Vec<usize>,
    /// All elements, row-major, as `f64` (exact for every IDX type).
    pub values: Vec<f64>,
}

impl IdxArray {
    /// Number of items along the first dimension.
    pub fn len(&self) -> usize {
        self.dims.first().copied().unwrap_or(0)
    }

    /// True when the first dimension is zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of elements per item (product of all but the first dimension).
    pub fn item_size(&self) -> usize {
        self.dims.iter().skip(1).product()
    }
}

/// Reads an IDX file, gzipped or not.
pub fn read_idx(path: impl AsRef<Path>) -> Result<IdxArray> {
    let path = path.as_ref();
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let bytes = maybe_gunzip(&raw).map_err(|e| DataError::io(path, e))?;
    parse_idx(&bytes)
}

/// Decompresses `raw` when it starts with the gzip magic, otherwise returns it unchanged.
///
/// The inflated stream is read no further than the size its own IDX header announces (and one
/// byte more, so trailing data is still detected): a gzip member that inflates without end
/// cannot exhaust memory.
fn maybe_gunzip(raw: &[u8]) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
    if raw.len() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
        let mut z = GzDecoder::new(raw);
        let mut out = Vec::new();
        (&mut z).take(4).read_to_end(&mut out)?;
        if out.len() == 4 {
            let ndim = out[3] as u64;
            (&mut z).take(4 * ndim).read_to_end(&mut out)?;
            if let Some(total) = announced_len(&out) {
                let more = total.saturating_add(1).saturating_sub(out.len()) as u64;
                (&mut z).take(more).read_to_end(&mut out)?;
            }
        }
        Ok(std::borrow::Cow::Owned(out))
    } else {
        Ok(std::borrow::Cow::Borrowed(raw))
    }
}

/// Header plus payload bytes a complete IDX header announces (`None` when it is incomplete,
/// malformed or overflows; [`parse_idx`] then says which).
fn announced_len(header: &[u8]) -> Option<usize> {
    let elem = IdxType::from_code(*header.get(2)?).ok()?;
    let ndim = *header.get(3)? as usize;
    let dims = header.get(4..4 + 4 * ndim)?;
    dims.chunks_exact(4)
        .try_fold(elem.size(), |acc, d| {
            acc.checked_mul(u32::from_be_bytes([d[0], d[1], d[2], d[3]]) as usize)
        })?
        .checked_add(4 + 4 * ndim)
}

/// Parses an in-memory (already decompressed) IDX file.
pub fn parse_idx(bytes: &[u8]) -> Result<IdxArray> {
    if bytes.len() < 4 {
        return Err(DataError::Truncated {
            expected: 4,
            found: bytes.len(),
        });
    }
    let magic = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(DataError::IdxBadMagic { found: magic });
    }
    let elem_type = IdxType::from_code(bytes[2])?;
    let ndim = bytes[3] as usize;
    if ndim == 0 {
        return Err(DataError::IdxBadShape { dims: Vec::new() });
    }
    let header_len = 4 + 4 * ndim;
    if bytes.len() < header_len {
        return Err(DataError::Truncated {
            expected: header_len,
            found: bytes.len(),
        });
    }
    let dims: Vec<usize> = (0..ndim)
        .map(|i| {
            let o = 4 + 4 * i;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect();
    let count = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| DataError::IdxBadShape { dims: dims.clone() })?;
    let expected = count
        .checked_mul(elem_type.size())
        .ok_or_else(|| DataError::IdxBadShape { dims: dims.clone() })?;
    let payload = &bytes[header_len..];
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
    let size = elem_type.size();
    let values = payload
        .chunks_exact(size)
        .map(|c| match elem_type {
            IdxType::U8 => c[0] as f64,
            IdxType::I8 => c[0] as i8 as f64,
            IdxType::I16 => i16::from_be_bytes([c[0], c[1]]) as f64,
            IdxType::I32 => i32::from_be_bytes([c[0], c[1], c[2], c[3]]) as f64,
            IdxType::F32 => f32::from_be_bytes([c[0], c[1], c[2], c[3]]) as f64,
            IdxType::F64 => f64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        })
        .collect();
    Ok(IdxArray {
        elem_type,
        dims,
        values,
    })
}

/// Encodes an array as IDX bytes (uncompressed). Used by tests and for exporting data.
pub fn encode_idx(elem_type: IdxType, dims: &[usize], values: &[f64]) -> Result<Vec<u8>> {
    let count: usize = dims.iter().product();
    if dims.is_empty() || dims.len() > 255 || count != values.len() {
        return Err(DataError::IdxBadShape {
            dims: dims.to_vec(),
        });
    }
    let mut out = vec![0u8, 0u8, elem_type.code(), dims.len() as u8];
    for &d in dims {
        let d = u32::try_from(d).map_err(|_| DataError::IdxBadShape {
            dims: dims.to_vec(),
        })?;
        out.extend_from_slice(&d.to_be_bytes());
    }
    for &v in values {
        match elem_type {
            IdxType::U8 => out.push(v as u8),
            IdxType::I8 => out.push(v as i8 as u8),
            IdxType::I16 => out.extend_from_slice(&(v as i16).to_be_bytes()),
            IdxType::I32 => out.extend_from_slice(&(v as i32).to_be_bytes()),
            IdxType::F32 => out.extend_from_slice(&(v as f32).to_be_bytes()),
            IdxType::F64 => out.extend_from_slice(&v.to_be_bytes()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn small_u8() -> Vec<u8> {
        // 2 items of 2×3 pixels, hand-written header.
        let mut b = vec![0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3];
        b.extend(0u8..12);
        b
    }

    #[test]
    fn parses_hand_written_u8_file() {
        let a = parse_idx(&small_u8()).unwrap();
        assert_eq!(a.elem_type, IdxType::U8);
        assert_eq!(a.dims, vec![2, 2, 3]);
        assert_eq!(a.len(), 2);
        assert_eq!(a.item_size(), 6);
        assert_eq!(a.values[0], 0.0);
        assert_eq!(a.values[11], 11.0);
    }

    #[test]
    fn reads_gzipped_and_raw_files_identically() {
        let dir = std::env::temp_dir().join(format!("basis-idx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let raw_path = dir.join("a.idx");
        let gz_path = dir.join("a.idx.gz");
        std::fs::write(&raw_path, small_u8()).unwrap();
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(&small_u8()).unwrap();
        std::fs::write(&gz_path, enc.finish().unwrap()).unwrap();
        assert_eq!(read_idx(&raw_path).unwrap(), read_idx(&gz_path).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn big_endian_types_round_trip() {
        for (t, vals) in [
            (IdxType::I8, vec![-3.0, 4.0]),
            (IdxType::I16, vec![-300.0, 1234.0]),
            (IdxType::I32, vec![-70000.0, 5.0]),
            (IdxType::F32, vec![0.5, -1.25]),
            (IdxType::F64, vec![std::f64::consts::PI, -1e-300]),
        ] {
            let bytes = encode_idx(t, &[2], &vals).unwrap();
            assert_eq!(parse_idx(&bytes).unwrap().values, vals, "{t:?}");
        }
    }

    #[test]
    fn wrong_magic_is_a_typed_error() {
        let mut b = small_u8();
        b[0] = 0x50; // e.g. a PNG or text file
        assert!(matches!(parse_idx(&b), Err(DataError::IdxBadMagic { .. })));
        let mut b = small_u8();
        b[2] = 0x07;
        assert!(matches!(parse_idx(&b), Err(DataError::IdxUnknownType(7))));
    }

    #[test]
    fn truncated_files_are_typed_errors() {
        let b = small_u8();
        for cut in [0, 3, 7, 15, 16, 27] {
            let r = parse_idx(&b[..cut]);
            assert!(
                matches!(r, Err(DataError::Truncated { .. })),
                "cut at {cut}: {r:?}"
            );
        }
    }

    #[test]
    fn wrong_dimensions_are_typed_errors() {
        let mut b = small_u8();
        b[15] = 2; // announce 2×2×2 = 8 elements, 12 present
        assert!(matches!(
            parse_idx(&b),
            Err(DataError::TrailingBytes {
                expected: 8,
                found: 12
            })
        ));
        let mut b = small_u8();
        b[3] = 0; // zero dimensions
        assert!(matches!(parse_idx(&b), Err(DataError::IdxBadShape { .. })));
        // Dimensions whose product overflows usize.
        let b = vec![
            0, 0, 0x0E, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        ];
        assert!(matches!(parse_idx(&b), Err(DataError::IdxBadShape { .. })));
    }

    #[test]
    fn a_gzipped_idx_is_inflated_no_further_than_its_header_announces() {
        // A 2 × 2 u8 array followed by 64 MiB of zeros that gzip to a few kilobytes.
        let mut raw = encode_idx(IdxType::U8, &[2, 2], &[1.0, 2.0, 3.0, 4.0]).unwrap();
        raw.resize(raw.len() + (64 << 20), 0);
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut z, &raw).unwrap();
        let gz = z.finish().unwrap();
        assert!(gz.len() < 1 << 20);
        let dir = std::env::temp_dir().join(format!("basis-idx-bomb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("bomb.gz");
        std::fs::write(&p, gz).unwrap();
        assert!(matches!(
            read_idx(&p),
            Err(DataError::TrailingBytes {
                expected: 4,
                found: 5
            })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn corrupt_gzip_is_an_io_error_not_a_panic() {
        let dir = std::env::temp_dir().join(format!("basis-idx-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("bad.gz");
        std::fs::write(&p, [0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap();
        assert!(matches!(read_idx(&p), Err(DataError::Io { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = parse_idx(&bytes);
        }
    }
}
