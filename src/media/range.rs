//! `Range: bytes=…` parsing and evaluation per RFC 9110 §14.
//!
//! A header that does not parse, or uses a unit other than `bytes`, is ignored (the whole
//! representation is sent), as the RFC requires; only a well-formed set whose every range lies
//! past the end of the file is unsatisfiable (416).

/// An inclusive byte span of a representation: `start..=end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteSpan {
    pub start: u64,
    pub end: u64,
}

impl ByteSpan {
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// The `Content-Range` value for this span of a `size`-byte representation.
    pub fn content_range(&self, size: u64) -> String {
        format!("bytes {}-{}/{}", self.start, self.end, size)
    }
}

/// What a `Range` header asks of a representation of a known size.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable header: send everything with 200.
    Full,
    /// One satisfiable range: 206 with `Content-Range`.
    Single(ByteSpan),
    /// Several satisfiable ranges, sorted and coalesced where they overlap or touch.
    Multiple(Vec<ByteSpan>),
    /// Well-formed, but no range overlaps the representation: 416.
    Unsatisfiable,
}

/// Most ranges honoured in one request; more are answered with the full body (RFC 9110 §14.2
/// lets a server ignore a Range header, and many tiny ranges are a known amplification attack).
pub const MAX_RANGES: usize = 16;

enum Spec {
    /// `a-b` or `a-`.
    From(u64, Option<u64>),
    /// `-n`: the last n bytes.
    Suffix(u64),
}

/// Evaluates a `Range` header value against a representation of `size` bytes.
pub fn evaluate(header: &str, size: u64) -> RangeRequest {
    let Some(specs) = parse(header) else {
        return RangeRequest::Full;
    };
    if specs.len() > MAX_RANGES {
        return RangeRequest::Full;
    }
    let mut spans: Vec<ByteSpan> = specs
        .into_iter()
        .filter_map(|spec| resolve(spec, size))
        .collect();
    if spans.is_empty() {
        return RangeRequest::Unsatisfiable;
    }
    spans.sort_by_key(|s| s.start);
    let mut merged: Vec<ByteSpan> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start <= last.end.saturating_add(1) => {
                last.end = last.end.max(span.end);
            }
            _ => merged.push(span),
        }
    }
    if merged.len() == 1 {
        RangeRequest::Single(merged[0])
    } else {
        RangeRequest::Multiple(merged)
    }
}

fn parse(header: &str) -> Option<Vec<Spec>> {
    let (unit, set) = header.trim().split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut specs = Vec::new();
    for part in set.split(',') {
        let part = part.trim();
        if part.is_empty() {
            // RFC 9110 list syntax tolerates empty elements.
            continue;
        }
        let (first, last) = part.split_once('-')?;
        let (first, last) = (first.trim(), last.trim());
        let spec = if first.is_empty() {
            Spec::Suffix(digits(last)?)
        } else {
            let start = digits(first)?;
            let end = if last.is_empty() {
                None
            } else {
                Some(digits(last)?)
            };
            if end.is_some_and(|end| end < start) {
                return None;
            }
            Spec::From(start, end)
        };
        specs.push(spec);
    }
    (!specs.is_empty()).then_some(specs)
}

fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn resolve(spec: Spec, size: u64) -> Option<ByteSpan> {
    if size == 0 {
        return None;
    }
    match spec {
        Spec::From(start, end) => (start < size).then(|| ByteSpan {
            start,
            end: end.map_or(size - 1, |end| end.min(size - 1)),
        }),
        Spec::Suffix(0) => None,
        Spec::Suffix(n) => Some(ByteSpan {
            start: size.saturating_sub(n),
            end: size - 1,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::{RangeRequest::*, *};

    fn span(start: u64, end: u64) -> ByteSpan {
        ByteSpan { start, end }
    }

    #[test]
    fn single_ranges() {
        assert_eq!(evaluate("bytes=0-99", 1000), Single(span(0, 99)));
        assert_eq!(evaluate("bytes=500-", 1000), Single(span(500, 999)));
        assert_eq!(evaluate("bytes=-100", 1000), Single(span(900, 999)));
        assert_eq!(evaluate("bytes=-5000", 1000), Single(span(0, 999)));
        assert_eq!(evaluate("bytes=990-5000", 1000), Single(span(990, 999)));
        assert_eq!(evaluate("BYTES = 0-0", 1000), Single(span(0, 0)));
        assert_eq!(evaluate("bytes=999-999", 1000), Single(span(999, 999)));
    }

    #[test]
    fn malformed_headers_are_ignored() {
        for header in [
            "bytes=abc",
            "bytes=5-1",
            "bytes=",
            "bytes=-",
            "items=0-10",
            "0-10",
            "bytes=1-2-3",
            "bytes=+1-2",
            "bytes=0x10-20",
            "bytes=99999999999999999999999-",
        ] {
            assert_eq!(evaluate(header, 1000), Full, "{header}");
        }
    }

    #[test]
    fn unsatisfiable_ranges() {
        assert_eq!(evaluate("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(evaluate("bytes=1000-2000", 1000), Unsatisfiable);
        assert_eq!(evaluate("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(evaluate("bytes=0-", 0), Unsatisfiable);
        assert_eq!(evaluate("bytes=2000-3000, 1500-", 1000), Unsatisfiable);
    }

    #[test]
    fn multiple_ranges_sort_and_coalesce() {
        assert_eq!(
            evaluate("bytes=0-9, 20-29", 100),
            Multiple(vec![span(0, 9), span(20, 29)])
        );
        assert_eq!(
            evaluate("bytes=20-29,0-9", 100),
            Multiple(vec![span(0, 9), span(20, 29)])
        );
        assert_eq!(evaluate("bytes=0-9,10-19", 100), Single(span(0, 19)));
        assert_eq!(evaluate("bytes=0-50,10-19", 100), Single(span(0, 50)));
        // An unsatisfiable member is dropped; the rest is served.
        assert_eq!(evaluate("bytes=0-9, 500-600", 100), Single(span(0, 9)));
        assert_eq!(
            evaluate("bytes=0-9,,20-29,", 100),
            Multiple(vec![span(0, 9), span(20, 29)])
        );
    }

    #[test]
    fn too_many_ranges_get_the_full_body() {
        let header = format!(
            "bytes={}",
            (0..=MAX_RANGES as u64)
                .map(|i| format!("{}-{}", i * 10, i * 10 + 1))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert_eq!(evaluate(&header, 10_000), Full);
    }

    #[test]
    fn content_range_values() {
        assert_eq!(span(0, 99).content_range(1000), "bytes 0-99/1000");
        assert_eq!(span(0, 99).len(), 100);
    }
}
