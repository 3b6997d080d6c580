//! With the `nn` feature, embeds libtorch's library directory as an rpath in the facade's
//! tests, benches and examples (`build-support/libtorch_rpath.rs`).

include!("build-support/libtorch_rpath.rs");

fn main() {
    println!("cargo:rerun-if-env-changed=CARGO_FEATURE_NN");
    if std::env::var_os("CARGO_FEATURE_NN").is_some() {
        emit_libtorch_rpath();
    } else {
        println!("cargo:rerun-if-env-changed=LIBTORCH");
    }
}
