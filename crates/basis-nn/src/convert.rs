//! nalgebra ↔ tensor conversion. Tensors never leave this crate.

use crate::error::{NnError, Result};
use nalgebra::DMatrix;
use tch::{Kind, Tensor};

/// An `n × d` matrix as a row-major `f32` tensor of shape `[n, d]`.
pub fn matrix_to_tensor(m: &DMatrix<f64>) -> Tensor {
    let (n, d) = m.shape();
    // nalgebra stores columns contiguously: read them in order (a row-major walk strides
    // through memory and costs ~10× on a 2048 × 2048 kernel), let libtorch transpose.
    let flat: Vec<f32> = m.iter().map(|&v| v as f32).collect();
    Tensor::from_slice(&flat)
        .view([d as i64, n as i64])
        .tr()
        .contiguous()
}

/// A 2-D tensor as an `n × d` matrix.
pub fn tensor_to_matrix(t: &Tensor) -> Result<DMatrix<f64>> {
    let size = t.size();
    if size.len() != 2 {
        return Err(NnError::Shape(format!(
            "expected a 2-D tensor, got shape {size:?}"
        )));
    }
    let (n, d) = (size[0] as usize, size[1] as usize);
    let flat: Vec<f32> = Vec::try_from(t.to_kind(Kind::Float).contiguous().view([-1]))?;
    Ok(DMatrix::from_row_iterator(
        n,
        d,
        flat.into_iter().map(f64::from),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_layout() {
        let m = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let t = matrix_to_tensor(&m);
        assert_eq!(t.size(), vec![2, 3]);
        assert_eq!(t.double_value(&[1, 0]), 4.0);
        assert_eq!(tensor_to_matrix(&t).unwrap(), m);
        assert!(tensor_to_matrix(&Tensor::from_slice(&[1.0f32])).is_err());
    }
}
