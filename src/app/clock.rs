//! Times as people read them: history entries are stored in UTC (RFC 3339) and shown in the
//! local time zone with its name, or in UTC when the config says `utc = true`. The zone comes
//! from a TZif file (`/etc/localtime`, or the one `TZ` names), read by the runtime at start
//! and parsed here; no I/O in this module.

/// A time zone: its offsets over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// Transition instants (Unix seconds, ascending) and the type index from each on.
    transitions: Vec<(i64, usize)>,
    /// (offset from UTC in seconds, abbreviation) per type.
    types: Vec<(i32, String)>,
}

impl Default for Zone {
    fn default() -> Zone {
        Zone::utc()
    }
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            transitions: Vec::new(),
            types: vec![(0, "UTC".into())],
        }
    }

    pub fn is_utc(&self) -> bool {
        self.types.iter().all(|(o, _)| *o == 0)
    }

    /// A zone from the bytes of a TZif file (versions 1 to 4); `None` when they are not one.
    pub fn from_tzif(b: &[u8]) -> Option<Zone> {
        let header = |b: &[u8]| -> Option<[usize; 6]> {
            if b.len() < 44 || &b[..4] != b"TZif" {
                return None;
            }
            let mut c = [0usize; 6];
            for (i, n) in c.iter_mut().enumerate() {
                let o = 20 + 4 * i;
                *n = u32::from_be_bytes(b[o..o + 4].try_into().ok()?) as usize;
            }
            Some(c)
        };
        let [isut, isstd, leap, time, typ, chars] = header(b)?;
        let v1 = 44 + time * 5 + typ * 6 + chars + leap * 8 + isstd + isut;
        // Version 2 and later repeat the data with 64-bit times: use those.
        let (data, tsize, counts) = if b[4] >= b'2' && b.len() > v1 {
            (&b[v1..], 8, header(&b[v1..])?)
        } else {
            (b, 4, [isut, isstd, leap, time, typ, chars])
        };
        let [_, _, _, time, typ, chars] = counts;
        let mut p = 44;
        let need = p + time * (tsize + 1) + typ * 6 + chars;
        if data.len() < need || typ == 0 {
            return None;
        }
        let mut at = Vec::with_capacity(time);
        for _ in 0..time {
            let t = if tsize == 8 {
                i64::from_be_bytes(data[p..p + 8].try_into().ok()?)
            } else {
                i32::from_be_bytes(data[p..p + 4].try_into().ok()?) as i64
            };
            at.push(t);
            p += tsize;
        }
        let idx: Vec<usize> = data[p..p + time].iter().map(|&i| i as usize).collect();
        p += time;
        let abbrevs = &data[p + typ * 6..p + typ * 6 + chars];
        let mut types = Vec::with_capacity(typ);
        for i in 0..typ {
            let q = p + i * 6;
            let off = i32::from_be_bytes(data[q..q + 4].try_into().ok()?);
            let a = data[q + 5] as usize;
            let name = abbrevs
                .get(a..)
                .and_then(|r| r.split(|&c| c == 0).next())
                .map(|r| String::from_utf8_lossy(r).into_owned())
                .unwrap_or_default();
            types.push((off, name));
        }
        if idx.iter().any(|&i| i >= typ) {
            return None;
        }
        Some(Zone {
            transitions: at.into_iter().zip(idx).collect(),
            types,
        })
    }

    /// The offset and the zone's name at `unix` seconds.
    pub fn at(&self, unix: i64) -> (i32, &str) {
        let i = self.transitions.partition_point(|(t, _)| *t <= unix);
        // Before the first transition: the first type that is not daylight time (type 0 is
        // the usual choice of readers).
        let ty = if i == 0 { 0 } else { self.transitions[i - 1].1 };
        let (o, n) = &self.types[ty.min(self.types.len() - 1)];
        (*o, n)
    }

    /// `YYYY-MM-DD HH:MM:SS ZONE` for an RFC 3339 time; the text itself when it is not one.
    pub fn show(&self, rfc3339: &str) -> String {
        match self.parts(rfc3339) {
            Some((t, name)) => format!("{t} {name}"),
            None => rfc3339.to_string(),
        }
    }

    /// `YYYY-MM-DD HH:MM:SS` in this zone and the zone's name then.
    pub fn parts(&self, rfc3339: &str) -> Option<(String, String)> {
        let t = parse_rfc3339(rfc3339)?;
        let (off, name) = self.at(t);
        Some((civil(t + off as i64), name.to_string()))
    }

    /// `MM-DD HH:MM:SS ZONE`, for narrow panes.
    pub fn show_short(&self, rfc3339: &str) -> String {
        let full = self.show(rfc3339);
        full.get(5..).map(str::to_string).unwrap_or(full)
    }

    /// The zone's name now (for a column header).
    pub fn name_at(&self, rfc3339: Option<&str>) -> String {
        let t = rfc3339.and_then(parse_rfc3339).unwrap_or(0);
        self.at(t).1.to_string()
    }
}

/// Unix seconds of `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let off = match rest {
        "Z" | "z" => 0,
        r if r.len() == 6 && (r.starts_with('+') || r.starts_with('-')) => {
            let hh = r.get(1..3)?.parse::<i64>().ok()?;
            let mm = r.get(4..6)?.parse::<i64>().ok()?;
            let sign = if r.starts_with('-') { -1 } else { 1 };
            sign * (hh * 3600 + mm * 60)
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - off)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD HH:MM:SS` of Unix seconds.
fn civil(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TZif v2 file with one zone type before 2025-03-30T01:00Z (CET, +1) and one after
    /// (CEST, +2).
    pub fn cet_cest() -> Vec<u8> {
        let switch: i64 = 1_743_296_400;
        let block = |tsize: usize| {
            let mut b = b"TZif2".to_vec();
            b.extend([0u8; 15]);
            for n in [0u32, 0, 0, 1, 2, 10] {
                b.extend(n.to_be_bytes());
            }
            if tsize == 8 {
                b.extend(switch.to_be_bytes());
            } else {
                b.extend((switch as i32).to_be_bytes());
            }
            b.push(1);
            b.extend(3600i32.to_be_bytes());
            b.extend([0, 0]);
            b.extend(7200i32.to_be_bytes());
            b.extend([1, 4]);
            b.extend(b"CET\0CEST\0\0");
            b
        };
        let mut f = block(4);
        f.extend(block(8));
        f.extend(b"\nCET-1CEST,M3.5.0,M10.5.0/3\n");
        f
    }

    #[test]
    fn times_show_in_the_zone_with_its_name() {
        let z = Zone::from_tzif(&cet_cest()).expect("a zone");
        assert_eq!(
            z.show("2025-03-14T09:00:05.123Z"),
            "2025-03-14 10:00:05 CET"
        );
        assert_eq!(z.show("2025-07-01T23:30:00Z"), "2025-07-02 01:30:00 CEST");
        assert_eq!(z.show_short("2025-07-01T23:30:00Z"), "07-02 01:30:00 CEST");
        assert_eq!(
            Zone::utc().show("2025-03-14T09:00:05Z"),
            "2025-03-14 09:00:05 UTC"
        );
        assert_eq!(Zone::utc().show("yesterday"), "yesterday");
        assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Some(0));
        assert!(Zone::from_tzif(b"not a zone file").is_none());
        assert!(Zone::from_tzif(&cet_cest()[..50]).is_none());
    }
}
