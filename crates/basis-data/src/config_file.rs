//! A user's JSON configuration, read strictly: from a regular file only (a FIFO or a device
//! would block or never end), and with every key known. A misspelt key (`anchor_strategi`)
//! would otherwise be ignored and the run would train with the default, recording the default:
//! here it is an error naming the key's path and the nearest valid key.
//!
//! Unknown keys are found with [`serde_ignored`] rather than `#[serde(deny_unknown_fields)]` on
//! every configuration struct: one check at the one place configurations are read covers every
//! type, including ones a downstream crate defines.

use crate::error::{DataError, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::Path;

/// The largest configuration file read (a configuration is a few kilobytes; a larger file is
/// not one).
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// The text of a configuration or record file: a regular file of at most [`MAX_CONFIG_BYTES`].
pub fn read_text(path: &Path) -> Result<String> {
    let len = crate::input::check_regular_file(path)?.len();
    if len > MAX_CONFIG_BYTES {
        return Err(DataError::Config {
            path: path.to_path_buf(),
            message: format!("{len} bytes is too large for a configuration"),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    String::from_utf8(bytes).map_err(|_| DataError::Config {
        path: path.to_path_buf(),
        message: "not UTF-8 text".into(),
    })
}

/// Reads `path` as a `T` ([`read_text`], then [`parse`]).
pub fn read<T: DeserializeOwned + Serialize>(path: &Path) -> Result<T> {
    parse(&read_text(path)?, path)
}

/// Parses `text` (read from `origin`) as a `T`, refusing any key `T` does not have.
pub fn parse<T: DeserializeOwned + Serialize>(text: &str, origin: &Path) -> Result<T> {
    let error = |message: String| DataError::Config {
        path: origin.to_path_buf(),
        message,
    };
    let mut unknown: Vec<Vec<Segment>> = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed: std::result::Result<T, _> =
        serde_ignored::deserialize(&mut de, |p| unknown.push(segments(&p)));
    let value = match parsed {
        Ok(v) => v,
        // A misspelt required key fails as the missing one: name the unknown key first.
        Err(e) => {
            let Some(path) = unknown.first() else {
                return Err(error(e.to_string()));
            };
            let text = e.to_string();
            let mut message = unknown_key_message(path, None);
            match text
                .split_once("missing field `")
                .and_then(|(_, rest)| rest.split_once('`'))
            {
                Some((missing, _)) => message.push_str(&format!("; did you mean `{missing}`?")),
                None => message.push_str(&format!(" ({text})")),
            }
            return Err(error(message));
        }
    };
    de.end().map_err(|e| error(e.to_string()))?;
    if let Some(path) = unknown.first() {
        let valid = serde_json::to_value(&value).ok();
        return Err(error(unknown_key_message(path, valid.as_ref())));
    }
    Ok(value)
}

/// One step of a key's path.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn segments(p: &serde_ignored::Path) -> Vec<Segment> {
    use serde_ignored::Path as P;
    let mut out = match p {
        P::Root => return Vec::new(),
        P::Seq { parent, .. }
        | P::Map { parent, .. }
        | P::Some { parent }
        | P::NewtypeStruct { parent }
        | P::NewtypeVariant { parent } => segments(parent),
    };
    match p {
        P::Seq { index, .. } => out.push(Segment::Index(*index)),
        P::Map { key, .. } => out.push(Segment::Key(key.clone())),
        _ => {}
    }
    out
}

fn dotted(path: &[Segment]) -> String {
    path.iter()
        .map(|s| match s {
            Segment::Key(k) => k.clone(),
            Segment::Index(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// "unknown key `basis.anchor_strategi`; did you mean `anchor_strategy`?", the suggestion
/// taken from the keys the parsed value has at the same place.
fn unknown_key_message(path: &[Segment], valid: Option<&serde_json::Value>) -> String {
    let mut text = format!("unknown key `{}`", dotted(path));
    let Some((Segment::Key(key), parent)) = path.split_last() else {
        return text;
    };
    let mut node = valid;
    for s in parent {
        node = match (node, s) {
            (Some(v), Segment::Key(k)) => v.get(k),
            (Some(v), Segment::Index(i)) => v.get(i),
            (None, _) => None,
        };
    }
    let Some(serde_json::Value::Object(fields)) = node else {
        return text;
    };
    let nearest = fields
        .keys()
        .map(|k| (strsim::normalized_damerau_levenshtein(key, k), k))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match nearest {
        Some((score, k)) if score >= 0.5 => text.push_str(&format!("; did you mean `{k}`?")),
        _ => {
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort();
            let keys: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
            text.push_str(&format!("; valid keys here: {}", keys.join(", ")));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct Inner {
        neighbours: usize,
        scale: f64,
    }

    #[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct Outer {
        anchor_strategy: String,
        iterations: usize,
        graph: Inner,
        layers: Vec<Inner>,
    }

    fn origin() -> &'static Path {
        Path::new("c.json")
    }

    #[test]
    fn a_known_configuration_parses_as_serde_json_would() {
        let text = r#"{"iterations": 3, "graph": {"scale": 2.5}, "layers": [{"neighbours": 4}]}"#;
        let strict: Outer = parse(text, origin()).unwrap();
        let lenient: Outer = serde_json::from_str(text).unwrap();
        assert_eq!(strict, lenient);
        assert_eq!(strict.layers[0].neighbours, 4);
    }

    #[test]
    fn a_misspelt_key_is_refused_with_its_path_and_the_nearest_valid_key() {
        let e = parse::<Outer>(r#"{"anchor_strategi": "uniform"}"#, origin())
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown key `anchor_strategi`"), "{e}");
        assert!(e.contains("did you mean `anchor_strategy`?"), "{e}");
        let e = parse::<Outer>(r#"{"graph": {"neighbors": 3}}"#, origin())
            .unwrap_err()
            .to_string();
        assert!(e.contains("`graph.neighbors`"), "{e}");
        assert!(e.contains("did you mean `neighbours`?"), "{e}");
        let e = parse::<Outer>(r#"{"layers": [{}, {"sclae": 1}]}"#, origin())
            .unwrap_err()
            .to_string();
        assert!(e.contains("`layers.1.sclae`"), "{e}");
        assert!(e.contains("did you mean `scale`?"), "{e}");
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct Required {
        anchor_strategy: String,
    }

    #[test]
    fn a_misspelt_required_key_is_named_not_reported_as_missing() {
        let e = parse::<Required>(r#"{"anchor_strategi": "uniform"}"#, origin())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown key `anchor_strategi`; did you mean `anchor_strategy`?"),
            "{e}"
        );
    }

    #[test]
    fn a_key_like_nothing_lists_the_valid_keys() {
        let e = parse::<Outer>(r#"{"zzzzzzzzzz": 1}"#, origin())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("valid keys here: `anchor_strategy`, `graph`, `iterations`, `layers`"),
            "{e}"
        );
    }

    #[test]
    fn trailing_text_and_wrong_types_are_errors_naming_the_file() {
        for text in [r#"{"iterations": 3} x"#, r#"{"iterations": "3"}"#, ""] {
            let e = parse::<Outer>(text, origin()).unwrap_err().to_string();
            assert!(e.starts_with("c.json: "), "{e}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_or_a_device_is_refused_without_reading_it() {
        let dir = std::env::temp_dir().join(format!("basis-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        // Opening a FIFO for reading blocks until a writer comes: this returns at once.
        let e = read::<Outer>(&fifo).unwrap_err().to_string();
        assert!(e.contains("named pipe"), "{e}");
        let e = read::<Outer>(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("character device"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
