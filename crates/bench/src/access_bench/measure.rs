//! Timing and CPU accounting shared by the figures, and the table they are written into.

use tokio::time::Instant;

/// utime + stime of the whole process (every thread: tokio workers, sqlx's SQLite threads,
/// the blocking pool), in seconds. Linux reports it in USER_HZ = 100 ticks per second.
pub(super) fn process_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

pub(super) fn cpu_between(before: Option<f64>, after: Option<f64>) -> Option<f64> {
    Some(after? - before?)
}

/// A mean over many calls, timed in batches.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mean {
    pub(super) calls: u64,
    pub(super) wall_s: f64,
    pub(super) cpu_s: Option<f64>,
}

impl Mean {
    pub(super) fn wall_ns(&self) -> f64 {
        self.wall_s * 1e9 / self.calls.max(1) as f64
    }

    pub(super) fn cpu_ns(&self) -> Option<f64> {
        self.cpu_s.map(|c| c * 1e9 / self.calls.max(1) as f64)
    }
}

/// Latencies of individually timed calls (ns), with the window's wall and CPU time.
#[derive(Debug, Default)]
pub(super) struct Latencies {
    pub(super) ns: Vec<u64>,
    pub(super) wall_s: f64,
    pub(super) cpu_s: Option<f64>,
}

impl Latencies {
    pub(super) fn per_s(&self) -> f64 {
        self.ns.len() as f64 / self.wall_s.max(1e-9)
    }

    pub(super) fn mean_ns(&self) -> f64 {
        self.ns.iter().sum::<u64>() as f64 / self.ns.len().max(1) as f64
    }

    pub(super) fn cpu_ns_per_call(&self) -> Option<f64> {
        self.cpu_s.map(|c| c * 1e9 / self.ns.len().max(1) as f64)
    }

    /// Nearest-rank percentile; sorts on first use.
    pub(super) fn pct(&mut self, p: f64) -> f64 {
        if self.ns.is_empty() {
            return 0.0;
        }
        if !self.ns.is_sorted() {
            self.ns.sort_unstable();
        }
        let rank = ((p / 100.0) * self.ns.len() as f64).ceil() as usize;
        self.ns[rank.clamp(1, self.ns.len()) - 1] as f64
    }

    pub(super) fn max(&self) -> f64 {
        self.ns.iter().copied().max().unwrap_or(0) as f64
    }
}

pub(super) fn ns_since(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX)
}
/// Rows of a Markdown table of figures, one number per row, so runs compare line by line.
#[derive(Debug, Default)]
pub(super) struct Table {
    pub(super) rows: String,
}

impl Table {
    pub(super) fn row(&mut self, figure: &str, value: f64, unit: &str) {
        let shown = if value.abs() >= 100.0 {
            format!("{value:.0}")
        } else {
            format!("{value:.2}")
        };
        self.rows
            .push_str(&format!("| {figure} | {shown} | {unit} |\n"));
    }

    pub(super) fn opt_row(&mut self, figure: &str, value: Option<f64>, unit: &str) {
        if let Some(v) = value {
            self.row(figure, v, unit);
        }
    }
}

pub(super) fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole * 100.0
    } else {
        0.0
    }
}
