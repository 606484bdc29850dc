//! Renders the chunk grid of an array with 10^6 chunks (1000 × 1000) into a 160×48 buffer.
//! Also measures building the plane (once per chunk-map change, not per frame).

use criterion::{criterion_group, criterion_main, Criterion};
use extent::app::chunk_plane::{ChunkPlane, PlaneAxes};
use extent::backend::{ChunkMap, ChunkState};
use extent::ui::chunk_grid::ChunkGrid;
use extent::ui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

fn million() -> ChunkMap {
    let mut m = ChunkMap::new(vec![1000, 1000], ChunkState::Missing);
    for (i, s) in m.states.iter_mut().enumerate() {
        // Deterministic mix of written and missing chunks.
        if (i * 2_654_435_761) % 7 < 4 {
            *s = ChunkState::Written;
        }
    }
    m
}

fn bench(c: &mut Criterion) {
    let map = million();
    let axes = PlaneAxes::default_for(2);
    let theme = Theme::builtin(false);
    let area = Rect::new(0, 0, 160, 48);
    let changed: Vec<(u64, u64)> = (0..1000).map(|i| (i, (i * 7) % 1000)).collect();

    c.bench_function("chunk_plane_build_1e6", |b| {
        b.iter(|| ChunkPlane::build(&map, &axes))
    });

    let plane = ChunkPlane::build(&map, &axes);
    let mut buf = Buffer::empty(area);
    c.bench_function("chunk_grid_render_1e6_160x48", |b| {
        b.iter(|| {
            let g = ChunkGrid {
                plane: &plane,
                zoom: 0,
                pan: (0, 0),
                changed: &changed,
                theme: &theme,
                row_axis: Some(0),
                col_axis: 1,
                slice: String::new(),
            };
            g.render(area, &mut buf);
        })
    });
    c.bench_function("chunk_grid_render_1e6_160x48_zoom3", |b| {
        b.iter(|| {
            let g = ChunkGrid {
                plane: &plane,
                zoom: 3,
                pan: (300, 400),
                changed: &changed,
                theme: &theme,
                row_axis: Some(0),
                col_axis: 1,
                slice: String::new(),
            };
            g.render(area, &mut buf);
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
