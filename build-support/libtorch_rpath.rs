// Shared by the build scripts of the crates that link libtorch (`include!`d, not a module).
//
// Embeds libtorch's library directory as an rpath in the crate's binaries, tests and examples,
// so they run without `LD_LIBRARY_PATH`. `LIBTORCH` comes from the environment or from
// `.cargo/config.toml` (the `.libtorch` symlink that `cargo xtask setup` creates); the symlink
// is resolved so the rpath is absolute.

/// Prints the rpath link argument for `$LIBTORCH/lib`, when `LIBTORCH` is set.
fn emit_libtorch_rpath() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if let Some(dir) = std::env::var_os("LIBTORCH") {
        let dir = std::path::PathBuf::from(dir);
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        println!(
            "cargo:rustc-link-arg=-Wl,-rpath,{}",
            dir.join("lib").display()
        );
    }
}
