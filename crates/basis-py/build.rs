//! libtorch rpath for this crate's binaries, tests and examples (`build-support/libtorch_rpath.rs`).

include!("../../build-support/libtorch_rpath.rs");

fn main() {
    emit_libtorch_rpath();
}
