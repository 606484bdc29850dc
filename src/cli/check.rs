//! `extent check ARRAY|--all [--repair] [--yes] [--json]`: a fsck for arrays.

use crate::backend::{Error, ErrorKind, Finding, FindingCode, Result};

use super::progress::{Progress, Unit};
use super::{array_path, confirm, open_store, Cli, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The array (or group) to check.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub array: Option<String>,
    /// Check every array and group of the store.
    #[arg(long)]
    pub all: bool,
    /// Apply the safe repairs (asks first unless --yes).
    #[arg(long)]
    pub repair: bool,
    /// Repair without asking.
    #[arg(long, short)]
    pub yes: bool,
    /// Print JSON: {"checked": N, "findings": [{"path","code","message","repair","repaired"}]}.
    #[arg(long)]
    pub json: bool,
}

/// Exit code when problems remain.
pub const FINDINGS_EXIT: i32 = 1;

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<i32> {
    let store = open_store(cli, false)?;
    let paths: Vec<String> = if args.all {
        let mut p = vec![String::new()];
        // An array at the root is listed at the empty path, which is checked already.
        p.extend(
            store
                .walk("")
                .await?
                .into_iter()
                .map(|n| n.path)
                .filter(|p| !p.is_empty()),
        );
        p
    } else {
        vec![array_path(args.array.as_deref().unwrap_or_default())?]
    };
    let mut findings: Vec<Finding> = Vec::new();
    let bar = Progress::bar(out.json, paths.len() as u64, Unit::Steps, "checking");
    for p in &paths {
        bar.set_message(format!(
            "checking {}",
            if p.is_empty() { "(store)" } else { p }
        ));
        match store.check(p).await {
            Ok(f) => findings.extend(f),
            // Removed since the walk listed it (another client): nothing left to check.
            Err(e) if args.all && e.kind == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        bar.inc(1);
    }
    bar.finish();
    let fixable = findings.iter().filter(|f| f.repair.is_some()).count();
    if args.repair && fixable > 0 {
        let question = format!("apply {fixable} repair(s)?");
        if !args.yes && !confirm(&question, "check --repair")? {
            return Err(Error::invalid_input("not confirmed; nothing was repaired"));
        }
        let mut repaired = Vec::new();
        let touched: std::collections::BTreeSet<&str> = findings
            .iter()
            .filter(|f| f.repair.is_some())
            .map(|f| f.path.as_str())
            .collect();
        let bar = Progress::bar(out.json, touched.len() as u64, Unit::Steps, "repairing");
        for p in touched {
            repaired.extend(store.repair(p).await?);
            bar.inc(1);
        }
        bar.finish();
        // Keep what needs a person, then what was repaired.
        findings.retain(|f| f.repair.is_none());
        findings.extend(repaired);
    }
    let left = findings.iter().filter(|f| !f.repaired).count();
    let report = serde_json::json!({"checked": paths.len(), "findings": findings});
    out.emit(&report, || {
        if findings.is_empty() {
            return format!("ok: {} node(s) checked, no problems", paths.len());
        }
        let mut s = String::new();
        for f in &findings {
            let label = if f.path.is_empty() {
                "(store)"
            } else {
                f.path.as_str()
            };
            let state = if f.repaired { "repaired" } else { "problem" };
            s.push_str(&format!("{state}: {label}: {}\n", f.message));
            if let (false, Some(r)) = (f.repaired, &f.repair) {
                s.push_str(&format!("  repair (extent check --repair): {r}\n"));
            } else if !f.repaired && f.code == FindingCode::BadMetadata && !f.path.is_empty() {
                s.push_str(&format!("  to delete it: extent rm {} --yes\n", f.path));
            }
        }
        s
    });
    Ok(if left > 0 { FINDINGS_EXIT } else { 0 })
}
