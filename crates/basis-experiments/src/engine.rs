//! One shape for every experiment: the [`Experiment`] trait and the engine around it.
//!
//! An experiment is a serialisable configuration (with `Default` and a validating
//! [`Experiment::check`]), a [`Experiment::run`] that returns a serialisable report, and a
//! [`Experiment::render`] that turns a report into its markdown table and figures. The engine
//! ([`run`], [`replot`]) does the rest, the same way for every experiment:
//!
//! 1. checks the configuration, creates the output directory;
//! 2. runs the experiment (which may write artefacts of its own there: models, checkpoints
//!    for resuming, arrays), timing it;
//! 3. writes `OUT/<report>.json` (the report), `OUT/<report>.md` (its table),
//!    `OUT/summary.json` (the report without logs and figure data: what `docs/results/`
//!    holds), every figure as `OUT/<name>.png` and `.svg`, each atomically, and `OUT/run.json`
//!    (what ran: the experiment, seeds, seconds, the toolkit's version);
//! 4. returns the report, its markdown and the list of files written.
//!
//! [`replot`] does steps 3–4 from an existing `OUT/<report>.json` without running anything, so
//! every experiment can redraw its tables and figures (`--replot`). The tables in `docs/` that
//! quote results are generated from committed summaries by [`crate::docs`].
//!
//! Adding an experiment: a module with its config, report, an `impl Experiment` and its
//! command line (`cli`), plus one line in the `registry!` of `lib.rs`. See
//! `docs/architecture.md`.

use crate::{ExperimentError, Result};
use basis_data::io::write_atomic;
use basis_plot::Figure;
use indicatif::{ProgressBar, ProgressStyle};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What the engine hands every run: the seeds and whether to show progress.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunContext {
    /// Seeds to run (experiments with one seed in their configuration ignore them).
    pub seeds: Vec<u64>,
    /// Show indicatif progress bars (on stderr).
    pub progress: bool,
}

impl RunContext {
    /// A context for `seeds` with progress shown or not.
    pub fn new(seeds: Vec<u64>, progress: bool) -> Self {
        Self { seeds, progress }
    }

    /// Prints a progress message on stderr (with or without bars: a log says which long stage
    /// is running).
    pub fn note(&self, message: &str) {
        use std::io::Write;
        // The same `[basis] ` line as `basis_nn::progress::stage`; a closed stderr loses it.
        let _ = writeln!(std::io::stderr(), "[basis] {message}");
    }

    /// A progress bar of `len` steps with `template` (indicatif's syntax), or a hidden one
    /// without progress. A template indicatif rejects falls back to its default style.
    pub fn bar(&self, len: u64, template: &str) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len);
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar
    }
}

/// What a report renders to: its markdown table and its figures.
#[derive(Default)]
pub struct Rendered {
    /// The markdown written to `OUT/<report>.md` and printed.
    pub markdown: String,
    /// Figures, each saved as `OUT/<name>.png` and `OUT/<name>.svg`.
    pub figures: Vec<(String, Figure)>,
}

impl Rendered {
    /// Markdown only, no figures.
    pub fn markdown(markdown: String) -> Self {
        Self {
            markdown,
            figures: Vec::new(),
        }
    }
}

/// One experiment of the toolkit. See the module documentation for what the engine does
/// around it.
pub trait Experiment {
    /// The command's name (`reproduce <name>` or `sweep <name>`), also the name of its summary
    /// in `docs/results/`.
    const NAME: &'static str;
    /// Stem of the report files: `OUT/<REPORT>.json` and `OUT/<REPORT>.md`.
    const REPORT: &'static str;
    /// The configuration: everything a run depends on, seeds aside.
    type Config: Serialize + DeserializeOwned + Clone;
    /// What a run measured.
    type Report: Serialize + DeserializeOwned + Clone;

    /// The configuration a run without options uses (`--print-config` shows it).
    fn default_config() -> Self::Config;
    /// Rejects a configuration that cannot run, before anything is written.
    fn check(config: &Self::Config) -> Result<()>;
    /// Where the outputs go.
    fn out_dir(config: &Self::Config) -> &Path;
    /// Sets where the outputs go.
    fn set_out_dir(config: &mut Self::Config, out: PathBuf);
    /// Runs it. May write artefacts of its own (models, checkpoints, arrays) into
    /// [`Experiment::out_dir`]; the report, table and figures are the engine's.
    fn run(config: &Self::Config, ctx: &RunContext) -> Result<Self::Report>;
    /// The report's table, from the report alone (also from its [`Experiment::summary`]: the
    /// tables in `docs/` are generated by it from `docs/results/`).
    fn markdown(report: &Self::Report) -> String;
    /// The report's figures, each saved as `OUT/<name>.{png,svg}`. May read artefacts the run
    /// left in `out` (a saved model, predictions), so that [`replot`] can redraw them.
    fn figures(report: &Self::Report, out: &Path) -> Result<Vec<(String, Figure)>> {
        let _ = (report, out);
        Ok(Vec::new())
    }
    /// Table and figures as the engine writes them: [`Experiment::markdown`] and
    /// [`Experiment::figures`] unless overridden (the timed sweeps merge in a reference
    /// side's file).
    fn render(report: &Self::Report, out: &Path) -> Result<Rendered> {
        Ok(Rendered {
            markdown: Self::markdown(report),
            figures: Self::figures(report, out)?,
        })
    }
    /// The small summary committed to `docs/results/`: the report without what only the
    /// figures or a resume need (per-iteration logs, curves, latents), so that
    /// [`Experiment::markdown`] renders the same table from it. The whole report unless
    /// overridden.
    fn summary(report: Self::Report) -> Self::Report {
        report
    }
}

/// Implements [`Experiment`] for a unit struct from the parts that differ between
/// experiments: its names, configuration (with its default and where its output directory
/// is), report type and the bodies of `check`, `run`, `markdown` and, where it has them,
/// `figures`, `summary` and `render`.
macro_rules! experiment {
    (
        $(#[$attr:meta])*
        pub struct $ty:ident = $name:literal writes $report:literal;
        config $cfg:ty = $default:expr, out $($out:ident).+;
        report $rep:ty;
        check($c:ident) $check:block
        run($rc:ident, $ctx:ident) $run:block
        markdown($mr:ident) $md:block
        $(figures($fr:tt, $fo:tt) $figs:block)?
        $(summary($sr:ident) $sum:block)?
        $(render($rr:tt, $ro:tt) $ren:block)?
    ) => {
        $(#[$attr])*
        pub struct $ty;

        impl $crate::Experiment for $ty {
            const NAME: &'static str = $name;
            const REPORT: &'static str = $report;
            type Config = $cfg;
            type Report = $rep;
            fn default_config() -> $cfg {
                $default
            }
            fn check($c: &$cfg) -> $crate::Result<()> $check
            fn out_dir(config: &$cfg) -> &::std::path::Path {
                &config.$($out).+
            }
            fn set_out_dir(config: &mut $cfg, out: ::std::path::PathBuf) {
                config.$($out).+ = out;
            }
            fn run($rc: &$cfg, $ctx: &$crate::RunContext) -> $crate::Result<$rep> $run
            fn markdown($mr: &$rep) -> String $md
            $(
                fn figures(
                    $fr: &$rep,
                    $fo: &::std::path::Path,
                ) -> $crate::Result<Vec<(String, ::basis_plot::Figure)>> $figs
            )?
            $(fn summary($sr: $rep) -> $rep $sum)?
            $(
                fn render($rr: &$rep, $ro: &::std::path::Path) -> $crate::Result<$crate::Rendered> $ren
            )?
        }
    };
}
pub(crate) use experiment;

/// Runs `run(seed, dir)` for every seed of `seeds`: the first into `out`, each later one into
/// `out/seed-<s>`. Returns the first run's report and every run's `row` (in seed order), or
/// `None` when `seeds` is empty. For experiments whose report is one seed's and whose table
/// adds a row per seed (Fig. 3, the demo).
pub fn over_seeds<R, W>(
    seeds: &[u64],
    out: &Path,
    mut run: impl FnMut(u64, PathBuf) -> Result<R>,
    row: impl Fn(&R, u64) -> W,
) -> Result<Option<(R, Vec<W>)>> {
    let Some((&first, rest)) = seeds.split_first() else {
        return Ok(None);
    };
    let report = run(first, out.to_path_buf())?;
    let mut rows = vec![row(&report, first)];
    for &s in rest {
        rows.push(row(&run(s, out.join(format!("seed-{s}")))?, s));
    }
    Ok(Some((report, rows)))
}

/// What a run or a replot produced.
#[derive(Debug)]
pub struct Outcome<R> {
    /// The report.
    pub report: R,
    /// Its markdown table.
    pub markdown: String,
    /// Files the engine wrote (report, table, figures, run record), in that order.
    pub written: Vec<PathBuf>,
    /// Seconds the run took (0 for a replot).
    pub seconds: f64,
}

/// `OUT/run.json`: what ran, for how long, with which seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// [`Experiment::NAME`].
    pub experiment: String,
    /// Seeds the run was given.
    pub seeds: Vec<u64>,
    /// Wall-clock seconds of the run.
    pub seconds: f64,
    /// Version of the toolkit that ran it.
    pub version: String,
    /// The machine its timings were measured on (absent in records written before it was kept).
    #[serde(default)]
    pub machine: Option<crate::machine::Machine>,
}

/// Checks `config`, runs the experiment and writes its report, table, figures and run record
/// into its output directory (atomically). See the module documentation.
pub fn run<E: Experiment>(config: &E::Config, ctx: &RunContext) -> Result<Outcome<E::Report>> {
    E::check(config)?;
    let out = E::out_dir(config).to_path_buf();
    let fresh = !out.exists();
    create_out_dir(&out)?;
    // Timings mean something only beside the machine that measured them.
    let machine = crate::machine::Machine::current();
    ctx.note(&format!("on {}", machine.summary()));
    let t0 = Instant::now();
    let report = match E::run(config, ctx) {
        Ok(r) => r,
        Err(e) => {
            // A run that failed before writing anything leaves no empty directory behind
            // (`remove_dir` removes only an empty one).
            if fresh {
                let _ = std::fs::remove_dir(&out);
            }
            return Err(e);
        }
    };
    let seconds = t0.elapsed().as_secs_f64();
    let mut outcome = write_outputs::<E>(report, &out)?;
    let record = RunRecord {
        experiment: E::NAME.to_string(),
        seeds: ctx.seeds.clone(),
        seconds,
        version: env!("CARGO_PKG_VERSION").to_string(),
        machine: Some(machine),
    };
    let path = out.join("run.json");
    write_json(&path, &record)?;
    outcome.written.push(path);
    outcome.seconds = seconds;
    Ok(outcome)
}

/// Redraws the table and figures of the run in `out` from `OUT/<REPORT>.json`, running
/// nothing.
pub fn replot<E: Experiment>(out: &Path) -> Result<Outcome<E::Report>> {
    let report: E::Report = read_report::<E>(out)?;
    write_outputs::<E>(report, out)
}

/// The report of the run in `out`.
pub fn read_report<E: Experiment>(out: &Path) -> Result<E::Report> {
    read_json(&out.join(format!("{}.json", E::REPORT)))
}

/// Writes [`Experiment::summary`] of `report` to `path` (pretty JSON, atomically).
pub fn write_summary<E: Experiment>(report: &E::Report, path: &Path) -> Result<()> {
    write_json(path, &E::summary(report.clone()))
}

/// A JSON file parsed as `T`, with the path in the error.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| basis_data::DataError::io(path, e))
        .map_err(ExperimentError::from)?;
    serde_json::from_str(&text).map_err(|e| {
        ExperimentError::InvalidConfig(format!("{}: not the expected JSON: {e}", path.display()))
    })
}

/// The JSON file `path` parsed as `T`, or `None` when there is no such file (a reference side
/// that has not run).
pub fn read_json_if_present<T: DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    if path.is_file() {
        read_json(path).map(Some)
    } else {
        Ok(None)
    }
}

/// `value` as pretty JSON in `path`, atomically.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    write_atomic(path, serde_json::to_string_pretty(value)?.as_bytes())?;
    Ok(())
}

fn create_out_dir(out: &Path) -> Result<()> {
    if out.exists() && !out.is_dir() {
        return Err(ExperimentError::InvalidConfig(format!(
            "output directory {} is a file",
            out.display()
        )));
    }
    std::fs::create_dir_all(out).map_err(|e| basis_data::DataError::io(out, e))?;
    Ok(())
}

fn write_outputs<E: Experiment>(report: E::Report, out: &Path) -> Result<Outcome<E::Report>> {
    create_out_dir(out)?;
    let rendered = E::render(&report, out)?;
    let json = out.join(format!("{}.json", E::REPORT));
    write_json(&json, &report)?;
    let md = out.join(format!("{}.md", E::REPORT));
    write_atomic(&md, rendered.markdown.as_bytes())?;
    let summary = out.join("summary.json");
    write_summary::<E>(&report, &summary)?;
    let mut written = vec![json, md, summary];
    for (name, figure) in &rendered.figures {
        let w = figure.save(out.join(name))?;
        written.extend([w.png, w.svg]);
    }
    Ok(Outcome {
        report,
        markdown: rendered.markdown,
        written,
        seconds: 0.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny experiment: sums its seeds times a factor.
    struct Sum;

    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    struct SumConfig {
        factor: f64,
        out_dir: PathBuf,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct SumReport {
        per_seed: Vec<f64>,
    }

    impl Experiment for Sum {
        const NAME: &'static str = "sum";
        const REPORT: &'static str = "sum";
        type Config = SumConfig;
        type Report = SumReport;
        fn default_config() -> SumConfig {
            SumConfig::default()
        }
        fn check(c: &SumConfig) -> Result<()> {
            if !c.factor.is_finite() {
                return Err(ExperimentError::InvalidConfig("factor".into()));
            }
            Ok(())
        }
        fn out_dir(c: &SumConfig) -> &Path {
            &c.out_dir
        }
        fn set_out_dir(c: &mut SumConfig, out: PathBuf) {
            c.out_dir = out;
        }
        fn run(c: &SumConfig, ctx: &RunContext) -> Result<SumReport> {
            Ok(SumReport {
                per_seed: ctx.seeds.iter().map(|&s| s as f64 * c.factor).collect(),
            })
        }
        fn markdown(r: &SumReport) -> String {
            format!("{:?}\n", r.per_seed)
        }
    }

    #[test]
    fn a_run_writes_report_table_and_record_and_a_replot_rewrites_them() {
        let dir = std::env::temp_dir().join(format!("basis-engine-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = SumConfig {
            factor: 2.0,
            out_dir: dir.clone(),
        };
        let o = run::<Sum>(&config, &RunContext::new(vec![0, 1, 2], false)).unwrap();
        assert_eq!(o.report.per_seed, vec![0.0, 2.0, 4.0]);
        let names: Vec<_> = o
            .written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["sum.json", "sum.md", "summary.json", "run.json"]);
        let record: RunRecord = read_json(&dir.join("run.json")).unwrap();
        assert_eq!(
            (record.experiment.as_str(), record.seeds),
            ("sum", vec![0, 1, 2])
        );
        std::fs::remove_file(dir.join("sum.md")).unwrap();
        let again = replot::<Sum>(&dir).unwrap();
        assert_eq!(again.report, o.report);
        assert_eq!(
            std::fs::read_to_string(dir.join("sum.md")).unwrap(),
            "[0.0, 2.0, 4.0]\n"
        );
        // A bad configuration is refused before anything is written; a missing report is a
        // typed error, not a panic.
        let bad = SumConfig {
            factor: f64::NAN,
            out_dir: dir.join("bad"),
        };
        assert!(matches!(
            run::<Sum>(&bad, &RunContext::default()),
            Err(ExperimentError::InvalidConfig(_))
        ));
        assert!(!dir.join("bad").exists());
        assert!(matches!(
            replot::<Sum>(&dir.join("missing")),
            Err(ExperimentError::Data(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
