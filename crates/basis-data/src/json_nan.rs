//! Serde for `f64` fields that may be NaN: JSON has no NaN or infinity, and serde_json writes
//! them as `null`. With `#[serde(with = "basis_data::json_nan")]` a non-finite value is written
//! as `null` and `null` is read back as NaN, so a training log with skipped batches (whose loss
//! is NaN) round-trips. An infinite value comes back as NaN.

use serde::{Deserialize, Deserializer, Serializer};

/// Writes a finite value as a number, anything else as `null`.
pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_f64(*v)
    } else {
        s.serialize_none()
    }
}

/// Reads a number, or `null` as NaN.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}
