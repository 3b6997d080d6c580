//! Atomic file writing: a result or checkpoint is either complete or absent.
//!
//! - [`write_atomic`] writes one file through a temporary sibling renamed into place; it
//!   refuses to replace anything but a regular file (a device, a FIFO, a directory), and removes
//!   the temporaries of earlier writers of the same file that were killed.
//! - [`StagedDir`] writes a whole directory as one unit: into a hidden sibling, renamed into
//!   place by [`StagedDir::commit`], so an interrupted overwrite never leaves two runs' files
//!   side by side.

use crate::error::{DataError, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// True unless process `pid` is known to have ended (Linux: no `/proc/PID`). Elsewhere every
/// process counts as alive, so nothing of a running writer is ever removed.
pub fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// The pid in `name` if it is `{prefix}{pid}{suffix}`.
fn pid_in(name: &str, prefix: &str, suffix: &str) -> Option<u32> {
    name.strip_prefix(prefix)?
        .strip_suffix(suffix)?
        .parse()
        .ok()
}

/// `Err` unless `path` is absent or a regular file (following a symbolic link): an output
/// named `/dev/null`, a FIFO or a directory is refused, not replaced by a regular file.
pub fn check_replaceable(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => crate::input::check_regular_file(path).map(|_| ()),
        _ => Ok(()),
    }
}

/// The directory `path` is in (`.` for a bare file name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes `bytes` to `path` atomically: to a temporary file in the same directory,
/// flushed to disk, then renamed over the destination. Parent directories are created. An
/// existing `path` that is not a regular file is refused ([`check_replaceable`]).
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let path = path.as_ref();
    check_replaceable(path)?;
    let dir = parent_of(path);
    std::fs::create_dir_all(&dir).map_err(|e| DataError::io(&dir, e))?;
    let name = path.file_name().ok_or_else(|| {
        DataError::InvalidParameter(format!("{} is not a file path", path.display()))
    })?;
    let name = name.to_string_lossy();
    // Temporaries of killed writers of this file.
    let prefix = format!(".{name}.");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if pid_in(&file, &prefix, ".tmp").is_some_and(|pid| !process_alive(pid)) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(DataError::io(path, e));
    }
    Ok(())
}

/// A directory written as one unit. Files go into a hidden sibling `.NAME.partial-PID`;
/// [`commit`](Self::commit) moves an existing `NAME` aside (`.NAME.previous-PID`), renames
/// the new one into place and removes the old one. Dropped without a commit, the partial
/// directory is removed.
///
/// A run killed at any point leaves either the old directory or the new one under `NAME`
/// (or, killed between the two renames, the old one beside it, which the next
/// [`StagedDir::begin`] puts back), never a mixture; the next `begin` also removes what
/// killed runs left.
#[derive(Debug)]
pub struct StagedDir {
    target: PathBuf,
    staging: PathBuf,
    /// Where [`commit`](Self::commit) moves an existing target aside.
    previous: PathBuf,
    committed: bool,
}

impl StagedDir {
    /// Starts writing `target`. An existing `target` must be a directory holding only entries
    /// named in `own` (what the writer itself puts there), so no other file is ever replaced.
    pub fn begin(target: &Path, own: &[&str]) -> Result<Self> {
        let parent = parent_of(target);
        let name = target
            .file_name()
            .ok_or_else(|| {
                DataError::InvalidParameter(format!("{} is not a directory path", target.display()))
            })?
            .to_string_lossy()
            .into_owned();
        std::fs::create_dir_all(&parent).map_err(|e| DataError::io(&parent, e))?;
        Self::recover(&parent, &name, target)?;
        if let Ok(meta) = std::fs::metadata(target) {
            if !meta.is_dir() {
                return Err(DataError::InvalidParameter(format!(
                    "{} exists and is not a directory",
                    target.display()
                )));
            }
            let entries = std::fs::read_dir(target).map_err(|e| DataError::io(target, e))?;
            let mut foreign: Vec<String> = entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|f| !own.contains(&f.as_str()))
                .collect();
            if !foreign.is_empty() {
                foreign.sort();
                return Err(DataError::InvalidParameter(format!(
                    "{} holds files this command did not write ({}); it replaces the whole \
                     directory, so give a new or empty one",
                    target.display(),
                    foreign.join(", ")
                )));
            }
        }
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| DataError::io(&staging, e))?;
        }
        std::fs::create_dir(&staging).map_err(|e| DataError::io(&staging, e))?;
        Ok(Self {
            target: target.to_path_buf(),
            previous: parent.join(format!(".{name}.previous-{}", std::process::id())),
            staging,
            committed: false,
        })
    }

    /// What killed runs left beside `target`: partial directories are removed, and a previous
    /// directory moved aside is put back when `target` is missing (else removed).
    fn recover(parent: &Path, name: &str, target: &Path) -> Result<()> {
        let Ok(entries) = std::fs::read_dir(parent) else {
            return Ok(());
        };
        let (partial, previous) = (format!(".{name}.partial-"), format!(".{name}.previous-"));
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if pid_in(&file, &partial, "").is_some_and(|pid| !process_alive(pid)) {
                let _ = std::fs::remove_dir_all(&path);
            } else if pid_in(&file, &previous, "").is_some_and(|pid| !process_alive(pid)) {
                if target.exists() {
                    let _ = std::fs::remove_dir_all(&path);
                } else {
                    std::fs::rename(&path, target).map_err(|e| DataError::io(target, e))?;
                }
            }
        }
        Ok(())
    }

    /// Where to write the files (the hidden partial directory).
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Puts the written directory in place of the target (see the type's description).
    pub fn commit(mut self) -> Result<PathBuf> {
        let had_old = self.target.exists();
        if had_old {
            std::fs::rename(&self.target, &self.previous)
                .map_err(|e| DataError::io(&self.target, e))?;
        }
        std::fs::rename(&self.staging, &self.target).map_err(|e| DataError::io(&self.target, e))?;
        self.committed = true;
        if let Ok(d) = std::fs::File::open(parent_of(&self.target)) {
            let _ = d.sync_all();
        }
        if had_old {
            let _ = std::fs::remove_dir_all(&self.previous);
        }
        Ok(self.target.clone())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_without_leaving_temporaries() {
        let dir = std::env::temp_dir().join(format!("basis-atomic-{}", std::process::id()));
        let p = dir.join("sub/out.json");
        write_atomic(&p, b"first").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        let entries: Vec<_> = std::fs::read_dir(dir.join("sub")).unwrap().collect();
        assert_eq!(entries.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("basis-io-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A pid no process has: above Linux's pid_max limit (2^22).
    const DEAD: u32 = 4_194_305;

    #[test]
    fn a_device_a_fifo_or_a_directory_is_not_replaced() {
        let dir = scratch("special");
        // Through a link: a regression run as root must not replace the machine's /dev/null.
        let link = dir.join("null");
        std::os::unix::fs::symlink("/dev/null", &link).unwrap();
        let e = write_atomic(&link, b"x").unwrap_err().to_string();
        assert!(e.contains("character device"), "{e}");
        let e = write_atomic(&dir, b"x").unwrap_err().to_string();
        assert!(e.contains("directory"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn temporaries_of_killed_writers_are_removed_and_live_ones_kept() {
        let dir = scratch("stale");
        let dead = dir.join(format!(".out.json.{DEAD}.tmp"));
        // pid 1 (init) is always running: its temporary may still be written.
        let live = dir.join(".out.json.1.tmp");
        let other = dir.join(format!(".other.json.{DEAD}.tmp"));
        for p in [&dead, &live, &other] {
            std::fs::write(p, b"half").unwrap();
        }
        write_atomic(dir.join("out.json"), b"whole").unwrap();
        assert!(!dead.exists());
        assert!(live.exists(), "a running writer's temporary is kept");
        assert!(
            other.exists(),
            "another file's temporary is not this writer's to remove"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_staged_directory_replaces_the_old_one_whole_or_not_at_all() {
        let root = scratch("staged");
        let out = root.join("fit");
        let s = StagedDir::begin(&out, &["a", "b"]).unwrap();
        std::fs::write(s.path().join("a"), b"1").unwrap();
        std::fs::write(s.path().join("b"), b"1").unwrap();
        s.commit().unwrap();
        assert_eq!(names(&out), ["a", "b"]);
        // A second run writes only `a` and is dropped before committing: the first stays.
        let s = StagedDir::begin(&out, &["a", "b"]).unwrap();
        std::fs::write(s.path().join("a"), b"2").unwrap();
        drop(s);
        assert_eq!(std::fs::read(out.join("a")).unwrap(), b"1");
        assert_eq!(names(&root), ["fit"]);
        // Committed, it replaces the whole directory: no `b` of the first run is left.
        let s = StagedDir::begin(&out, &["a", "b"]).unwrap();
        std::fs::write(s.path().join("a"), b"3").unwrap();
        s.commit().unwrap();
        assert_eq!(names(&out), ["a"]);
        assert_eq!(names(&root), ["fit"]);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn what_a_killed_run_left_is_cleaned_or_put_back() {
        let root = scratch("killed");
        let out = root.join("fit");
        // Killed while writing: a partial directory beside a complete old one.
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("a"), b"old").unwrap();
        let partial = root.join(format!(".fit.partial-{DEAD}"));
        std::fs::create_dir_all(&partial).unwrap();
        drop(StagedDir::begin(&out, &["a"]).unwrap());
        assert_eq!(names(&root), ["fit"]);
        // Killed between the two renames: the old directory aside, none in place.
        let previous = root.join(format!(".fit.previous-{DEAD}"));
        std::fs::rename(&out, &previous).unwrap();
        drop(StagedDir::begin(&out, &["a"]).unwrap());
        assert_eq!(names(&root), ["fit"]);
        assert_eq!(std::fs::read(out.join("a")).unwrap(), b"old");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_directory_with_other_files_is_not_taken_over() {
        let root = scratch("foreign");
        let out = root.join("mine");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("thesis.tex"), b"precious").unwrap();
        let e = StagedDir::begin(&out, &["a"]).unwrap_err().to_string();
        assert!(e.contains("thesis.tex"), "{e}");
        assert_eq!(names(&root), ["mine"]);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
