//! The machine a run measured its timings on, recorded beside them (`OUT/run.json`): a speed
//! ratio measured on one CPU need not hold on another (issue 47), so every run says which CPU,
//! how many cores and hardware threads, which caches, how much memory and how much copy
//! bandwidth it had.
//!
//! Read from Linux's `/proc/cpuinfo`, `/proc/meminfo` and `/sys/devices/system/cpu/cpu0/cache`;
//! elsewhere the fields that cannot be read are `None` or empty. The bandwidth is measured: the
//! best of three copies of a 64 MiB buffer.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// One cache level as the kernel reports it for CPU 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cache {
    /// 1, 2, 3.
    pub level: u32,
    /// `Data`, `Instruction` or `Unified`.
    pub kind: String,
    /// Size in KiB.
    pub size_kib: u64,
    /// Logical CPUs sharing it (the kernel's `shared_cpu_list`, e.g. `0-1`).
    pub shared_with: String,
}

/// What a timing ran on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// `model name` of the first processor (empty when unknown).
    pub cpu_model: String,
    /// Logical CPUs the OS schedules on.
    pub logical_cpus: usize,
    /// Distinct physical cores (`physical id`, `core id` pairs), when the kernel says.
    pub physical_cores: Option<usize>,
    /// Vector and FMA extensions that matter to the kernels: `avx2`, `fma`, `avx512f`.
    pub vector_flags: Vec<String>,
    /// Caches of CPU 0.
    pub caches: Vec<Cache>,
    /// `MemTotal`, bytes.
    pub memory_bytes: Option<u64>,
    /// Measured copy bandwidth of a 64 MiB buffer, GB/s (read + write bytes per second, best
    /// of three): beyond L2 on common CPUs, though a very large L3 holds it.
    pub copy_gb_per_s: f64,
}

impl Machine {
    /// The machine this process runs on (reads the files above and measures the bandwidth,
    /// about 0.1 s).
    pub fn current() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let mut m = parse_cpuinfo(&cpuinfo);
        if m.logical_cpus == 0 {
            m.logical_cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        }
        m.caches = read_caches(Path::new("/sys/devices/system/cpu/cpu0/cache"));
        m.memory_bytes = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|t| meminfo_total(&t));
        m.copy_gb_per_s = copy_bandwidth(64 << 20, 3);
        m
    }

    /// One line for a table's caption: "Intel(R) Xeon(R) Processor, 2 logical CPUs on 2
    /// cores, avx2 fma, L1d 48 KiB, L2 2048 KiB, L3 266240 KiB, 23.4 GiB, copy 9.8 GB/s".
    pub fn summary(&self) -> String {
        let mut parts = vec![if self.cpu_model.is_empty() {
            "unknown CPU".to_string()
        } else {
            self.cpu_model.clone()
        }];
        parts.push(match self.physical_cores {
            Some(c) => format!("{} logical CPUs on {c} cores", self.logical_cpus),
            None => format!("{} logical CPUs", self.logical_cpus),
        });
        if !self.vector_flags.is_empty() {
            parts.push(self.vector_flags.join(" "));
        }
        for c in self.caches.iter().filter(|c| c.kind != "Instruction") {
            let kind = if c.kind == "Data" { "d" } else { "" };
            parts.push(format!("L{}{kind} {} KiB", c.level, c.size_kib));
        }
        if let Some(b) = self.memory_bytes {
            parts.push(format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30)));
        }
        parts.push(format!("copy {:.1} GB/s", self.copy_gb_per_s));
        parts.join(", ")
    }
}

/// Model, logical CPUs, physical cores and vector flags from `/proc/cpuinfo`'s text.
pub fn parse_cpuinfo(text: &str) -> Machine {
    let mut model = String::new();
    let mut logical = 0;
    let mut cores = std::collections::BTreeSet::new();
    let mut physical = None;
    let mut flags = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "processor" => logical += 1,
            "model name" if model.is_empty() => model = value.to_string(),
            "physical id" => physical = Some(value.to_string()),
            "core id" => {
                cores.insert((physical.clone().unwrap_or_default(), value.to_string()));
            }
            "flags" if flags.is_empty() => {
                let have: Vec<&str> = value.split_whitespace().collect();
                flags = ["avx2", "fma", "avx512f"]
                    .into_iter()
                    .filter(|f| have.contains(f))
                    .map(String::from)
                    .collect();
            }
            _ => {}
        }
    }
    Machine {
        cpu_model: model,
        logical_cpus: logical,
        physical_cores: (!cores.is_empty()).then_some(cores.len()),
        vector_flags: flags,
        caches: Vec::new(),
        memory_bytes: None,
        copy_gb_per_s: 0.0,
    }
}

/// The caches under `dir` (`index*/level`, `type`, `size`, `shared_cpu_list`), by level.
pub fn read_caches(dir: &Path) -> Vec<Cache> {
    let read = |p: &Path, f: &str| std::fs::read_to_string(p.join(f)).map(|s| s.trim().to_string());
    let mut caches: Vec<Cache> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("index"))
        })
        .filter_map(|p| {
            let size = read(&p, "size").ok()?;
            let kib = match size.strip_suffix('K') {
                Some(k) => k.parse().ok()?,
                None => size.strip_suffix('M')?.parse::<u64>().ok()? * 1024,
            };
            Some(Cache {
                level: read(&p, "level").ok()?.parse().ok()?,
                kind: read(&p, "type").ok()?,
                size_kib: kib,
                shared_with: read(&p, "shared_cpu_list").unwrap_or_default(),
            })
        })
        .collect();
    caches.sort_by(|a, b| (a.level, &a.kind).cmp(&(b.level, &b.kind)));
    caches
}

/// `MemTotal` of `/proc/meminfo`'s text, in bytes.
pub fn meminfo_total(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Copy bandwidth in GB/s: the best of `rounds` copies of `bytes` (counting the bytes read and
/// the bytes written).
pub fn copy_bandwidth(bytes: usize, rounds: usize) -> f64 {
    let src = vec![1u8; bytes];
    let mut dst = vec![0u8; bytes];
    let mut best = f64::INFINITY;
    for _ in 0..rounds.max(1) {
        let t = std::time::Instant::now();
        dst.copy_from_slice(std::hint::black_box(&src));
        std::hint::black_box(&dst);
        best = best.min(t.elapsed().as_secs_f64());
    }
    if best > 0.0 {
        2.0 * bytes as f64 / best / 1e9
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CPUINFO: &str = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n\
physical id\t: 0\ncore id\t: 0\nflags\t\t: fpu sse2 avx2 fma bmi2\n\n\
processor\t: 1\nmodel name\t: AMD EPYC 7B13\nphysical id\t: 0\ncore id\t: 0\n\
flags\t\t: fpu sse2 avx2 fma bmi2\n";

    #[test]
    fn two_smt_siblings_of_one_core_are_told_apart_from_two_cores() {
        let m = parse_cpuinfo(CPUINFO);
        assert_eq!(m.cpu_model, "AMD EPYC 7B13");
        assert_eq!(m.logical_cpus, 2);
        assert_eq!(m.physical_cores, Some(1), "both threads share core 0");
        assert_eq!(m.vector_flags, ["avx2", "fma"]);
        let (first, second) = CPUINFO.split_at(CPUINFO.find("processor\t: 1").unwrap());
        let two = format!("{first}{}", second.replace("core id\t: 0", "core id\t: 1"));
        assert_eq!(parse_cpuinfo(&two).physical_cores, Some(2));
        assert_eq!(parse_cpuinfo("").physical_cores, None);
    }

    #[test]
    fn caches_are_read_from_the_kernels_files() {
        let dir = std::env::temp_dir().join(format!("basis-caches-{}", std::process::id()));
        for (i, level, kind, size) in [(0, "1", "Data", "48K"), (2, "3", "Unified", "32M")] {
            let d = dir.join(format!("index{i}"));
            std::fs::create_dir_all(&d).unwrap();
            for (f, v) in [("level", level), ("type", kind), ("size", size)] {
                std::fs::write(d.join(f), format!("{v}\n")).unwrap();
            }
            std::fs::write(d.join("shared_cpu_list"), "0-1\n").unwrap();
        }
        let c = read_caches(&dir);
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].level, c[0].size_kib), (1, 48));
        assert_eq!((c[1].level, c[1].size_kib), (3, 32 * 1024));
        assert_eq!(c[1].shared_with, "0-1");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_machine_is_summarised_in_one_line() {
        // Not `Machine::current()`: its 2 × 64 MiB copy would raise this test binary's peak
        // memory under `memory::tests`, which runs beside it.
        let mut m = parse_cpuinfo(CPUINFO);
        m.caches = vec![Cache {
            level: 2,
            kind: "Unified".into(),
            size_kib: 512,
            shared_with: "0".into(),
        }];
        m.memory_bytes = meminfo_total("MemTotal:       16777216 kB\n");
        m.copy_gb_per_s = copy_bandwidth(1 << 20, 2);
        assert!(m.copy_gb_per_s > 0.0 && m.copy_gb_per_s.is_finite());
        let line = m.summary();
        assert!(
            line.starts_with(
                "AMD EPYC 7B13, 2 logical CPUs on 1 cores, avx2 fma, L2 512 KiB, 16.0 GiB, copy "
            ),
            "{line}"
        );
    }
}
