//! Monitoring of arrays as they grow: per array, frames/s and MB/s (over a sliding window),
//! when it was last written, and whether it **stalled** — grew while extent looked at it, then
//! stopped for longer than a threshold. Fed by live events (the watched array), by structure
//! reads (the open array, every second) and by catalog rescans (every array listed); the
//! activity view and the stall marks are drawn from it.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::notice::{Notice, Tone};
use super::state::AppState;
use crate::backend::{NodeEntry, NodeKind};

/// Rates are averaged over this window.
pub const MONITOR_WINDOW: Duration = Duration::from_secs(5);
/// An array that grew and then did not for this long is stalled (unless configured).
pub const DEFAULT_STALL: Duration = Duration::from_secs(30);
/// The activity view lists arrays written within this long.
pub const RECENT: Duration = Duration::from_secs(15 * 60);
/// Bounds: arrays remembered, samples per array.
const MAX_ARRAYS: usize = 100_000;
const MAX_SAMPLES: usize = 4096;

/// What extent knows about one array's writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub path: String,
    /// The last shape seen.
    pub shape: Vec<u64>,
    /// Bytes per element (0 while unknown).
    pub item_size: u64,
    /// The last write or growth seen (`None`: none since extent looked).
    pub last_write: Option<Instant>,
    /// It grew at least once while extent looked: only such an array can stall.
    pub grew: bool,
    pub stalled: bool,
    /// Writes arrive as live events: growth seen in shapes is not counted twice.
    live: Option<Instant>,
    /// (when, frames, bytes), oldest first.
    samples: VecDeque<(Instant, u64, u64)>,
}

impl Activity {
    fn new(path: &str, shape: &[u64], item_size: u64) -> Activity {
        Activity {
            path: path.to_string(),
            shape: shape.to_vec(),
            item_size,
            last_write: None,
            grew: false,
            stalled: false,
            live: None,
            samples: VecDeque::new(),
        }
    }

    /// Frames per second and bytes per second over the last `MONITOR_WINDOW`.
    pub fn rate(&self, now: Instant) -> (f64, f64) {
        let (mut frames, mut bytes) = (0u64, 0u64);
        for (t, f, b) in &self.samples {
            if now.saturating_duration_since(*t) <= MONITOR_WINDOW {
                frames += f;
                bytes += b;
            }
        }
        let secs = MONITOR_WINDOW.as_secs_f64();
        (frames as f64 / secs, bytes as f64 / secs)
    }

    /// Time since the last write, if one was seen.
    pub fn since(&self, now: Instant) -> Option<Duration> {
        self.last_write.map(|t| now.saturating_duration_since(t))
    }

    fn sample(&mut self, now: Instant, frames: u64, bytes: u64) {
        self.last_write = Some(now);
        self.stalled = false;
        self.samples.push_back((now, frames, bytes));
        while self.samples.len() > MAX_SAMPLES
            || self
                .samples
                .front()
                .is_some_and(|(t, _, _)| now.saturating_duration_since(*t) > MONITOR_WINDOW)
        {
            self.samples.pop_front();
        }
    }
}

/// Every array's activity, and the stall threshold.
#[derive(Debug, Clone)]
pub struct Monitor {
    pub stall_after: Duration,
    arrays: HashMap<String, Activity>,
}

impl Default for Monitor {
    fn default() -> Monitor {
        Monitor::new(DEFAULT_STALL)
    }
}

impl Monitor {
    pub fn new(stall_after: Duration) -> Monitor {
        Monitor {
            stall_after,
            arrays: HashMap::new(),
        }
    }

    pub fn get(&self, path: &str) -> Option<&Activity> {
        self.arrays.get(path)
    }

    /// True when `path` is marked stalled.
    pub fn is_stalled(&self, path: &str) -> bool {
        self.get(path).is_some_and(|a| a.stalled)
    }

    fn entry(&mut self, path: &str, shape: &[u64], item_size: u64) -> Option<&mut Activity> {
        if !self.arrays.contains_key(path) && self.arrays.len() >= MAX_ARRAYS {
            return None;
        }
        let a = self
            .arrays
            .entry(path.to_string())
            .or_insert_with(|| Activity::new(path, shape, item_size));
        if item_size > 0 {
            a.item_size = item_size;
        }
        Some(a)
    }

    /// A region written (a live event): `region` is its shape; frames count along axis 0.
    pub fn write(&mut self, path: &str, region: &[u64], item_size: u64, now: Instant) {
        let Some(a) = self.entry(path, &[], item_size) else {
            return;
        };
        let frames = region.first().copied().unwrap_or(1);
        let bytes = region.iter().product::<u64>().saturating_mul(a.item_size);
        a.live = Some(now);
        a.sample(now, frames, bytes);
    }

    /// A shape seen (a structure read, an event, a listing). The first one of an array is
    /// where it stands; growth after it counts as frames written, unless live events already
    /// counted them.
    pub fn shape(&mut self, path: &str, shape: &[u64], item_size: u64, now: Instant) {
        let known = self.arrays.contains_key(path);
        let Some(a) = self.entry(path, shape, item_size) else {
            return;
        };
        if !known || a.shape == shape {
            return;
        }
        let old = std::mem::replace(&mut a.shape, shape.to_vec());
        let grew = old.len() == shape.len() && old.iter().zip(shape).any(|(o, n)| n > o);
        if !grew {
            return;
        }
        a.grew = true;
        let counted_live = a
            .live
            .is_some_and(|t| now.saturating_duration_since(t) <= MONITOR_WINDOW);
        if counted_live {
            a.last_write = Some(now);
            a.stalled = false;
            return;
        }
        let frames = match (old.first(), shape.first()) {
            (Some(o), Some(n)) => n.saturating_sub(*o),
            _ => 0,
        };
        let elems = |s: &[u64]| s.iter().product::<u64>();
        let bytes = (elems(shape).saturating_sub(elems(&old))).saturating_mul(a.item_size);
        a.sample(now, frames, bytes);
    }

    /// The array is gone (deleted, or the store changed).
    pub fn forget(&mut self, path: &str) {
        self.arrays.remove(path);
    }

    pub fn clear(&mut self) {
        self.arrays.clear();
    }

    /// Marks arrays stalled as time passes; returns the ones that stalled just now.
    pub fn tick(&mut self, now: Instant) -> Vec<String> {
        let mut stalled = Vec::new();
        for a in self.arrays.values_mut() {
            let quiet = a.since(now).is_some_and(|d| d > self.stall_after);
            if a.grew && quiet && !a.stalled {
                a.stalled = true;
                stalled.push(a.path.clone());
            }
        }
        stalled.sort();
        stalled
    }

    /// True when something shown moves as time passes (a rate decays, a clock counts).
    pub fn any_recent(&self, now: Instant) -> bool {
        self.arrays
            .values()
            .any(|a| a.since(now).is_some_and(|d| d <= RECENT))
    }

    /// Arrays written within `RECENT` (and every stalled one), most recent first.
    pub fn recent(&self, now: Instant) -> Vec<&Activity> {
        let mut v: Vec<&Activity> = self
            .arrays
            .values()
            .filter(|a| a.stalled || a.since(now).is_some_and(|d| d <= RECENT))
            .collect();
        v.sort_by(|a, b| b.last_write.cmp(&a.last_write).then(a.path.cmp(&b.path)));
        v
    }
}

/// `12.5 fps · 3.2 MB/s` (empty when nothing moves).
pub fn fmt_rate(fps: f64, bps: f64) -> String {
    if fps <= 0.0 && bps <= 0.0 {
        return String::new();
    }
    let bytes = if bps >= 1e6 {
        format!("{:.1} MB/s", bps / 1e6)
    } else {
        format!("{:.1} kB/s", bps / 1e3)
    };
    format!("{fps:.1} fps · {bytes}")
}

/// `now`, `4s ago`, `3m ago`, `2h ago`.
pub fn fmt_ago(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => "now".into(),
        1..=119 => format!("{s}s ago"),
        120..=7199 => format!("{}m ago", s / 60),
        _ => format!("{}h ago", s / 3600),
    }
}

impl AppState {
    /// A region written, seen live.
    pub(crate) fn monitor_write(&mut self, path: &str, region: &[u64]) {
        let size = self.item_size(path);
        self.monitor.write(path, region, size, self.now);
    }

    /// A shape seen for `path` (`item_size` 0 when the dtype is not known here).
    pub(crate) fn monitor_shape(&mut self, path: &str, shape: &[u64], item_size: u64) {
        let size = if item_size > 0 {
            item_size
        } else {
            self.item_size(path)
        };
        self.monitor.shape(path, shape, size, self.now);
    }

    /// The arrays of a listing (a page, a rescan).
    pub(crate) fn monitor_listing(&mut self, entries: &[NodeEntry]) {
        for e in entries {
            if let (NodeKind::Array, Some(shape)) = (&e.kind, &e.shape) {
                let size = e.dtype.map(|d| d.size() as u64).unwrap_or(0);
                self.monitor.shape(&e.path, shape, size, self.now);
            }
        }
    }

    /// Time passes: arrays that stalled get a notice. Returns whether anything shown moved.
    pub(crate) fn monitor_tick(&mut self) -> bool {
        if self.paused {
            // Updates are held while paused: nothing can be said about growth.
            return false;
        }
        let stalled = self.monitor.tick(self.now);
        let secs = self.monitor.stall_after.as_secs_f64();
        match stalled.as_slice() {
            [] => {}
            [one] => self.notify(Notice::new(
                format!("{one} stalled: it grew, then nothing for {secs:.0} s"),
                Tone::Warn,
            )),
            [first, ..] => self.notify(Notice::new(
                format!(
                    "{} arrays stalled (e.g. {first}): nothing for {secs:.0} s",
                    stalled.len()
                ),
                Tone::Warn,
            )),
        }
        for p in &stalled {
            tracing::warn!(path = %p, after_s = secs, "array stalled");
        }
        !stalled.is_empty() || self.monitor.any_recent(self.now)
    }

    fn item_size(&self, path: &str) -> u64 {
        self.open
            .as_ref()
            .filter(|o| o.path == path)
            .and_then(|o| o.info.as_ref())
            .map(|i| i.dtype.size() as u64)
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_counted_once_and_rates_decay() {
        let t0 = Instant::now();
        let mut m = Monitor::default();
        m.shape("a", &[4, 8], 2, t0);
        assert!(m.recent(t0).is_empty(), "the first shape is a baseline");
        m.shape("a", &[6, 8], 2, t0 + Duration::from_secs(1));
        let a = m.get("a").unwrap();
        assert_eq!(a.rate(t0 + Duration::from_secs(1)), (2.0 / 5.0, 32.0 / 5.0));
        // Live writes: the growth they cause is not counted again.
        let t = t0 + Duration::from_secs(2);
        m.write("a", &[1, 8], 2, t);
        m.shape("a", &[7, 8], 2, t);
        assert_eq!(m.get("a").unwrap().rate(t).0, 3.0 / 5.0);
        assert_eq!(m.get("a").unwrap().rate(t + MONITOR_WINDOW * 2), (0.0, 0.0));
    }

    #[test]
    fn only_an_array_that_grew_stalls_and_a_write_clears_it() {
        let t0 = Instant::now();
        let mut m = Monitor::new(Duration::from_secs(10));
        m.shape("still", &[4], 8, t0);
        m.shape("grows", &[4], 8, t0);
        m.shape("grows", &[5], 8, t0);
        assert!(m.tick(t0 + Duration::from_secs(10)).is_empty());
        assert_eq!(m.tick(t0 + Duration::from_secs(11)), vec!["grows"]);
        assert!(m.tick(t0 + Duration::from_secs(12)).is_empty(), "said once");
        assert!(m.is_stalled("grows") && !m.is_stalled("still"));
        m.write("grows", &[1], 8, t0 + Duration::from_secs(13));
        assert!(!m.is_stalled("grows"));
    }
}
