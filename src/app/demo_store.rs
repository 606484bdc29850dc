//! A small local store to look at when no store is given: a detector stack with holes, a time
//! series, a 3-D volume and a coarse 2-D scan. `extent demo` (`src/demo.rs`) is the live one,
//! with a simulated out-of-order writer.

use std::path::PathBuf;

use serde_json::json;

use crate::backend::local::LocalBackend;
use crate::backend::{ArrayData, Backend, CreateRequest, DType, Result};

/// A fresh temp directory for the demo store.
pub fn temp_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("extent-demo-{}-{nanos}", std::process::id()))
}

fn req(
    path: &str,
    shape: &[u64],
    chunks: &[u64],
    dtype: DType,
    resizable: &[bool],
    meta: serde_json::Value,
) -> CreateRequest {
    CreateRequest {
        path: path.into(),
        shape: shape.to_vec(),
        chunks: chunks.to_vec(),
        dtype,
        resizable: resizable.to_vec(),
        fill_value: json!(0),
        metadata: meta,
        data: None,
    }
}

fn f64_block(shape: &[u64], f: impl Fn(u64) -> f64) -> Result<ArrayData> {
    let n: u64 = shape.iter().product();
    let bytes: Vec<u8> = (0..n).flat_map(|i| f(i).to_le_bytes()).collect();
    ArrayData::new(DType::Float64, shape.to_vec(), bytes)
}

/// Fills `dir` with the demo arrays and opens it.
pub async fn create(dir: &std::path::Path) -> Result<LocalBackend> {
    let b = LocalBackend::open_or_create(dir)?;
    // A detector stack: 16x16 uint16 frames, 8 frames written out of order with gaps.
    b.create(&req(
        "detector/frames",
        &[0, 16, 16],
        &[1, 8, 8],
        DType::UInt16,
        &[true, false, false],
        json!({"detector": "demo", "units": "counts"}),
    ))
    .await?;
    for frame in [2u64, 0, 1, 5, 4, 7] {
        let n = 16 * 16;
        let bytes: Vec<u8> = (0..n)
            .flat_map(|i| ((frame * 100 + i % 97) as u16).to_le_bytes())
            .collect();
        let d = ArrayData::new(DType::UInt16, vec![1, 16, 16], bytes)?;
        b.patch("detector/frames", &[frame, 0, 0], &d, true).await?;
    }
    // A time series of 500 samples in chunks of 50, the last ones not yet written.
    b.create(&req(
        "timeseries/temperature",
        &[500],
        &[50],
        DType::Float64,
        &[true],
        json!({"units": "K"}),
    ))
    .await?;
    let d = f64_block(&[400], |i| 290.0 + 5.0 * (i as f64 / 25.0).sin())?;
    b.patch("timeseries/temperature", &[0], &d, false).await?;
    // A 3-D volume.
    b.create(&req(
        "volume",
        &[8, 12, 12],
        &[4, 4, 4],
        DType::Float32,
        &[true, true, true],
        json!({}),
    ))
    .await?;
    let n = 4 * 12 * 12;
    let bytes: Vec<u8> = (0..n)
        .flat_map(|i| (i as f32 * 0.5).to_le_bytes())
        .collect();
    b.patch(
        "volume",
        &[0, 0, 0],
        &ArrayData::new(DType::Float32, vec![4, 12, 12], bytes)?,
        false,
    )
    .await?;
    // A coarse scan with a diagonal band written.
    b.create(&req(
        "scan/map",
        &[200, 300],
        &[10, 10],
        DType::Float64,
        &[true, true],
        json!({"motor": "x/y"}),
    ))
    .await?;
    for k in 0..20u64 {
        let d = f64_block(&[10, 30], |i| (k * 10 + i / 30) as f64)?;
        b.patch("scan/map", &[k * 10, (k * 13) % 270], &d, false)
            .await?;
    }
    Ok(b)
}
