//! A PNG encoder for 8-bit RGB images: signature, IHDR, zlib-compressed IDAT, IEND.
//!
//! Written over flate2 (already built for zarrs' gzip codec) rather than adding the `png`
//! crate: an RGB image needs only these four chunks, so this costs no new dependency.

use std::io::Write;

use flate2::write::ZlibEncoder;
use flate2::{Compression, Crc};
use ndarray::ArrayView2;

use super::{Colormap, Limits};

/// The largest IDAT chunk written (any size is valid; smaller ones are conventional).
const IDAT_MAX: usize = 1 << 20;

/// The 8-bit RGB pixels (row-major, 3 bytes each) of `pixels` drawn with `map` and `limits`.
pub fn rgb(pixels: ArrayView2<f64>, map: Colormap, limits: &Limits) -> Vec<u8> {
    let mut out = Vec::with_capacity(pixels.len() * 3);
    for &v in pixels.iter() {
        out.extend_from_slice(&map.rgb(limits.level(v)));
    }
    out
}

/// Encodes `width`×`height` RGB pixels (`rgb.len() == width * height * 3`) as a PNG file.
pub fn encode(rgb: &[u8], width: u32, height: u32) -> std::io::Result<Vec<u8>> {
    let row = width as usize * 3;
    if rgb.len() != row * height as usize || width == 0 || height == 0 {
        return Err(std::io::Error::other(format!(
            "{} bytes are not a {width}x{height} RGB image",
            rgb.len()
        )));
    }
    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    for line in rgb.chunks_exact(row) {
        // Filter type 0 (none) on every row: the colormaps' flat areas compress well anyway.
        z.write_all(&[0])?;
        z.write_all(line)?;
    }
    let data = z.finish()?;
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    for part in data.chunks(IDAT_MAX) {
        chunk(&mut png, b"IDAT", part);
    }
    chunk(&mut png, b"IEND", &[]);
    Ok(png)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_png_holds_its_pixels_and_valid_crcs() {
        let px: Vec<u8> = (0..2 * 3 * 3).map(|i| i as u8 * 10).collect();
        let png = encode(&px, 3, 2).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // Walk the chunks: lengths, CRCs, and the image data after inflating.
        let mut at = 8;
        let mut idat = Vec::new();
        let mut kinds = Vec::new();
        while at < png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let kind = &png[at + 4..at + 8];
            let data = &png[at + 8..at + 8 + len];
            let mut crc = Crc::new();
            crc.update(kind);
            crc.update(data);
            let want = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
            assert_eq!(crc.sum(), want);
            if kind == b"IDAT" {
                idat.extend_from_slice(data);
            }
            kinds.push(String::from_utf8_lossy(kind).into_owned());
            at += 12 + len;
        }
        assert_eq!(kinds, ["IHDR", "IDAT", "IEND"]);
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&idat[..])
            .read_to_end(&mut raw)
            .unwrap();
        assert_eq!(raw.len(), 2 * (1 + 9));
        assert_eq!(&raw[1..10], &px[..9]);
        assert_eq!(&raw[11..], &px[9..]);
        assert!(encode(&px, 4, 2).is_err());
    }
}
