//! Provisioning of a CPU-only libtorch 2.13.0 (for tch 0.26) and of Fashion-MNIST.
//!
//! libtorch is assembled from PyPI wheels (the only registry this project may
//! download from): `torch==2.13.0` carries `libtorch_cpu.so`, `libc10.so`,
//! `libgomp.so.1` and the headers; `libtorch_cpu.so` also links
//! `libcudart.so.13` and `libcupti.so.13`, taken from the `nvidia-cuda-runtime`
//! and `nvidia-cuda-cupti` wheels. The wheel's `libtorch.so` needs
//! `libtorch_cuda.so`, so an empty `libtorch.so` is compiled in its place
//! (the CPU symbols all live in `libtorch_cpu.so`).
//!
//! Everything is built in a temporary directory next to the destination and
//! renamed into place at the end, so an interrupted run never leaves a
//! half-built libtorch behind.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The libtorch version tch 0.26 is built against.
pub const TORCH_VERSION: &str = "2.13.0";
/// Environment variable: where the assembled libtorch lives (overrides the per-user cache).
pub const LIBTORCH_DIR_ENV: &str = "BASIS_LIBTORCH_DIR";
/// Debian's Fashion-MNIST directory.
pub const FASHION_DIR: &str = "/usr/share/datasets/fashion-mnist";
/// Environment variable overriding the Fashion-MNIST directory (shared with `basis-data`).
pub const FASHION_DIR_ENV: &str = "BASIS_FASHION_MNIST_DIR";

const LIB_FILES: [&str; 6] = [
    "libtorch_cpu.so",
    "libc10.so",
    "libgomp.so.1",
    "libcudart.so.13",
    "libcupti.so.13",
    "libtorch.so",
];

/// The directory of the assembled libtorch: `$BASIS_LIBTORCH_DIR`, else
/// `$XDG_CACHE_HOME/basis-toolkit/libtorch-2.13.0-cpu`, else `~/.cache/...`.
pub fn libtorch_dir() -> Result<PathBuf, String> {
    cache_dir(LIBTORCH_DIR_ENV, &format!("libtorch-{TORCH_VERSION}-cpu"))
}

/// `$env` when set, else `$XDG_CACHE_HOME/basis-toolkit/<name>` or `~/.cache/basis-toolkit/<name>`.
fn cache_dir(env: &str, name: &str) -> Result<PathBuf, String> {
    if let Some(d) = std::env::var_os(env).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    let cache =
        match std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
            Some(d) => PathBuf::from(d),
            None => {
                let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).ok_or_else(|| {
                format!("neither XDG_CACHE_HOME nor HOME is set; set {env} to choose the directory")
            })?;
                PathBuf::from(home).join(".cache")
            }
        };
    Ok(cache.join("basis-toolkit").join(name))
}

/// Runs a small Python program (`script`) with `args`; its stdout on success.
fn run_python(py: &str, script: &str, args: &[&Path], what: &str) -> Result<String, String> {
    let output = Command::new(py)
        .args(["-c", script])
        .args(args)
        .output()
        .map_err(|e| format!("could not run {py}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// True when `dir` holds a complete libtorch of the right version.
pub fn libtorch_is_complete(dir: &Path) -> bool {
    let version_ok = std::fs::read_to_string(dir.join("build-version"))
        .map(|v| v.trim() == TORCH_VERSION)
        .unwrap_or(false);
    version_ok
        && dir
            .join("include/torch/csrc/api/include/torch/torch.h")
            .is_file()
        && LIB_FILES.iter().all(|f| dir.join("lib").join(f).is_file())
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("could not start {what} ({:?}): {e}", cmd.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

fn python() -> Result<String, String> {
    for cand in ["python3", "python"] {
        let ok = Command::new(cand)
            .args(["-m", "pip", "--version"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            return Ok(cand.to_string());
        }
    }
    Err(
        "libtorch is assembled from PyPI wheels, which needs Python 3 with pip. \
         Install it (Debian: `apt-get install python3-pip`), or point BASIS_LIBTORCH_DIR at an \
         existing CPU libtorch 2.13.0 directory."
            .into(),
    )
}

/// Extracts from the wheels into `dest`; written as a small Python program because
/// Python is already required by pip and its `zipfile` reads wheels natively.
const EXTRACT_PY: &str = r#"
import glob, os, shutil, sys, zipfile
wheels, dest = sys.argv[1], sys.argv[2]
torch = glob.glob(os.path.join(wheels, "torch-*.whl"))
rt = glob.glob(os.path.join(wheels, "nvidia_cuda_runtime*.whl"))
cupti = glob.glob(os.path.join(wheels, "nvidia_cuda_cupti*.whl"))
if not (torch and rt and cupti):
    sys.exit("missing wheels in %s: %s" % (wheels, os.listdir(wheels)))
lib = os.path.join(dest, "lib")
os.makedirs(lib, exist_ok=True)
version = None
with zipfile.ZipFile(torch[0]) as z:
    for n in z.namelist():
        if n.startswith(("torch/include/", "torch/share/")) and not n.endswith("/"):
            out = os.path.join(dest, n[len("torch/"):])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(n) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst)
    for name in ("libtorch_cpu.so", "libc10.so", "libgomp.so.1"):
        with z.open("torch/lib/" + name) as src, open(os.path.join(lib, name), "wb") as dst:
            shutil.copyfileobj(src, dst)
    for line in z.read("torch/version.py").decode().splitlines():
        if line.startswith("__version__"):
            version = line.split("=", 1)[1].strip().strip("'\"")
for wheel, name in ((rt[0], "libcudart.so.13"), (cupti[0], "libcupti.so.13")):
    with zipfile.ZipFile(wheel) as z:
        member = [n for n in z.namelist() if n.endswith("/lib/" + name)]
        if not member:
            sys.exit("%s not found in %s" % (name, wheel))
        with z.open(member[0]) as src, open(os.path.join(lib, name), "wb") as dst:
            shutil.copyfileobj(src, dst)
print(version)
"#;

/// Assembles libtorch into `dir` unless it is already complete. Returns true when work was done.
pub fn ensure_libtorch(dir: &Path, force: bool) -> Result<bool, String> {
    if !force && libtorch_is_complete(dir) {
        return Ok(false);
    }
    if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")) {
        return Err(
            "automatic libtorch provisioning supports Linux x86_64 only; \
                    set BASIS_LIBTORCH_DIR (or LIBTORCH) to a libtorch 2.13.0 directory"
                .into(),
        );
    }
    let py = python()?;
    let parent = dir.parent().ok_or("libtorch directory has no parent")?;
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let name = dir
        .file_name()
        .ok_or("bad libtorch directory")?
        .to_string_lossy()
        .to_string();
    // Leftovers of interrupted runs.
    if let Ok(entries) = std::fs::read_dir(parent) {
        for e in entries.flatten() {
            if e.file_name()
                .to_string_lossy()
                .starts_with(&format!(".{name}.partial-"))
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let result = assemble(&py, &tmp);
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let built = tmp.join("libtorch");
    if dir.exists() {
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        std::fs::rename(dir, &old)
            .map_err(|e| format!("cannot move aside {}: {e}", dir.display()))?;
        let _ = std::fs::remove_dir_all(&old);
    }
    std::fs::rename(&built, dir)
        .map_err(|e| format!("cannot move {} into place: {e}", built.display()))?;
    let _ = std::fs::remove_dir_all(&tmp);
    if !libtorch_is_complete(dir) {
        return Err(format!("{} is incomplete after assembly", dir.display()));
    }
    Ok(true)
}

fn assemble(py: &str, tmp: &Path) -> Result<(), String> {
    let wheels = tmp.join("wheels");
    let out = tmp.join("libtorch");
    std::fs::create_dir_all(&wheels)
        .map_err(|e| format!("cannot create {}: {e}", wheels.display()))?;
    let t = Instant::now();
    eprintln!(
        "[setup] downloading torch=={TORCH_VERSION} (~530 MB) and the CUDA runtime stubs from PyPI ..."
    );
    run(
        Command::new(py)
            .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--progress-bar", "off", "-d"])
            .arg(&wheels)
            .args([
                &format!("torch=={TORCH_VERSION}"),
                "nvidia-cuda-runtime==13.0.*",
                "nvidia-cuda-cupti==13.0.*",
            ]),
        "pip download",
    )
    .map_err(|e| {
        format!("{e}. The wheels come from PyPI: check the network or the pip index configuration (PIP_INDEX_URL), then run `cargo xtask setup` again")
    })?;
    eprintln!(
        "[setup] downloaded in {:.0} s; extracting ...",
        t.elapsed().as_secs_f64()
    );
    let version = run_python(py, EXTRACT_PY, &[&wheels, &out], "extracting the wheels")?;
    if version.split('+').next() != Some(TORCH_VERSION) {
        return Err(format!(
            "the torch wheel has version {version:?}, expected {TORCH_VERSION}"
        ));
    }
    // A CPU-only libtorch.so: an empty shared object (the wheel's copy needs libtorch_cuda.so).
    let empty_c = tmp.join("empty.c");
    std::fs::write(
        &empty_c,
        "/* CPU-only libtorch.so placeholder: all symbols live in libtorch_cpu.so */\n",
    )
    .map_err(|e| e.to_string())?;
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    run(
        Command::new(&cc)
            .args(["-shared", "-fPIC", "-Wl,-soname,libtorch.so", "-o"])
            .arg(out.join("lib/libtorch.so"))
            .arg(&empty_c),
        "building the empty libtorch.so with a C compiler (install gcc)",
    )?;
    std::fs::write(out.join("build-version"), format!("{TORCH_VERSION}\n"))
        .map_err(|e| e.to_string())?;
    std::fs::remove_dir_all(&wheels).map_err(|e| e.to_string())?;
    eprintln!(
        "[setup] libtorch assembled in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Points `<repo>/.libtorch` (read by `.cargo/config.toml`) at `dir`.
pub fn link_into_repo(repo: &Path, dir: &Path) -> Result<(), String> {
    let link = repo.join(".libtorch");
    if std::fs::read_link(&link).is_ok_and(|current| current == dir) {
        return Ok(());
    }
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(&link)
            .map_err(|e| format!("cannot replace {}: {e}", link.display()))?;
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir, &link)
        .map_err(|e| format!("cannot create {}: {e}", link.display()))?;
    #[cfg(not(unix))]
    return Err("symlinking libtorch is only implemented on unix; set LIBTORCH yourself".into());
    #[cfg(unix)]
    Ok(())
}

/// The directory holding Fashion-MNIST, when all four files are present.
pub fn fashion_dir() -> PathBuf {
    std::env::var_os(FASHION_DIR_ENV)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(FASHION_DIR))
}

/// True when the four Fashion-MNIST IDX files are present.
pub fn fashion_is_present() -> bool {
    let d = fashion_dir();
    [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ]
    .iter()
    .all(|f| d.join(format!("{f}.gz")).is_file() || d.join(f).is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Installs Debian's `dataset-fashion-mnist` when missing. Returns true when work was done.
pub fn ensure_fashion_mnist() -> Result<bool, String> {
    if fashion_is_present() {
        return Ok(false);
    }
    let cmd = "apt-get update && apt-get install -y dataset-fashion-mnist";
    if !is_root() {
        return Err(format!(
            "Fashion-MNIST is missing from {}. Install it with:\n    sudo sh -c '{cmd}'\n\
             or set {FASHION_DIR_ENV} to a directory holding the four IDX files.",
            fashion_dir().display()
        ));
    }
    eprintln!("[setup] installing Debian's dataset-fashion-mnist ...");
    run(
        Command::new("apt-get").args(["update", "-qq"]),
        "apt-get update",
    )?;
    run(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "dataset-fashion-mnist"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
        "apt-get install dataset-fashion-mnist",
    )?;
    if !fashion_is_present() {
        return Err(format!(
            "dataset-fashion-mnist installed but {} lacks the IDX files",
            fashion_dir().display()
        ));
    }
    Ok(true)
}

/// The stardist release whose wheel ships the 2-D nuclei image and its mask.
pub const STARDIST_VERSION: &str = "0.9.2";
/// Environment variable overriding the nuclei directory (shared with `basis-segment`).
pub const NUCLEI_DIR_ENV: &str = "BASIS_NUCLEI_DIR";
const NUCLEI_FILES: [&str; 2] = ["img2d.tif", "mask2d.tif"];

/// The directory of the nuclei image: `$BASIS_NUCLEI_DIR`, else the per-user cache
/// `…/basis-toolkit/stardist-0.9.2-nuclei` (next to libtorch).
pub fn nuclei_dir() -> Result<PathBuf, String> {
    cache_dir(
        NUCLEI_DIR_ENV,
        &format!("stardist-{STARDIST_VERSION}-nuclei"),
    )
}

/// Extracts the two TIFFs from the stardist wheel.
const NUCLEI_PY: &str = r#"
import glob, os, shutil, sys, zipfile
wheels, dest = sys.argv[1], sys.argv[2]
found = glob.glob(os.path.join(wheels, "stardist-*.whl"))
if not found:
    sys.exit("no stardist wheel in %s: %s" % (wheels, os.listdir(wheels)))
os.makedirs(dest, exist_ok=True)
with zipfile.ZipFile(found[0]) as z:
    for name in ("img2d.tif", "mask2d.tif"):
        with z.open("stardist/data/images/" + name) as src, open(os.path.join(dest, name), "wb") as dst:
            shutil.copyfileobj(src, dst)
"#;

/// Fetches the 2-D nuclei image and its instance mask (the 2018 Data Science Bowl sample the
/// PyPI package `stardist` ships in `stardist/data/images/`) into [`nuclei_dir`], unless
/// present. The wheel is downloaded for a fixed platform and Python version, so the same
/// bytes arrive whatever the local interpreter. Returns true when work was done.
pub fn ensure_nuclei() -> Result<bool, String> {
    let dir = nuclei_dir()?;
    if NUCLEI_FILES.iter().all(|f| dir.join(f).is_file()) {
        return Ok(false);
    }
    let py = python()?;
    let parent = dir
        .parent()
        .ok_or_else(|| format!("{} has no parent directory", dir.display()))?;
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let tmp = parent.join(format!(".stardist-{}.tmp", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let wheels = tmp.join("wheels");
    eprintln!(
        "[setup] downloading stardist=={STARDIST_VERSION} (3 MB) from PyPI for its nuclei image ..."
    );
    run(
        Command::new(&py)
            .args([
                "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64",
                "--progress-bar", "off", "-d",
            ])
            .arg(&wheels)
            .arg(format!("stardist=={STARDIST_VERSION}")),
        "pip download stardist",
    )
    .map_err(|e| format!("{e}. The wheel comes from PyPI: check the network or PIP_INDEX_URL, then run `cargo xtask setup` again"))?;
    let out = tmp.join("nuclei");
    run_python(
        &py,
        NUCLEI_PY,
        &[&wheels, &out],
        "extracting the nuclei image from the stardist wheel",
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&out, &dir)
        .map_err(|e| format!("cannot move the nuclei image to {}: {e}", dir.display()))?;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(true)
}

/// scikit-learn version the benchmarks compare against (the issues' reference figures).
pub const SKLEARN_VERSION: &str = "1.9.1";

/// A Python virtual environment with scikit-learn, for the benchmark sweeps that
/// time it beside our code, in the per-user cache (`BASIS_SKLEARN_VENV` overrides).
/// Created once; a marker written last makes an interrupted creation start over.
pub fn ensure_sklearn_venv() -> Result<PathBuf, String> {
    let sklearn = format!("scikit-learn=={SKLEARN_VERSION}");
    ensure_venv(
        "BASIS_SKLEARN_VENV",
        &format!("sklearn-{SKLEARN_VERSION}-venv"),
        &[&sklearn, "numpy", "scipy"],
        "[sweep] creating a scikit-learn environment",
    )
}

/// The environment the Python package is tested in (`cargo xtask test`): scikit-learn
/// (the reference side's version), numpy, scipy, pytest and maturin, in
/// `~/.cache/basis-toolkit/python-package-venv` (or `$BASIS_PYTHON_VENV`). Created once; the
/// package itself is reinstalled from the checkout on every test run.
pub fn ensure_python_package_venv() -> Result<PathBuf, String> {
    let sklearn = format!("scikit-learn=={SKLEARN_VERSION}");
    ensure_venv(
        "BASIS_PYTHON_VENV",
        "python-package-venv",
        &[&sklearn, "numpy", "scipy", "pytest", "maturin>=1.5,<2"],
        "[test] creating the Python package's test environment",
    )
}

/// A virtual environment named `name` in the per-user cache (`$override_var` overrides the
/// directory) with `packages` from PyPI; its `python`. Created once: a marker written last
/// makes an interrupted creation start over.
fn ensure_venv(
    override_var: &str,
    name: &str,
    packages: &[&str],
    announce: &str,
) -> Result<PathBuf, String> {
    let dir = match std::env::var_os(override_var).filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => libtorch_dir()?
            .parent()
            .ok_or("cache directory has no parent")?
            .join(name),
    };
    let marker = dir.join("basis-complete");
    let py = dir.join("bin").join("python");
    if marker.is_file() && py.is_file() {
        return Ok(py);
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    eprintln!("{announce} at {}", dir.display());
    run(
        Command::new(python()?).args(["-m", "venv"]).arg(&dir),
        "python3 -m venv (Debian: apt-get install python3-venv)",
    )?;
    run(
        Command::new(&py)
            .args(["-m", "pip", "install", "--quiet"])
            .args(packages),
        &format!("pip install {} (needs access to PyPI)", packages.join(" ")),
    )?;
    std::fs::write(&marker, packages.join("\n"))
        .map_err(|e| format!("{}: {e}", marker.display()))?;
    Ok(py)
}
