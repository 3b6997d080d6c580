//! Command-line arguments of the toolkit's binaries: a cursor over `--flag [value]` words
//! with typed values and comma-separated lists, so that every binary parses options, and
//! reports a missing or malformed value, the same way.
//!
//! ```
//! use basis_data::cli::Args;
//! let mut args = Args::new(["--seeds", "3", "--classes", "1,2", "--no-progress"]);
//! let (mut seeds, mut classes, mut progress) = (0u64, Vec::<usize>::new(), true);
//! while let Some(flag) = args.next_flag() {
//!     match flag.as_str() {
//!         "--seeds" => seeds = args.parse()?,
//!         "--classes" => classes = args.list()?,
//!         "--no-progress" => progress = false,
//!         _ => return Err(args.unknown()),
//!     }
//! }
//! assert_eq!((seeds, classes, progress), (3, vec![1, 2], false));
//! # Ok::<(), basis_data::cli::ArgError>(())
//! ```

use std::fmt::Display;
use std::str::FromStr;

/// Why a command line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgError {
    /// A flag that takes a value came last.
    #[error("{flag} needs a value")]
    MissingValue {
        /// The flag.
        flag: String,
    },
    /// A value that does not parse as the flag's type.
    #[error("{flag}: {value:?}: {reason}")]
    BadValue {
        /// The flag.
        flag: String,
        /// The offending value (one item of a list).
        value: String,
        /// The parser's message.
        reason: String,
    },
    /// A word that is not an option of this command.
    #[error("unknown option {0:?}")]
    Unknown(String),
}

impl From<ArgError> for String {
    fn from(e: ArgError) -> Self {
        e.to_string()
    }
}

/// A cursor over command-line words (the program name already removed).
#[derive(Debug, Clone, Default)]
pub struct Args {
    words: Vec<String>,
    next: usize,
    flag: String,
}

impl Args {
    /// Arguments from any list of words.
    pub fn new<I, S>(words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            words: words.into_iter().map(Into::into).collect(),
            next: 0,
            flag: String::new(),
        }
    }

    /// This process's arguments, without the program name.
    pub fn from_env() -> Self {
        Self::new(std::env::args().skip(1))
    }

    /// The next word, taken as a flag (or subcommand); `None` when all are read.
    pub fn next_flag(&mut self) -> Option<String> {
        let word = self.words.get(self.next)?.clone();
        self.next += 1;
        self.flag.clone_from(&word);
        Some(word)
    }

    /// The word after the current flag, as its value.
    pub fn value(&mut self) -> Result<String, ArgError> {
        let word = self
            .words
            .get(self.next)
            .cloned()
            .ok_or_else(|| ArgError::MissingValue {
                flag: self.flag.clone(),
            })?;
        self.next += 1;
        Ok(word)
    }

    /// The current flag's value, parsed.
    pub fn parse<T>(&mut self) -> Result<T, ArgError>
    where
        T: FromStr,
        T::Err: Display,
    {
        let value = self.value()?;
        parse_one(&self.flag, &value)
    }

    /// The current flag's value as a comma-separated list (`1,2,5`), each item parsed.
    pub fn list<T>(&mut self) -> Result<Vec<T>, ArgError>
    where
        T: FromStr,
        T::Err: Display,
    {
        let value = self.value()?;
        value
            .split(',')
            .map(|item| parse_one(&self.flag, item.trim()))
            .collect()
    }

    /// The error for the current flag when the command does not know it.
    pub fn unknown(&self) -> ArgError {
        ArgError::Unknown(self.flag.clone())
    }
}

fn parse_one<T>(flag: &str, value: &str) -> Result<T, ArgError>
where
    T: FromStr,
    T::Err: Display,
{
    value.parse().map_err(|e: T::Err| ArgError::BadValue {
        flag: flag.to_string(),
        value: value.to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_values_and_lists_are_read_in_order() {
        let mut a = Args::new([
            "table1",
            "--seeds",
            "4",
            "--neighbors",
            "10, 20,30",
            "--quick",
        ]);
        assert_eq!(a.next_flag().as_deref(), Some("table1"));
        assert_eq!(a.next_flag().as_deref(), Some("--seeds"));
        assert_eq!(a.parse::<u64>(), Ok(4));
        assert_eq!(a.next_flag().as_deref(), Some("--neighbors"));
        assert_eq!(a.list::<usize>(), Ok(vec![10, 20, 30]));
        assert_eq!(a.next_flag().as_deref(), Some("--quick"));
        assert_eq!(a.next_flag(), None);
    }

    #[test]
    fn missing_bad_and_unknown_values_are_typed_errors() {
        let mut a = Args::new(["--seeds"]);
        a.next_flag();
        assert_eq!(
            a.parse::<u64>(),
            Err(ArgError::MissingValue {
                flag: "--seeds".into()
            })
        );
        let mut a = Args::new(["--classes", "1,x"]);
        a.next_flag();
        let e = a.list::<usize>().unwrap_err();
        assert!(
            matches!(&e, ArgError::BadValue { flag, value, .. } if flag == "--classes" && value == "x")
        );
        assert!(String::from(e).starts_with("--classes: \"x\""));
        let mut a = Args::new(["--seeds", "-1"]);
        a.next_flag();
        assert!(matches!(a.parse::<u64>(), Err(ArgError::BadValue { .. })));
        let mut a = Args::new(["--frobnicate"]);
        a.next_flag();
        assert_eq!(a.unknown().to_string(), "unknown option \"--frobnicate\"");
    }
}
