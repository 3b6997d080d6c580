//! With the `nn` feature, embeds libtorch's library directory as an rpath in the
//! facade's tests, benches and examples (see `crates/basis-nn/build.rs`).

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if std::env::var_os("CARGO_FEATURE_NN").is_none() {
        return;
    }
    if let Some(dir) = std::env::var_os("LIBTORCH") {
        let dir = std::path::PathBuf::from(dir);
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        println!(
            "cargo:rustc-link-arg=-Wl,-rpath,{}",
            dir.join("lib").display()
        );
    }
}
