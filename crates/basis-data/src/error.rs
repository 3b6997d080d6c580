//! Typed errors of the data crate.

use std::path::PathBuf;

/// Everything that can go wrong while reading, generating or sampling data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// An I/O error, with the file it concerns.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file being read or written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The first bytes of an IDX file are not `0x00 0x00 <type> <ndim>`.
    #[error("not an IDX file: bad magic number {found:#010x}")]
    IdxBadMagic {
        /// The four magic bytes read, big-endian.
        found: u32,
    },
    /// The IDX type byte is none of the six the format defines.
    #[error("IDX file has unknown element type code {0:#04x}")]
    IdxUnknownType(u8),
    /// The IDX header announces a shape whose element count overflows or is zero-dimensional.
    #[error("IDX header announces an invalid shape {dims:?}")]
    IdxBadShape {
        /// The announced dimensions.
        dims: Vec<usize>,
    },
    /// Fewer payload bytes than the header announces.
    #[error("truncated file: expected {expected} bytes of payload, found {found}")]
    Truncated {
        /// Bytes the header announces.
        expected: usize,
        /// Bytes actually present.
        found: usize,
    },
    /// More payload bytes than the header announces: the dimensions are wrong.
    #[error("payload has {found} bytes but the header's dimensions announce {expected}")]
    TrailingBytes {
        /// Bytes the header announces.
        expected: usize,
        /// Bytes actually present.
        found: usize,
    },
    /// Two files that must agree (e.g. images and labels) do not.
    #[error("shape mismatch: {0}")]
    ShapeMismatch(String),
    /// A `.npy` header that cannot be parsed or is not supported.
    #[error("bad .npy file: {0}")]
    Npy(String),
    /// A CSV cell that is not a number, with its 1-based line and column.
    #[error("CSV line {line}, column {column}: cannot parse {text:?} as a number")]
    CsvParse {
        /// 1-based line number.
        line: usize,
        /// 1-based column number.
        column: usize,
        /// The offending cell.
        text: String,
    },
    /// A CSV row whose width differs from the first row.
    #[error("CSV line {line} has {found} columns, expected {expected}")]
    CsvRagged {
        /// 1-based line number.
        line: usize,
        /// Columns found on that line.
        found: usize,
        /// Columns of the first data row.
        expected: usize,
    },
    /// The data set is empty.
    #[error("empty data: {0}")]
    Empty(String),
    /// A feature is NaN or infinite.
    #[error("non-finite value at row {row}, column {col}")]
    NonFinite {
        /// Row of the first non-finite value.
        row: usize,
        /// Column of the first non-finite value.
        col: usize,
    },
    /// A parameter is outside its valid range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// A path names something other than a regular file: a directory, a named pipe, a device.
    #[error("{path}: is a {kind}, not a regular file")]
    NotARegularFile {
        /// The path given.
        path: PathBuf,
        /// What it is instead ("directory", "named pipe (FIFO)", "character device", ...).
        kind: &'static str,
    },
    /// A configuration or record file that cannot be used as one.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A dataset directory lacks a required file.
    #[error("dataset file {path} is missing; {hint}")]
    MissingDataset {
        /// The file that was looked for.
        path: PathBuf,
        /// What to do about it.
        hint: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, DataError>;

impl DataError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }
}
