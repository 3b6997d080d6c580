//! Progress bars of the long runs.

/// An indicatif bar `{spinner} WHAT [bar] pos/len msg (eta)` of `len` steps when `visible`
/// and stderr is a terminal. Otherwise (`--no-progress`, or stderr a file or a pipe, where
/// indicatif draws nothing) one line `[basis] WHAT: LEN steps` on stderr says which long
/// stage has started, so a log is never silent for the length of a training run.
pub fn progress_bar(len: usize, visible: bool, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !visible || !std::io::stderr().is_terminal() {
        stage(&format!("{what}: {len} steps"));
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {what} [{{bar:30}}] {{pos}}/{{len}} {{msg}} ({{eta}})"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

/// One line `[basis] MESSAGE` on stderr: a long stage starting, for logs without bars. A
/// closed or full stderr loses the line, nothing else.
pub fn stage(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "[basis] {message}");
}
