//! The frame view's cost: a 4096×4096 uint16 frame binned to fit a 200×100-cell pane (200×200
//! pixels with half blocks) and given contrast limits; then the binned image drawn into the
//! pane. Targets: binning + limits ≤ 40 ms, drawing ≤ 5 ms. The conversion of the raw frame is
//! timed both ways: into a fresh buffer and into a kept one; and the whole of what the viewer
//! does with each frame it follows (`follow_uint16_4096_per_frame`).
//!
//! Times are the CPU time of the benchmark thread (`/proc/thread-self/schedstat`), not wall
//! time: on a shared, loaded machine wall time measures the other processes too. Where that
//! file is missing, wall time is used.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use extent::backend::{ArrayData, DType};
use extent::frame::{bin, fit_factor, BinMode, Colormap, Contrast, Frame};
use extent::ui::frame::{ColorBar, Depth, Heatmap};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

const SIDE: u64 = 4096;

/// Nanoseconds this thread has run on a CPU, if the kernel says.
fn cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Runs `f` `iters` times and returns the CPU time it took (wall time without schedstat).
fn timed<R>(iters: u64, mut f: impl FnMut() -> R) -> Duration {
    let (cpu, wall) = (cpu_ns(), Instant::now());
    for _ in 0..iters {
        std::hint::black_box(f());
    }
    match (cpu, cpu_ns()) {
        (Some(a), Some(b)) => Duration::from_nanos(b.saturating_sub(a)),
        _ => wall.elapsed(),
    }
}

/// Rings and noise, as a detector might give.
fn frame() -> Frame {
    let mut bytes = Vec::with_capacity((SIDE * SIDE * 2) as usize);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for r in 0..SIDE {
        for c in 0..SIDE {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let (dr, dc) = (r as f64 - 2048.0, c as f64 - 2048.0);
            let ring = ((dr * dr + dc * dc).sqrt() / 40.0).sin() * 1500.0 + 2000.0;
            let v = (ring + (seed % 200) as f64) as u16;
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    let data = ArrayData::new(DType::UInt16, vec![1, SIDE, SIDE], bytes).unwrap();
    Frame::from_data(&data, vec![0], [0, 0]).unwrap()
}

fn bench(c: &mut Criterion) {
    let f = frame();
    let (cols, rows) = (200usize, 100usize);
    let k = fit_factor(f.height(), f.width(), rows * 2, cols);
    let mut g = c.benchmark_group("frame");
    g.sample_size(20);
    g.bench_function("bin_mean_and_auto_limits_4096_to_200x100", |b| {
        b.iter_custom(|n| {
            timed(n, || {
                let img = bin(f.view(), [k, k], BinMode::Mean);
                let l = Contrast::Auto.limits(f.view());
                (img, l)
            })
        })
    });
    g.bench_function("bin_max_4096", |b| {
        b.iter_custom(|n| timed(n, || bin(f.view(), [k, k], BinMode::Max)))
    });
    g.bench_function("limits_minmax_4096", |b| {
        b.iter_custom(|n| timed(n, || Contrast::MinMax.limits(f.view())))
    });
    g.bench_function("limits_auto_4096", |b| {
        b.iter_custom(|n| timed(n, || Contrast::Auto.limits(f.view())))
    });
    let raw = {
        let bytes: Vec<u8> = f
            .view()
            .iter()
            .flat_map(|&v| (v as u16).to_le_bytes())
            .collect();
        ArrayData::new(DType::UInt16, vec![1, SIDE, SIDE], bytes).unwrap()
    };
    g.bench_function("decode_uint16_4096", |b| {
        b.iter_custom(|n| timed(n, || Frame::from_data(&raw, vec![0], [0, 0]).unwrap()))
    });
    // What the TUI does while following: each frame converted into the buffer of one before.
    let mut kept = Frame::from_data(&raw, vec![0], [0, 0]).unwrap();
    g.bench_function("decode_uint16_4096_into_kept_buffer", |b| {
        b.iter_custom(|n| timed(n, || kept.refill(&raw, vec![0], [0, 0]).unwrap()))
    });
    // What the viewer does with each frame while following (half blocks, auto contrast): the
    // frame converted into a kept buffer with its summary, the sampled statistics, the
    // limits, and the fit to the pane from the frame's own element type.
    g.bench_function("fit_mean_4096_to_200x200", |b| {
        b.iter_custom(|n| timed(n, || kept.pixels().resample((200, 200), BinMode::Mean)))
    });
    g.bench_function("follow_uint16_4096_per_frame", |b| {
        b.iter_custom(|n| {
            timed(n, || {
                kept.refill(&raw, vec![0], [0, 0]).unwrap();
                let stats = kept.sampled_stats(16, 1 << 16);
                let limits = kept.limits(Contrast::Auto);
                let img = kept.pixels().resample((200, 200), BinMode::Mean);
                (stats, limits, img)
            })
        })
    });
    g.finish();

    let img = bin(f.view(), [k, k], BinMode::Mean);
    let limits = Contrast::Auto.limits(f.view());
    let area = Rect::new(0, 0, cols as u16, rows as u16);
    let mut buf = Buffer::empty(area);
    for (name, depth) in [
        ("draw_200x100_truecolor", Depth::TrueColor),
        ("draw_200x100_256", Depth::Ansi256),
    ] {
        c.bench_function(name, |b| {
            b.iter_custom(|n| {
                timed(n, || {
                    Heatmap {
                        pixels: img.view(),
                        limits,
                        colormap: Colormap::Viridis,
                        depth,
                        cursor: Some((50, 60)),
                    }
                    .render(area, &mut buf);
                    ColorBar {
                        limits,
                        colormap: Colormap::Viridis,
                        depth,
                    }
                    .render(Rect::new(0, rows as u16 - 2, cols as u16, 2), &mut buf);
                })
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
