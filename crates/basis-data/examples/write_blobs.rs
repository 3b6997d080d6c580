//! Writes a `subspace-blobs` data set as `.npy` splits, for inspection elsewhere:
//! `cargo run --release -p basis-data --example write_blobs -- PARAMS.json OUT_DIR`
//! (`PARAMS.json`: a `SubspaceBlobsParams`, e.g. the `blobs` object of a reproduction's
//! `--print-config`; `-` for the defaults).
use basis_data::clusters::{SubspaceBlobsParams, subspace_blobs, write_npy_splits};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [params, out] = args.as_slice() else {
        return Err("usage: write_blobs PARAMS.json|- OUT_DIR".into());
    };
    let p: SubspaceBlobsParams = if params == "-" {
        SubspaceBlobsParams::default()
    } else {
        serde_json::from_str(&std::fs::read_to_string(params)?)?
    };
    let (train, test) = subspace_blobs(&p)?;
    write_npy_splits(out, &train, &test)?;
    println!(
        "wrote {out}: {} training / {} test points",
        train.len(),
        test.len()
    );
    Ok(())
}
