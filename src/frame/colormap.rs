//! Colormaps: 256-entry lookup tables, for 24-bit colour, and their nearest xterm 256-colour
//! index for terminals without it.
//!
//! viridis and magma are interpolated from every 16th entry of matplotlib's tables (CC0, by
//! van der Walt and Smith); coolwarm from Moreland's 33-entry table. The interpolation stays
//! within a few levels of the originals.

use std::sync::OnceLock;

/// The colour of a NaN pixel: in none of the maps, so a hole never reads as a value.
pub const NAN_RGB: [u8; 3] = [255, 0, 255];

/// A colormap by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum Colormap {
    /// Black to white.
    #[default]
    Gray,
    /// Perceptually uniform, dark blue to yellow.
    Viridis,
    /// Perceptually uniform, black to pale yellow through purple.
    Magma,
    /// Diverging: blue, grey in the middle, red.
    Coolwarm,
}

impl Colormap {
    /// Every colormap, in the order the TUI cycles through them.
    pub const ALL: [Colormap; 4] = [
        Colormap::Gray,
        Colormap::Viridis,
        Colormap::Magma,
        Colormap::Coolwarm,
    ];

    /// The name, as typed on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Colormap::Gray => "gray",
            Colormap::Viridis => "viridis",
            Colormap::Magma => "magma",
            Colormap::Coolwarm => "coolwarm",
        }
    }

    /// Parses a name (`grey` too); an unknown one is an error listing the names.
    pub fn parse(text: &str) -> crate::backend::Result<Colormap> {
        let t = text.trim().to_ascii_lowercase();
        let t = if t == "grey" { "gray".to_string() } else { t };
        Colormap::ALL
            .into_iter()
            .find(|c| c.name() == t)
            .ok_or_else(|| {
                let names: Vec<&str> = Colormap::ALL.iter().map(|c| c.name()).collect();
                crate::backend::Error::invalid_input(format!(
                    "unknown colormap {text:?}; use one of {}",
                    names.join(", ")
                ))
            })
    }

    /// The next one in [`Colormap::ALL`], wrapping.
    pub fn next(self) -> Colormap {
        let i = Colormap::ALL.iter().position(|&c| c == self).unwrap_or(0);
        Colormap::ALL[(i + 1) % Colormap::ALL.len()]
    }

    /// The 256-entry table, built once.
    pub fn lut(self) -> &'static [[u8; 3]; 256] {
        static LUTS: OnceLock<[[[u8; 3]; 256]; 4]> = OnceLock::new();
        let luts = LUTS.get_or_init(|| Colormap::ALL.map(build));
        &luts[self as usize]
    }

    /// The xterm 256-colour index of every entry of [`Colormap::lut`], built once.
    pub fn lut256(self) -> &'static [u8; 256] {
        static LUTS: OnceLock<[[u8; 256]; 4]> = OnceLock::new();
        let luts = LUTS.get_or_init(|| Colormap::ALL.map(|c| c.lut().map(ansi256)));
        &luts[self as usize]
    }

    /// The colour of a level in `0.0..=1.0` (clamped); `None` (a NaN pixel) is [`NAN_RGB`].
    pub fn rgb(self, level: Option<f64>) -> [u8; 3] {
        match level {
            Some(t) => self.lut()[index(t)],
            None => NAN_RGB,
        }
    }
}

/// The table entry of a level in `0.0..=1.0` (clamped, NaN as 0).
pub fn index(t: f64) -> usize {
    (t.clamp(0.0, 1.0) * 255.0).round() as usize
}

impl std::fmt::Display for Colormap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Anchor colours (0–1) of a map.
fn anchors(map: Colormap) -> &'static [[f32; 3]] {
    match map {
        Colormap::Gray => &[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]],
        Colormap::Viridis => &VIRIDIS,
        Colormap::Magma => &MAGMA,
        Colormap::Coolwarm => &COOLWARM,
    }
}

fn build(map: Colormap) -> [[u8; 3]; 256] {
    let a = anchors(map);
    // The 17-anchor tables are entries 0, 16, ..., 240 and 255 of a 256-entry one.
    let sampled = a.len() == 17;
    let mut lut = [[0u8; 3]; 256];
    for (i, entry) in lut.iter_mut().enumerate() {
        let pos = match i {
            _ if !sampled => i as f32 / 255.0 * (a.len() - 1) as f32,
            0..=239 => i as f32 / 16.0,
            _ => 15.0 + (i - 240) as f32 / 15.0,
        };
        let k = (pos.floor() as usize).min(a.len() - 2);
        let f = pos - k as f32;
        for c in 0..3 {
            let v = a[k][c] + (a[k + 1][c] - a[k][c]) * f;
            entry[c] = (v * 255.0).round().clamp(0.0, 255.0) as u8;
        }
    }
    lut
}

/// The nearest colour of xterm's 256: the 6×6×6 cube or the 24 greys, whichever is closer.
pub fn ansi256([r, g, b]: [u8; 3]) -> u8 {
    const LEVELS: [i32; 6] = [0, 95, 135, 175, 215, 255];
    let near = |v: u8| -> usize {
        (0..6)
            .min_by_key(|&i| (LEVELS[i] - v as i32).abs())
            .unwrap_or(0)
    };
    let (ri, gi, bi) = (near(r), near(g), near(b));
    let cube = [LEVELS[ri], LEVELS[gi], LEVELS[bi]];
    let mean = (r as i32 + g as i32 + b as i32) / 3;
    let gi_ = ((mean - 8).max(0) / 10).min(23);
    let grey = 8 + gi_ * 10;
    let dist = |c: [i32; 3]| {
        (c[0] - r as i32).pow(2) + (c[1] - g as i32).pow(2) + (c[2] - b as i32).pow(2)
    };
    if dist([grey; 3]) < dist(cube) {
        232 + gi_ as u8
    } else {
        16 + (36 * ri + 6 * gi + bi) as u8
    }
}

const VIRIDIS: [[f32; 3]; 17] = [
    [0.267004, 0.004874, 0.329415],
    [0.282327, 0.094955, 0.417331],
    [0.278826, 0.175490, 0.483397],
    [0.258965, 0.251537, 0.524736],
    [0.229739, 0.322361, 0.545706],
    [0.199430, 0.387607, 0.554642],
    [0.172719, 0.448791, 0.557885],
    [0.149039, 0.508051, 0.557250],
    [0.127568, 0.566949, 0.550556],
    [0.120638, 0.625828, 0.533488],
    [0.157851, 0.683765, 0.501686],
    [0.246070, 0.738910, 0.452024],
    [0.369214, 0.788888, 0.382914],
    [0.515992, 0.831158, 0.294279],
    [0.678489, 0.863742, 0.189503],
    [0.845561, 0.887322, 0.099702],
    [0.993248, 0.906157, 0.143936],
];

const MAGMA: [[f32; 3]; 17] = [
    [0.001462, 0.000466, 0.013866],
    [0.039608, 0.031090, 0.133515],
    [0.113094, 0.065492, 0.276784],
    [0.211718, 0.061992, 0.418647],
    [0.316654, 0.071690, 0.485380],
    [0.414709, 0.110431, 0.504662],
    [0.512831, 0.148179, 0.507648],
    [0.613617, 0.181811, 0.498536],
    [0.716387, 0.214982, 0.475290],
    [0.816914, 0.255895, 0.436461],
    [0.904281, 0.319610, 0.388137],
    [0.960949, 0.418323, 0.359630],
    [0.986700, 0.535582, 0.382210],
    [0.996096, 0.653659, 0.446213],
    [0.996898, 0.769591, 0.534892],
    [0.992440, 0.884330, 0.640099],
    [0.987053, 0.991438, 0.749504],
];

/// Moreland's coolwarm, 33 entries, as 0–255 values scaled to 0–1 at build time.
const COOLWARM: [[f32; 3]; 33] = {
    const T: [[u8; 3]; 33] = [
        [59, 76, 192],
        [68, 90, 204],
        [77, 104, 215],
        [87, 117, 225],
        [98, 130, 234],
        [108, 142, 241],
        [119, 154, 247],
        [130, 165, 251],
        [141, 176, 254],
        [152, 185, 255],
        [163, 194, 255],
        [174, 201, 253],
        [184, 208, 249],
        [194, 213, 244],
        [204, 217, 238],
        [213, 219, 230],
        [221, 221, 221],
        [229, 216, 209],
        [236, 211, 197],
        [241, 204, 185],
        [245, 196, 173],
        [247, 187, 160],
        [247, 177, 148],
        [247, 166, 135],
        [244, 154, 123],
        [241, 141, 111],
        [236, 127, 99],
        [229, 112, 88],
        [222, 96, 77],
        [213, 80, 66],
        [203, 62, 56],
        [192, 40, 47],
        [180, 4, 38],
    ];
    let mut out = [[0.0f32; 3]; 33];
    let mut i = 0;
    while i < 33 {
        out[i] = [
            T[i][0] as f32 / 255.0,
            T[i][1] as f32 / 255.0,
            T[i][2] as f32 / 255.0,
        ];
        i += 1;
    }
    out
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_hit_their_published_ends_and_middle() {
        assert_eq!(Colormap::Gray.lut()[0], [0, 0, 0]);
        assert_eq!(Colormap::Gray.lut()[128], [128, 128, 128]);
        assert_eq!(Colormap::Gray.lut()[255], [255, 255, 255]);
        // matplotlib: viridis[0] = (68, 1, 84), viridis[128] = (33, 145, 140), [255] = (253, 231, 37)
        assert_eq!(Colormap::Viridis.lut()[0], [68, 1, 84]);
        assert_eq!(Colormap::Viridis.lut()[128], [33, 145, 140]);
        assert_eq!(Colormap::Viridis.lut()[255], [253, 231, 37]);
        assert_eq!(Colormap::Magma.lut()[0], [0, 0, 4]);
        assert_eq!(Colormap::Magma.lut()[255], [252, 253, 191]);
        assert_eq!(Colormap::Coolwarm.lut()[0], [59, 76, 192]);
        assert_eq!(Colormap::Coolwarm.lut()[255], [180, 4, 38]);
        // Brighter with the level, for the sequential maps.
        for map in [Colormap::Gray, Colormap::Viridis, Colormap::Magma] {
            let luma = |c: [u8; 3]| 299 * c[0] as u32 + 587 * c[1] as u32 + 114 * c[2] as u32;
            let lut = map.lut();
            assert!(
                (1..256).all(|i| luma(lut[i]) + 600 >= luma(lut[i - 1])),
                "{map}"
            );
            assert!(luma(lut[255]) > luma(lut[0]) * 5, "{map}");
        }
    }

    #[test]
    fn names_parse_and_nan_has_its_own_colour() {
        for m in Colormap::ALL {
            assert_eq!(Colormap::parse(m.name()).unwrap(), m);
            assert!(!m.lut().contains(&NAN_RGB));
        }
        assert_eq!(Colormap::parse("Grey").unwrap(), Colormap::Gray);
        let e = Colormap::parse("jet").unwrap_err();
        assert!(e.message.contains("viridis"), "{}", e.message);
        assert_eq!(Colormap::Gray.rgb(None), NAN_RGB);
        assert_eq!(Colormap::Coolwarm.next(), Colormap::Gray);
    }

    #[test]
    fn ansi256_picks_the_nearest_cube_or_grey() {
        assert_eq!(ansi256([0, 0, 0]), 16);
        assert_eq!(ansi256([255, 255, 255]), 231);
        assert_eq!(ansi256([255, 0, 0]), 196);
        assert_eq!(ansi256([128, 128, 128]), 244);
        assert_eq!(Colormap::Gray.lut256()[0], 16);
    }
}
