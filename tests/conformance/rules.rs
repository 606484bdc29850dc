//! The semantic rules, written once. Each takes a fresh empty store (`Cx`) and must hold on
//! every backend. A rule never asks which backend it has: where backends differ it branches
//! on the `Capabilities` the backend declares, and checks that the declaration is true (a
//! backend that cannot shrink must refuse with a clear `unsupported` error), so a new backend
//! runs these rules without an edit here.

use extent::backend::{
    ArrayData, ArrayInfo, Backend, Cause, ChunkState, DType, ErrorKind, NodeKind, Result, Selection,
};
use serde_json::json;

use crate::Cx;

// Rules kept in files of their own, listed here so `on_both!` finds every rule in one place.
pub use crate::rules_cli::cli_commands;
pub use crate::rules_concurrent::{
    concurrent_writers_converge, one_writer_many_in_flight, processes_extend_concurrently,
};

// ---------- helpers ----------

pub use crate::common::create_request as req;

/// float64 block whose element i is `base + i`.
pub fn f64s(shape: &[u64], base: f64) -> ArrayData {
    let n: u64 = shape.iter().product();
    let bytes = (0..n)
        .flat_map(|i| (base + i as f64).to_le_bytes())
        .collect();
    ArrayData::new(DType::Float64, shape.to_vec(), bytes).unwrap()
}

/// uint16 block whose element i is `base + i`.
pub fn u16s(shape: &[u64], base: u16) -> ArrayData {
    let n: u64 = shape.iter().product();
    let bytes = (0..n as u16)
        .flat_map(|i| (base.wrapping_add(i)).to_le_bytes())
        .collect();
    ArrayData::new(DType::UInt16, shape.to_vec(), bytes).unwrap()
}

pub fn values(d: &ArrayData) -> Vec<f64> {
    (0..d.len()).map(|i| d.get_f64(i)).collect()
}

pub async fn read_all(b: &dyn Backend, path: &str) -> ArrayData {
    b.read(path, None).await.unwrap()
}

#[track_caller]
pub fn expect_kind<T: std::fmt::Debug>(r: Result<T>, kind: ErrorKind) -> String {
    match r {
        Ok(v) => panic!("expected a {kind:?} error, got Ok({v:?})"),
        Err(e) => {
            assert_eq!(e.kind, kind, "wrong kind; message: {}", e.message);
            assert!(!e.message.is_empty());
            e.message
        }
    }
}

/// The array written in order (frames 0..n of `frame` rows each), for convergence checks.
pub fn frame(i: u64, width: u64) -> ArrayData {
    u16s(&[1, width], (i * 100) as u16)
}

// ---------- rules ----------

pub async fn create_and_show(cx: &Cx) {
    let b = cx.b();
    let mut r = req("a", &[4, 3], &[2, 3], DType::Float64);
    r.resizable = vec![true, false];
    r.metadata = json!({"beamline": "x1", "n": 3});
    r.fill_value = json!(1.5);
    let created = b.create(&r).await.unwrap();
    let shown = b.show("a").await.unwrap();
    assert_eq!(created, shown);
    assert_eq!(
        shown,
        ArrayInfo {
            path: "a".into(),
            shape: vec![4, 3],
            chunks: vec![2, 3],
            dtype: DType::Float64,
            resizable: vec![true, false],
            fill_value: json!(1.5),
            metadata: json!({"beamline": "x1", "n": 3}),
        }
    );
    // A fresh array reads as its fill value.
    assert_eq!(values(&read_all(b, "a").await), vec![1.5; 12]);
    let listed = b.list("").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].path, "a");
    assert_eq!(listed[0].kind, NodeKind::Array);
    assert_eq!(listed[0].shape.as_deref(), Some(&[4u64, 3][..]));
    assert_eq!(listed[0].dtype, Some(DType::Float64));
    // Initial data.
    let mut r = req("b", &[2, 2], &[1, 2], DType::Float64);
    r.data = Some(f64s(&[2, 2], 10.0));
    b.create(&r).await.unwrap();
    assert_eq!(
        values(&read_all(b, "b").await),
        vec![10.0, 11.0, 12.0, 13.0]
    );
}

pub async fn every_dtype_round_trips(cx: &Cx) {
    let b = cx.b();
    for d in DType::ALL {
        let path = format!("t_{}", d.name());
        let n = 4usize;
        // Element i = i for numbers, i % 2 for bool; the top element is the type's extreme.
        let mut bytes = Vec::new();
        for i in 0..n {
            let v = if d == DType::Bool {
                json!(i % 2 == 1)
            } else {
                json!(i)
            };
            bytes.extend(extent::backend::scalar_bytes(d, &v).unwrap());
        }
        let extreme = match d {
            DType::Bool => json!(true),
            DType::Int8 => json!(i8::MIN),
            DType::Int16 => json!(i16::MIN),
            DType::Int32 => json!(i32::MIN),
            DType::Int64 => json!(i64::MIN),
            DType::UInt8 => json!(u8::MAX),
            DType::UInt16 => json!(u16::MAX),
            DType::UInt32 => json!(u32::MAX),
            DType::UInt64 => json!(u64::MAX),
            DType::Float32 => json!(-3.4e38),
            DType::Float64 => json!(-1.7e308),
        };
        let last = extent::backend::scalar_bytes(d, &extreme).unwrap();
        let s = d.size();
        bytes[(n - 1) * s..].copy_from_slice(&last);
        let data = ArrayData::new(d, vec![n as u64], bytes).unwrap();
        let mut r = req(&path, &[2], &[2], d);
        r.data = Some(ArrayData::new(d, vec![2], data.bytes[..2 * s].to_vec()).unwrap());
        b.create(&r).await.unwrap();
        let rest = ArrayData::new(d, vec![2], data.bytes[2 * s..].to_vec()).unwrap();
        let info = b.patch(&path, &[2], &rest, true).await.unwrap();
        assert_eq!(info.shape, vec![4], "{d}");
        assert_eq!(info.dtype, d);
        assert_eq!(read_all(b, &path).await, data, "{d}");
    }
}

pub async fn patch_in_bounds(cx: &Cx) {
    let b = cx.b();
    b.create(&req("a", &[4, 3], &[2, 3], DType::Float64))
        .await
        .unwrap();
    let info = b
        .patch("a", &[1, 1], &f64s(&[2, 2], 1.0), false)
        .await
        .unwrap();
    assert_eq!(info.shape, vec![4, 3]);
    #[rustfmt::skip]
    let want = vec![
        0.0, 0.0, 0.0,
        0.0, 1.0, 2.0,
        0.0, 3.0, 4.0,
        0.0, 0.0, 0.0,
    ];
    assert_eq!(values(&read_all(b, "a").await), want);
    // `extend` on a patch that fits changes nothing about the shape.
    let info = b
        .patch("a", &[0, 0], &f64s(&[1, 3], 7.0), true)
        .await
        .unwrap();
    assert_eq!(info.shape, vec![4, 3]);
    assert_eq!(values(&read_all(b, "a").await)[..3], [7.0, 8.0, 9.0]);
    // No structure change, no history entry beyond the creation.
    let h = b.history("a").await.unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].cause, Cause::Create);
}

pub async fn extend_returns_the_new_structure(cx: &Cx) {
    let b = cx.b();
    b.create(&req("a", &[4, 3], &[2, 3], DType::Float64))
        .await
        .unwrap();
    let info = b
        .patch("a", &[6, 0], &f64s(&[2, 3], 1.0), true)
        .await
        .unwrap();
    assert_eq!(info.shape, vec![8, 3]);
    assert_eq!(info.chunks, vec![2, 3]);
    assert_eq!(info, b.show("a").await.unwrap());
    let all = values(&read_all(b, "a").await);
    assert_eq!(all.len(), 24);
    assert_eq!(
        all[..18],
        [0.0; 18],
        "rows 0..6 (4..6 is the gap) read the fill value"
    );
    assert_eq!(all[18..], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    // Extending along a second axis, ragged against the chunk grid.
    let info = b
        .patch("a", &[0, 3], &f64s(&[1, 2], 9.0), true)
        .await
        .unwrap();
    assert_eq!(info.shape, vec![8, 5]);
    let all = read_all(b, "a").await;
    assert_eq!(all.shape, vec![8, 5]);
    assert_eq!(values(&all)[3..5], [9.0, 10.0]);
    assert_eq!(values(&all)[35..], [4.0, 5.0, 6.0, 0.0, 0.0]);
    let h = b.history("a").await.unwrap();
    let shapes: Vec<_> = h
        .iter()
        .map(|e| (e.cause, e.old_shape.clone(), e.new_shape.clone()))
        .collect();
    assert_eq!(
        shapes,
        vec![
            (Cause::Create, None, Some(vec![4, 3])),
            (Cause::Patch, Some(vec![4, 3]), Some(vec![8, 3])),
            (Cause::Patch, Some(vec![8, 3]), Some(vec![8, 5])),
        ]
    );
}

pub async fn out_of_bounds_writes_nothing(cx: &Cx) {
    let b = cx.b();
    let mut r = req("a", &[4, 3], &[2, 3], DType::Float64);
    r.data = Some(f64s(&[4, 3], 0.5));
    b.create(&r).await.unwrap();
    let before = read_all(b, "a").await;
    for (offset, shape) in [
        ([3u64, 0u64], [2u64, 3u64]),
        ([0, 2], [1, 2]),
        ([10, 10], [1, 1]),
    ] {
        let msg = expect_kind(
            b.patch("a", &offset, &f64s(&shape, 100.0), false).await,
            ErrorKind::OutOfBounds,
        );
        assert!(
            msg.contains("extend"),
            "the message says how to grow: {msg}"
        );
    }
    assert_eq!(read_all(b, "a").await, before, "nothing was written");
    assert_eq!(b.show("a").await.unwrap().shape, vec![4, 3]);
    assert_eq!(b.history("a").await.unwrap().len(), 1);
}

pub async fn out_of_order_converges(cx: &Cx) {
    let b = cx.b();
    let width = 4;
    // Frames 0..5 exist; 7, 5, 6 arrive in that order on one array, 5, 6, 7 on the other.
    for name in ["ooo", "ordered"] {
        let mut r = req(name, &[5, width], &[1, width], DType::UInt16);
        let mut first = Vec::new();
        for i in 0..5 {
            first.extend(frame(i, width).bytes);
        }
        r.data = Some(ArrayData::new(DType::UInt16, vec![5, width], first).unwrap());
        b.create(&r).await.unwrap();
    }
    let mut shapes = Vec::new();
    for i in [7, 5, 6] {
        shapes.push(
            b.patch("ooo", &[i, 0], &frame(i, width), true)
                .await
                .unwrap()
                .shape,
        );
    }
    assert_eq!(shapes, vec![vec![8, width], vec![8, width], vec![8, width]]);
    for i in [5, 6, 7] {
        b.patch("ordered", &[i, 0], &frame(i, width), true)
            .await
            .unwrap();
    }
    let a = read_all(b, "ooo").await;
    assert_eq!(a, read_all(b, "ordered").await);
    assert_eq!(a.shape, vec![8, width]);
    let firsts: Vec<f64> = (0..8).map(|r| a.get_f64(r * width as usize)).collect();
    assert_eq!(
        firsts,
        vec![0.0, 100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0]
    );
}

pub async fn refused_before_anything_is_written(cx: &Cx) {
    let b = cx.b();
    let mut r = req("a", &[4, 3], &[2, 3], DType::Float64);
    r.resizable = vec![true, false];
    r.data = Some(f64s(&[4, 3], 1.0));
    b.create(&r).await.unwrap();
    let before = read_all(b, "a").await;
    // Same byte count, other dtype: Tiled would reinterpret the bytes, so extent must refuse.
    let ints = ArrayData::new(DType::Int64, vec![2, 3], vec![0xff; 48]).unwrap();
    expect_kind(
        b.patch("a", &[0, 0], &ints, false).await,
        ErrorKind::DtypeMismatch,
    );
    expect_kind(
        b.patch("a", &[4, 0], &ints, true).await,
        ErrorKind::DtypeMismatch,
    );
    // Other number of axes (Tiled would answer 500 and leave the node inconsistent).
    expect_kind(
        b.patch("a", &[0], &f64s(&[3], 0.0), true).await,
        ErrorKind::ShapeMismatch,
    );
    expect_kind(
        b.patch("a", &[0, 0, 0], &f64s(&[1, 1, 1], 0.0), true).await,
        ErrorKind::ShapeMismatch,
    );
    expect_kind(
        b.patch("a", &[0], &f64s(&[1, 1], 0.0), true).await,
        ErrorKind::ShapeMismatch,
    );
    // Axis 1 is not resizable (the server does not enforce this either).
    expect_kind(
        b.patch("a", &[0, 2], &f64s(&[1, 2], 0.0), true).await,
        ErrorKind::NotResizable,
    );
    expect_kind(
        b.resize("a", &[4, 5], Cause::Resize).await,
        ErrorKind::NotResizable,
    );
    expect_kind(
        b.resize("a", &[4], Cause::Resize).await,
        ErrorKind::ShapeMismatch,
    );
    // Overflowing offsets.
    expect_kind(
        b.patch("a", &[u64::MAX, 0], &f64s(&[1, 3], 0.0), true)
            .await,
        ErrorKind::InvalidInput,
    );
    assert_eq!(read_all(b, "a").await, before);
    assert_eq!(b.show("a").await.unwrap().shape, vec![4, 3]);
    assert_eq!(b.history("a").await.unwrap().len(), 1);
    // The resizable axis still grows.
    let info = b
        .patch("a", &[4, 0], &f64s(&[1, 3], 0.0), true)
        .await
        .unwrap();
    assert_eq!(info.shape, vec![5, 3]);
}

pub async fn fill_value_in_gaps(cx: &Cx) {
    let b = cx.b();
    let mut r = req("a", &[2, 2], &[2, 2], DType::Int32);
    r.fill_value = json!(-7);
    b.create(&r).await.unwrap();
    let one = ArrayData::new(
        DType::Int32,
        vec![1, 3],
        [1i32, 2, 3].iter().flat_map(|v| v.to_le_bytes()).collect(),
    )
    .unwrap();
    // Grows both axes: rows 2..4 and column 2 of rows 0..2 are gaps.
    let info = b.patch("a", &[4, 0], &one, true).await.unwrap();
    assert_eq!(info.shape, vec![5, 3]);
    assert_eq!(info.fill_value, json!(-7));
    #[rustfmt::skip]
    let want = vec![
        -7.0, -7.0, -7.0,
        -7.0, -7.0, -7.0,
        -7.0, -7.0, -7.0,
        -7.0, -7.0, -7.0,
        1.0, 2.0, 3.0,
    ];
    assert_eq!(values(&read_all(b, "a").await), want);
    // Growing by resize fills too.
    let info = b.resize("a", &[6, 4], Cause::Resize).await.unwrap();
    assert_eq!(info.shape, vec![6, 4]);
    let all = values(&read_all(b, "a").await);
    assert_eq!(all[..16], [-7.0; 16]);
    assert_eq!(all[16..20], [1.0, 2.0, 3.0, -7.0]);
    assert_eq!(all[20..], [-7.0; 4]);
    assert_eq!(all.iter().filter(|&&v| v == -7.0).count(), 21);
    // Float NaN fill.
    let mut r = req("nan", &[2], &[2], DType::Float32);
    r.fill_value = json!("NaN");
    b.create(&r).await.unwrap();
    let x = ArrayData::new(DType::Float32, vec![1], 1.0f32.to_le_bytes().to_vec()).unwrap();
    b.patch("nan", &[3], &x, true).await.unwrap();
    let v = values(&read_all(b, "nan").await);
    assert!(v[..3].iter().all(|x| x.is_nan()) && v[3] == 1.0, "{v:?}");
}

pub async fn slices(cx: &Cx) {
    let b = cx.b();
    let mut r = req("a", &[6, 4], &[2, 2], DType::Float64);
    r.data = Some(f64s(&[6, 4], 0.0));
    b.create(&r).await.unwrap();
    let sel = |s: &str| extent::backend::parse_slice(s, &[6, 4]).unwrap();
    let d = b.read("a", Some(&sel("1:3,1:"))).await.unwrap();
    assert_eq!(d.shape, vec![2, 3]);
    assert_eq!(values(&d), vec![5.0, 6.0, 7.0, 9.0, 10.0, 11.0]);
    let d = b.read("a", Some(&sel("-1,2"))).await.unwrap();
    assert_eq!((d.shape.clone(), values(&d)), (vec![1, 1], vec![22.0]));
    let d = b.read("a", Some(&sel("3:3"))).await.unwrap();
    assert_eq!(d.shape, vec![0, 4]);
    assert!(d.is_empty());
    let d = b.read("a", Some(&sel(":,3"))).await.unwrap();
    assert_eq!(values(&d), vec![3.0, 7.0, 11.0, 15.0, 19.0, 23.0]);
    let outside = Selection {
        start: vec![5, 0],
        end: vec![7, 4],
    };
    expect_kind(b.read("a", Some(&outside)).await, ErrorKind::OutOfBounds);
    let wrong = Selection {
        start: vec![0],
        end: vec![1],
    };
    expect_kind(b.read("a", Some(&wrong)).await, ErrorKind::ShapeMismatch);
}

pub async fn pagination_past_300(cx: &Cx) {
    let b = cx.b();
    let n = 305u64;
    // One at a time: a Tiled server on SQLite answers 500 "database is locked" to
    // concurrent creates.
    for i in 0..n {
        b.create(&req(&format!("g/a{i:03}"), &[1], &[1], DType::UInt8))
            .await
            .unwrap();
    }
    let mut all = b.list("g").await.unwrap();
    assert_eq!(all.len() as u64, n);
    all.sort_by(|x, y| x.path.cmp(&y.path));
    let want: Vec<String> = (0..n).map(|i| format!("g/a{i:03}")).collect();
    assert_eq!(all.iter().map(|e| e.path.clone()).collect::<Vec<_>>(), want);
    assert!(all
        .iter()
        .all(|e| e.kind == NodeKind::Array && e.shape == Some(vec![1])));
    let p0 = b.list_page("g", 0, 300).await.unwrap();
    assert_eq!((p0.entries.len(), p0.total), (300, Some(n)));
    let p1 = b.list_page("g", 300, 300).await.unwrap();
    assert_eq!((p1.entries.len(), p1.total), (5, Some(n)));
    let mut paged: Vec<String> = p0
        .entries
        .into_iter()
        .chain(p1.entries)
        .map(|e| e.path)
        .collect();
    paged.sort();
    assert_eq!(paged, want);
    let walked = b.walk("").await.unwrap();
    assert_eq!(walked.len() as u64, n + 1);
}

pub async fn shrink(cx: &Cx) {
    let b = cx.b();
    let mut r = req("a", &[4, 3], &[2, 3], DType::Float64);
    r.data = Some(f64s(&[4, 3], 1.0));
    b.create(&r).await.unwrap();
    let before = read_all(b, "a").await;
    let result = b.resize("a", &[3, 3], Cause::Resize).await;
    if b.capabilities().can_shrink {
        assert_eq!(result.unwrap().shape, vec![3, 3]);
        assert_eq!(values(&read_all(b, "a").await), values(&before)[..9]);
        // Growing back reads the fill value, not the old data.
        b.resize("a", &[4, 3], Cause::Resize).await.unwrap();
        assert_eq!(values(&read_all(b, "a").await)[9..], [0.0; 3]);
    } else {
        let msg = expect_kind(result, ErrorKind::Unsupported);
        assert!(msg.contains("cannot shrink"), "{msg}");
        assert_eq!(read_all(b, "a").await, before);
        assert_eq!(b.history("a").await.unwrap().len(), 1);
    }
}

pub async fn grow_by_resize(cx: &Cx) {
    let b = cx.b();
    let mut r = req("a", &[2, 2], &[2, 2], DType::Float64);
    r.data = Some(f64s(&[2, 2], 1.0));
    b.create(&r).await.unwrap();
    let info = b.resize("a", &[5, 2], Cause::Resize).await.unwrap();
    assert_eq!(info.shape, vec![5, 2]);
    assert_eq!(info, b.show("a").await.unwrap());
    assert_eq!(
        values(&read_all(b, "a").await),
        vec![1.0, 2.0, 3.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    );
    // The same shape again is a no-op (no history entry).
    b.resize("a", &[5, 2], Cause::Resize).await.unwrap();
    let info = b.resize("a", &[5, 3], Cause::Resize).await.unwrap();
    assert_eq!(info.shape, vec![5, 3]);
    let h: Vec<_> = b
        .history("a")
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.cause, e.old_shape, e.new_shape))
        .collect();
    assert_eq!(
        h,
        vec![
            (Cause::Create, None, Some(vec![2, 2])),
            (Cause::Resize, Some(vec![2, 2]), Some(vec![5, 2])),
            (Cause::Resize, Some(vec![5, 2]), Some(vec![5, 3])),
        ]
    );
}

pub async fn errors_by_kind(cx: &Cx) {
    let b = cx.b();
    b.create(&req("g/a", &[2], &[2], DType::UInt8))
        .await
        .unwrap();
    expect_kind(b.show("nope").await, ErrorKind::NotFound);
    expect_kind(b.read("g/nope", None).await, ErrorKind::NotFound);
    expect_kind(
        b.patch("nope", &[0], &u16s(&[1], 0), true).await,
        ErrorKind::NotFound,
    );
    expect_kind(b.history("nope").await, ErrorKind::NotFound);
    expect_kind(b.delete("nope").await, ErrorKind::NotFound);
    expect_kind(b.list("nope").await, ErrorKind::NotFound);
    expect_kind(b.show("g").await, ErrorKind::InvalidInput);
    expect_kind(b.list("g/a").await, ErrorKind::InvalidInput);
    expect_kind(
        b.create(&req("g/a", &[2], &[2], DType::UInt8)).await,
        ErrorKind::AlreadyExists,
    );
    // Not under an array.
    expect_kind(
        b.create(&req("g/a/b", &[2], &[2], DType::UInt8)).await,
        ErrorKind::InvalidInput,
    );
    // Bad paths and requests never reach the store.
    for bad in ["../x", "a//b", "/abs", ".hidden"] {
        expect_kind(b.show(bad).await, ErrorKind::InvalidInput);
    }
    expect_kind(
        b.create(&req("c", &[2], &[2, 1], DType::UInt8)).await,
        ErrorKind::ShapeMismatch,
    );
    expect_kind(
        b.create(&req("c", &[2], &[0], DType::UInt8)).await,
        ErrorKind::InvalidInput,
    );
    let mut r = req("c", &[2], &[2], DType::UInt8);
    r.fill_value = json!(300);
    expect_kind(b.create(&r).await, ErrorKind::InvalidInput);
    expect_kind(b.delete("").await, ErrorKind::InvalidInput);
    b.delete("g/a").await.unwrap();
    expect_kind(b.show("g/a").await, ErrorKind::NotFound);
    // A re-created array starts a fresh history.
    b.create(&req("g/a", &[4], &[2], DType::UInt8))
        .await
        .unwrap();
    assert_eq!(b.history("g/a").await.unwrap().len(), 1);
    b.delete("g").await.unwrap();
    assert!(b.list("").await.unwrap().is_empty());
}

pub async fn nested_groups(cx: &Cx) {
    let b = cx.b();
    b.create(&req("x/y/z", &[2], &[1], DType::Float32))
        .await
        .unwrap();
    b.create(&req("x/w", &[2], &[1], DType::Float32))
        .await
        .unwrap();
    let root = b.list("").await.unwrap();
    assert_eq!(root.len(), 1);
    assert_eq!(
        (root[0].path.as_str(), root[0].kind.clone()),
        ("x", NodeKind::Group)
    );
    let walked: Vec<(String, NodeKind)> = b
        .walk("")
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.path, e.kind))
        .collect();
    assert_eq!(
        walked,
        vec![
            ("x".into(), NodeKind::Group),
            ("x/w".into(), NodeKind::Array),
            ("x/y".into(), NodeKind::Group),
            ("x/y/z".into(), NodeKind::Array),
        ]
    );
}

pub async fn chunk_states_and_capabilities(cx: &Cx) {
    let b = cx.b();
    b.create(&req("a", &[4, 4], &[2, 2], DType::UInt8))
        .await
        .unwrap();
    b.patch(
        "a",
        &[0, 0],
        &ArrayData::new(DType::UInt8, vec![1, 1], vec![1]).unwrap(),
        false,
    )
    .await
    .unwrap();
    let map = b.chunk_states("a").await.unwrap();
    assert_eq!(map.grid, vec![2, 2]);
    let caps = b.capabilities();
    if caps.lists_chunks {
        assert_eq!(map.states[0], ChunkState::Written);
        assert_eq!(map.states[3], ChunkState::Missing);
    } else {
        assert!(map.states.iter().all(|s| *s == ChunkState::Unknown));
    }
    // `history_in_store` is checked against what it means in `history_survives_reopen`.
    assert!(!b.describe().is_empty());
}

/// A shape that is not a whole number of chunks, and one with a zero-length axis: made and
/// usable where the store declares it can hold them, refused as `invalid_input` with nothing
/// made where it declares it cannot.
pub async fn create_shapes_the_store_can_hold(cx: &Cx) {
    let b = cx.b();
    let caps = b.capabilities();
    let partial = b
        .create(&req("partial", &[5, 3], &[2, 3], DType::Float64))
        .await;
    if caps.partial_chunks {
        assert_eq!(partial.unwrap().shape, vec![5, 3]);
        // The last row lives in a partial edge chunk.
        b.patch("partial", &[4, 0], &f64s(&[1, 3], 1.0), false)
            .await
            .unwrap();
        assert_eq!(values(&read_all(b, "partial").await)[12..], [1.0, 2.0, 3.0]);
    } else {
        expect_kind(partial, ErrorKind::InvalidInput);
        expect_kind(b.show("partial").await, ErrorKind::NotFound);
    }
    let empty = b
        .create(&req("empty", &[0, 3], &[2, 3], DType::Float64))
        .await;
    if caps.empty_axes {
        assert_eq!(empty.unwrap().shape, vec![0, 3]);
        let grown = b
            .patch("empty", &[0, 0], &f64s(&[1, 3], 1.0), true)
            .await
            .unwrap();
        assert_eq!(grown.shape, vec![1, 3]);
        assert_eq!(values(&read_all(b, "empty").await), [1.0, 2.0, 3.0]);
    } else {
        expect_kind(empty, ErrorKind::InvalidInput);
        expect_kind(b.show("empty").await, ErrorKind::NotFound);
    }
    let listed: Vec<String> = b
        .list("")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.path)
        .collect();
    let made = [caps.empty_axes, caps.partial_chunks]
        .iter()
        .filter(|&&m| m)
        .count();
    assert_eq!(listed.len(), made, "{listed:?}");
}

pub async fn history_survives_reopen(cx: &Cx) {
    cx.b()
        .create(&req("a", &[2], &[2], DType::Int8))
        .await
        .unwrap();
    cx.b().resize("a", &[4], Cause::Resize).await.unwrap();
    let again = cx.reopen();
    let h = again.history("a").await.unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].new_shape, Some(vec![4]));
    assert!(h
        .iter()
        .all(|e| e.actor.contains('@') && e.time.ends_with('Z')));
    // From another machine (none of this one's local state): the store's own history, or,
    // when extent keeps it beside the store, only what that machine observes itself.
    let elsewhere = cx.reopen_elsewhere();
    let there = elsewhere.history("a").await.unwrap();
    if cx.b().capabilities().history_in_store {
        assert_eq!(there, h);
    } else {
        assert_eq!(there.len(), 1, "{there:?}");
        assert_eq!(there[0].cause, Cause::Observed, "{there:?}");
        assert_eq!(there[0].new_shape, Some(vec![4]));
    }
}
