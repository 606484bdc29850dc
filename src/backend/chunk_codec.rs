//! Encoding of the codec chain extent gives new arrays (`bytes` little endian + `zstd`) without
//! going through zarrs' codec chain: a pooled zstd context and output buffer (no context set-up,
//! allocation or page faults per chunk), and zstd's worker threads for a big chunk written
//! alone, so a one-chunk patch (a detector frame) compresses on every core. The frame is
//! ordinary zstd: zarrs, zarr-python and Tiled read it. Any other chain, or a big-endian host,
//! goes through zarrs.

use std::sync::Mutex;

use zarrs::metadata::ArrayMetadata;

/// Chunks at least this big, encoded alone, are split into jobs run on worker threads.
const WORKERS_MIN_BYTES: usize = 1 << 20;
/// Size of one worker job (zstd's smallest): a 2 MiB frame becomes 4 jobs.
const JOB_BYTES: u32 = 512 << 10;
/// Idle contexts kept; output buffers above `KEEP_BYTES` are not kept (memory stays bounded).
const KEEP_CONTEXTS: usize = 8;
const KEEP_BYTES: usize = 64 << 20;

/// The `bytes` + `zstd` chain of an array, when that is its whole chain.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct ZstdChain {
    level: i32,
    checksum: bool,
}

impl ZstdChain {
    /// The chain of `meta` if it is exactly `bytes` (little endian, or no endian for 1-byte
    /// elements) then `zstd` with only `level` and `checksum` set, on a little-endian host.
    pub(crate) fn of(meta: &ArrayMetadata, elem_size: usize) -> Option<ZstdChain> {
        let ArrayMetadata::V3(m) = meta else {
            return None;
        };
        let [bytes, zstd] = m.codecs.as_slice() else {
            return None;
        };
        if bytes.name() != "bytes" || zstd.name() != "zstd" {
            return None;
        }
        let endian = bytes
            .configuration()
            .and_then(|c| c.get("endian"))
            .and_then(|v| v.as_str());
        let byte_order_ok = match endian {
            Some("little") => cfg!(target_endian = "little"),
            None => elem_size == 1,
            Some(_) => false,
        };
        let cfg = zstd.configuration()?;
        if !byte_order_ok || cfg.keys().any(|k| k != "level" && k != "checksum") {
            return None;
        }
        let level = i32::try_from(cfg.get("level")?.as_i64()?).ok()?;
        let checksum = match cfg.get("checksum") {
            None => false,
            Some(v) => v.as_bool()?,
        };
        Some(ZstdChain { level, checksum })
    }

    /// Encodes `raw` (the chunk's elements, native = little endian) and hands the encoded
    /// bytes to `f`. `alone`: no other chunk is being encoded for this write, so worker
    /// threads may be used.
    pub(crate) fn encode_with<R>(
        self,
        raw: &[u8],
        alone: bool,
        f: impl FnOnce(&[u8]) -> R,
    ) -> std::io::Result<R> {
        let workers = if alone && raw.len() >= WORKERS_MIN_BYTES {
            cores()
        } else {
            0
        };
        let mut ctx = match take(self, workers) {
            Some(c) => c,
            None => Ctx::new(self, workers)?,
        };
        ctx.out.clear();
        ctx.out.reserve(zstd::zstd_safe::compress_bound(raw.len()));
        // A context whose compression failed is dropped, not pooled.
        ctx.c.compress_to_buffer(raw, &mut ctx.out)?;
        let r = f(&ctx.out);
        put(ctx);
        Ok(r)
    }
}

/// The cores this process may use (asked once: the answer reads cgroup files each time).
fn cores() -> u32 {
    static CORES: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u32))
}

struct Ctx {
    chain: ZstdChain,
    workers: u32,
    c: zstd::bulk::Compressor<'static>,
    out: Vec<u8>,
}

impl Ctx {
    fn new(chain: ZstdChain, workers: u32) -> std::io::Result<Ctx> {
        use zstd::zstd_safe::CParameter;
        let mut c = zstd::bulk::Compressor::new(chain.level)?;
        c.include_checksum(chain.checksum)?;
        if workers > 1 {
            c.set_parameter(CParameter::NbWorkers(workers))?;
            c.set_parameter(CParameter::JobSize(JOB_BYTES))?;
        }
        Ok(Ctx {
            chain,
            workers,
            c,
            out: Vec::new(),
        })
    }
}

static POOL: Mutex<Vec<Ctx>> = Mutex::new(Vec::new());

fn take(chain: ZstdChain, workers: u32) -> Option<Ctx> {
    let mut pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
    let i = pool
        .iter()
        .rposition(|c| c.chain == chain && c.workers == workers)?;
    Some(pool.swap_remove(i))
}

fn put(mut ctx: Ctx) {
    if ctx.out.capacity() > KEEP_BYTES {
        ctx.out = Vec::new();
    }
    let mut pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
    if pool.len() >= KEEP_CONTEXTS {
        pool.remove(0);
    }
    pool.push(ctx);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(codecs: serde_json::Value) -> ArrayMetadata {
        serde_json::from_value(serde_json::json!({
            "zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "uint16",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": 0, "codecs": codecs
        }))
        .unwrap()
    }

    #[test]
    fn recognises_only_the_plain_chain() {
        let plain = meta(serde_json::json!([
            {"name": "bytes", "configuration": {"endian": "little"}},
            {"name": "zstd", "configuration": {"level": 1, "checksum": false}}
        ]));
        assert_eq!(
            ZstdChain::of(&plain, 2),
            Some(ZstdChain {
                level: 1,
                checksum: false
            })
        );
        for other in [
            serde_json::json!([{"name": "bytes", "configuration": {"endian": "big"}},
                               {"name": "zstd", "configuration": {"level": 1, "checksum": false}}]),
            serde_json::json!([{"name": "bytes", "configuration": {"endian": "little"}}]),
            serde_json::json!([{"name": "bytes", "configuration": {"endian": "little"}},
                               {"name": "gzip", "configuration": {"level": 1}}]),
            serde_json::json!([{"name": "transpose", "configuration": {"order": [0]}},
                               {"name": "bytes", "configuration": {"endian": "little"}},
                               {"name": "zstd", "configuration": {"level": 1, "checksum": false}}]),
        ] {
            assert_eq!(ZstdChain::of(&meta(other.clone()), 2), None, "{other}");
        }
    }

    #[test]
    fn frames_decode_to_the_input_with_and_without_workers() {
        let chain = ZstdChain {
            level: 1,
            checksum: true,
        };
        // Big enough for several worker jobs; mixed compressible and random-ish bytes.
        let raw: Vec<u8> = (0..3 * WORKERS_MIN_BYTES as u32)
            .map(|i| {
                if i % 7 == 0 {
                    (i.wrapping_mul(2654435761) >> 13) as u8
                } else {
                    0
                }
            })
            .collect();
        for alone in [true, false] {
            for _ in 0..3 {
                let frame = chain.encode_with(&raw, alone, |b| b.to_vec()).unwrap();
                assert_eq!(zstd::bulk::decompress(&frame, raw.len()).unwrap(), raw);
                // The content size is in the header (readers that size their buffer need it).
                assert_eq!(
                    zstd::zstd_safe::get_frame_content_size(&frame).unwrap(),
                    Some(raw.len() as u64)
                );
            }
        }
    }
}
