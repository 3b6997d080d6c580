//! Atomic checkpoints: named tensors in safetensors plus a JSON description, in one directory.
//!
//! A checkpoint directory holds `checkpoint.json` and the weight file it names. Writing
//! goes in three steps:
//! 1. the tensors go to a fresh `weights-*.safetensors` (temporary name, then renamed);
//! 2. `checkpoint.json` is replaced atomically: this is the commit point;
//! 3. weight files no longer named are removed.
//!
//! A write interrupted anywhere leaves `checkpoint.json` naming a complete weight file: the
//! previous checkpoint until step 2 has happened, the new one after.

use crate::error::{NnError, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tch::Tensor;

/// The file that commits a checkpoint.
pub const CHECKPOINT_JSON: &str = "checkpoint.json";
const FORMAT: &str = "basis-checkpoint/1";

#[derive(Serialize, Deserialize)]
struct Envelope<M> {
    format: String,
    weights: String,
    meta: M,
}

fn io_err(path: &Path, e: std::io::Error) -> NnError {
    basis_data::DataError::Io {
        path: path.to_path_buf(),
        source: e,
    }
    .into()
}

/// Writes `tensors` and `meta` as a checkpoint in `dir` (created if needed), atomically.
/// Returns the weight file's path.
pub fn write_checkpoint<M: Serialize>(
    dir: impl AsRef<Path>,
    tensors: &[(String, Tensor)],
    meta: &M,
) -> Result<PathBuf> {
    write_checkpoint_inner(dir.as_ref(), tensors, meta, false)
}

fn write_checkpoint_inner<M: Serialize>(
    dir: &Path,
    tensors: &[(String, Tensor)],
    meta: &M,
    crash_before_commit: bool,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let name = format!("weights-{stamp}-{}.safetensors", std::process::id());
    // The temporary name keeps the extension: tch picks the format from it.
    let tmp = dir.join(format!(".tmp-{name}"));
    let weights = dir.join(&name);
    let named: Vec<(&str, &Tensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    if let Err(e) = Tensor::write_safetensors(&named, &tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, &weights).map_err(|e| io_err(&weights, e))?;
    if crash_before_commit {
        return Err(NnError::Checkpoint("simulated crash before commit".into()));
    }
    let envelope = Envelope {
        format: FORMAT.into(),
        weights: name.clone(),
        meta,
    };
    basis_data::io::write_atomic(
        dir.join(CHECKPOINT_JSON),
        serde_json::to_string_pretty(&envelope)?.as_bytes(),
    )?;
    // Committed: older weight files and stray temporaries are garbage now.
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let stale = file != name
                && file.ends_with(".safetensors")
                && (file.starts_with("weights-") || file.starts_with(".tmp-weights-"));
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    Ok(weights)
}

/// Reads a checkpoint written by [`write_checkpoint`]: the tensors by name and the description.
pub fn read_checkpoint<M: DeserializeOwned>(
    dir: impl AsRef<Path>,
) -> Result<(BTreeMap<String, Tensor>, M)> {
    let dir = dir.as_ref();
    let json = dir.join(CHECKPOINT_JSON);
    let text = std::fs::read_to_string(&json).map_err(|e| io_err(&json, e))?;
    let envelope: Envelope<M> = serde_json::from_str(&text)
        .map_err(|e| NnError::Checkpoint(format!("{}: {e}", json.display())))?;
    if envelope.format != FORMAT {
        return Err(NnError::Checkpoint(format!(
            "{}: unknown format {:?} (expected {FORMAT:?})",
            json.display(),
            envelope.format
        )));
    }
    if envelope.weights.contains('/') || envelope.weights.contains('\\') {
        return Err(NnError::Checkpoint(format!(
            "{}: weight file {:?} is not a plain file name",
            json.display(),
            envelope.weights
        )));
    }
    let weights = dir.join(&envelope.weights);
    let tensors = Tensor::read_safetensors(&weights)
        .map_err(|e| NnError::Checkpoint(format!("{}: {e}", weights.display())))?;
    Ok((tensors.into_iter().collect(), envelope.meta))
}

/// Copies the tensors named `prefix + NAME` into the variables `NAME` of `vs`, checking that
/// every variable is present with its shape.
pub fn load_variables(
    vs: &mut tch::nn::VarStore,
    tensors: &BTreeMap<String, Tensor>,
    prefix: &str,
) -> Result<()> {
    let _guard = tch::no_grad_guard();
    for (name, mut var) in vs.variables() {
        let key = format!("{prefix}{name}");
        let src = tensors
            .get(&key)
            .ok_or_else(|| NnError::Checkpoint(format!("missing tensor {key}")))?;
        if src.size() != var.size() {
            return Err(NnError::Checkpoint(format!(
                "tensor {key} has shape {:?}, expected {:?}",
                src.size(),
                var.size()
            )));
        }
        if src.isfinite().all().int64_value(&[]) == 0 {
            return Err(NnError::Checkpoint(format!(
                "tensor {key} holds NaN or infinite weights"
            )));
        }
        var.copy_(&src.to_kind(var.kind()));
    }
    Ok(())
}

/// The variables of `vs` as named tensors with `prefix`, sorted by name.
pub fn named_variables(vs: &tch::nn::VarStore, prefix: &str) -> Vec<(String, Tensor)> {
    let sorted: BTreeMap<String, Tensor> = vs.variables().into_iter().collect();
    sorted
        .into_iter()
        .map(|(n, t)| (format!("{prefix}{n}"), t))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("basis-ckpt-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn round_trip_is_exact_and_old_weights_are_removed() {
        let dir = scratch("rt");
        let a = Tensor::from_slice(&[0.1f32, 1.0 / 3.0, -7.25e-9]);
        write_checkpoint(&dir, &[("a".into(), a.shallow_clone())], &"first").unwrap();
        let b = &a * 2.0;
        write_checkpoint(&dir, &[("a".into(), b.shallow_clone())], &"second").unwrap();
        let (t, meta): (_, String) = read_checkpoint(&dir).unwrap();
        assert_eq!(meta, "second");
        assert!(t["a"].equal(&b));
        let weights = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".safetensors")
            })
            .count();
        assert_eq!(weights, 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn interrupted_write_leaves_the_previous_checkpoint_loadable() {
        let dir = scratch("crash");
        let a = Tensor::from_slice(&[1.0f32, 2.0]);
        write_checkpoint(&dir, &[("a".into(), a.shallow_clone())], &1u32).unwrap();
        // A crash after the new weights are on disk but before the commit...
        let b = Tensor::from_slice(&[5.0f32, 6.0]);
        assert!(write_checkpoint_inner(&dir, &[("a".into(), b)], &2u32, true).is_err());
        // ... and a half-written temporary from a crash during step 1 and during step 2.
        std::fs::write(dir.join(".tmp-weights-9-9.safetensors"), b"\x10\x00garbage").unwrap();
        std::fs::write(dir.join(format!(".{CHECKPOINT_JSON}.9.tmp")), b"{\"form").unwrap();
        let (t, meta): (_, u32) = read_checkpoint(&dir).unwrap();
        assert_eq!(meta, 1);
        assert!(t["a"].equal(&a));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn corrupt_or_missing_checkpoints_are_typed_errors() {
        let dir = scratch("bad");
        assert!(matches!(
            read_checkpoint::<u32>(&dir),
            Err(NnError::Data(_))
        ));
        write_checkpoint(&dir, &[("a".into(), Tensor::from_slice(&[1.0f32]))], &1u32).unwrap();
        let weights = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "safetensors"))
            .unwrap();
        std::fs::write(&weights, b"truncated").unwrap();
        assert!(matches!(
            read_checkpoint::<u32>(&dir),
            Err(NnError::Checkpoint(_))
        ));
        std::fs::write(dir.join(CHECKPOINT_JSON), b"{not json").unwrap();
        assert!(matches!(
            read_checkpoint::<u32>(&dir),
            Err(NnError::Checkpoint(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
