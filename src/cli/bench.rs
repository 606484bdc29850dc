//! `extent bench [--shape-per-patch 1,2048,2048] [--dtype uint16] [--count N] [--concurrency K]
//! [--in-bounds]`.

use crate::backend::{parse_shape, DType, Result};
use crate::bench::{self, BenchConfig};

use super::progress::{Progress, Unit};
use super::{open_store, Cli, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Shape of one patch (a frame); axis 0 grows.
    #[arg(long, default_value = "1,512,512")]
    pub shape_per_patch: String,
    #[arg(long, default_value = "uint16")]
    pub dtype: String,
    /// Number of patches per phase.
    #[arg(long, default_value_t = 100)]
    pub count: u64,
    /// Patches in flight at once.
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Grow the array to its full shape first (untimed), then write the frames in bounds,
    /// shuffled: how fast a store fills an array, apart from growing it.
    #[arg(long)]
    pub in_bounds: bool,
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<()> {
    let cfg = BenchConfig {
        patch_shape: parse_shape(&args.shape_per_patch)?,
        dtype: DType::parse(&args.dtype)?,
        count: args.count,
        concurrency: args.concurrency,
        prefix: "extent-bench".into(),
        in_bounds: args.in_bounds,
    };
    let store = open_store(cli, true)?;
    let bar = Progress::bar(args.json, cfg.steps(), Unit::Steps, "bench");
    let report = bench::run(store, &cfg, &|done, _total| bar.set_position(done)).await;
    bar.finish();
    let report = report?;
    out.emit(&report, || {
        let mut s = format!(
            "{}  {} patches of {:?} {} (concurrency {}), every byte verified\n",
            report.store, report.count, report.patch_shape, report.dtype, report.concurrency
        );
        s.push_str(&format!(
            "{:<15} {:>10} {:>12} {:>10} {:>10}\n",
            "phase", "MB/s", "patches/s", "p50 ms", "p95 ms"
        ));
        for p in &report.phases {
            s.push_str(&format!(
                "{:<15} {:>10.1} {:>12.1} {:>10.2} {:>10.2}\n",
                p.phase, p.mb_per_s, p.patches_per_s, p.p50_ms, p.p95_ms
            ));
        }
        s
    });
    Ok(())
}
