//! Trace events (docs/TRACE.md, version 1): one flat JSON object per line, written by the runtime
//! for each HTTP request and each KeyValue call, and by the platform at boot and for the heap.
//! The platform decides where lines go (the kernel: its second serial port) through [`Tracer`].

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// The format version of docs/TRACE.md.
pub const VERSION: u64 = 1;
/// Bytes of a body or value kept in a `_b64` preview.
pub const PREVIEW_BYTES: usize = 64;
/// Header pairs kept in `req_headers` / `resp_headers`.
pub const MAX_HEADER_PAIRS: usize = 64;
/// Bytes of header names and values kept in each of `req_headers` / `resp_headers`: an app's headers
/// are as big as it likes, and a line over the host's 64 KiB would lose the whole event.
pub const MAX_HEADER_BYTES: usize = 4096;
/// Keys kept in the `keys` of a `keyvalue.keys` event (`key_count` says how many there were).
pub const MAX_KEYS: usize = 32;

/// Where trace lines go.
pub trait Tracer {
    /// One line, without its newline.
    fn emit(&mut self, line: &str);
    /// A monotonic clock in microseconds, for `dur_us` and `ts_us`.
    fn now_us(&self) -> u64;
}

/// Builds one event line: `{"type":"…",…}`.
pub struct Event {
    line: String,
}

impl Event {
    pub fn new(kind: &str) -> Event {
        let mut event = Event { line: String::with_capacity(256) };
        event.line.push('{');
        event.key("type");
        push_json_string(&mut event.line, kind);
        event
    }

    fn key(&mut self, name: &str) {
        if self.line.len() > 1 {
            self.line.push(',');
        }
        push_json_string(&mut self.line, name);
        self.line.push(':');
    }

    pub fn int(mut self, name: &str, value: u64) -> Event {
        self.key(name);
        // Writing to a String cannot fail.
        let _ = write!(self.line, "{value}");
        self
    }

    pub fn bool(mut self, name: &str, value: bool) -> Event {
        self.key(name);
        self.line.push_str(if value { "true" } else { "false" });
        self
    }

    pub fn str(mut self, name: &str, value: &str) -> Event {
        self.key(name);
        push_json_string(&mut self.line, value);
        self
    }

    pub fn strs<S: AsRef<str>>(mut self, name: &str, values: impl IntoIterator<Item = S>) -> Event {
        self.key(name);
        self.line.push('[');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.line.push(',');
            }
            push_json_string(&mut self.line, value.as_ref());
        }
        self.line.push(']');
        self
    }

    /// A preview: the first [`PREVIEW_BYTES`] of `bytes`, base64.
    pub fn preview(mut self, name: &str, bytes: &[u8]) -> Event {
        self.key(name);
        self.line.push('"');
        push_base64(&mut self.line, &bytes[..bytes.len().min(PREVIEW_BYTES)]);
        self.line.push('"');
        self
    }

    pub fn finish(mut self) -> String {
        self.line.push('}');
        self.line
    }
}

/// `value` as a JSON string: `"` and `\` escaped, control characters as `\u00XX`.
fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with `=` padding.
fn push_base64(out: &mut String, bytes: &[u8]) {
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
}

/// `headers` flattened to `[name, value, name, value, …]`: at most [`MAX_HEADER_PAIRS`] pairs and
/// [`MAX_HEADER_BYTES`] of names and values. The value that reaches the bound is cut and ends with
/// `…`; the pairs after it are left out.
pub fn header_list(headers: &[(String, String)]) -> Vec<Cow<'_, str>> {
    let mut left = MAX_HEADER_BYTES;
    let mut out = Vec::new();
    for (name, value) in headers.iter().take(MAX_HEADER_PAIRS) {
        if name.len() >= left {
            break;
        }
        left -= name.len();
        out.push(Cow::Borrowed(name.as_str()));
        if value.len() <= left {
            left -= value.len();
            out.push(Cow::Borrowed(value.as_str()));
            continue;
        }
        let mut cut = left;
        while !value.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push(Cow::Owned(alloc::format!("{}…", &value[..cut])));
        break;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_flat_json_line() {
        let line = Event::new("http")
            .int("id", 7)
            .str("path", "/a\"b\\c\n\u{1}")
            .bool("ok", false)
            .strs("h", ["host", "x"])
            .preview("body_b64", b"hello")
            .finish();
        assert_eq!(
            line,
            r#"{"type":"http","id":7,"path":"/a\"b\\c\n\u0001","ok":false,"h":["host","x"],"body_b64":"aGVsbG8="}"#
        );
    }

    #[test]
    fn header_lists_are_bounded_in_pairs_and_bytes() {
        let pair = |n: &str, v: &str| (String::from(n), String::from(v));
        let small = [pair("host", "a"), pair("x", "1")];
        assert_eq!(header_list(&small), ["host", "a", "x", "1"]);
        let many: Vec<_> = (0..100).map(|_| pair("a", "b")).collect();
        assert_eq!(header_list(&many).len(), 2 * MAX_HEADER_PAIRS);
        // A value reaching the bound is cut at a character boundary and marked; what follows is left out.
        let big = [pair("x-big", &"é".repeat(MAX_HEADER_BYTES)), pair("after", "1")];
        let list = header_list(&big);
        assert_eq!(list.len(), 2);
        assert!(list[1].ends_with('…') && list[1].starts_with("éé"));
        assert!(list[1].len() - '…'.len_utf8() <= MAX_HEADER_BYTES - "x-big".len());
        let huge_name = [pair(&"n".repeat(MAX_HEADER_BYTES), "v")];
        assert!(header_list(&huge_name).is_empty());
    }

    #[test]
    fn base64_pads_and_previews_are_cut() {
        let b64 = |bytes: &[u8]| {
            let mut s = String::new();
            push_base64(&mut s, bytes);
            s
        };
        assert_eq!(b64(b""), "");
        assert_eq!(b64(b"f"), "Zg==");
        assert_eq!(b64(b"fo"), "Zm8=");
        assert_eq!(b64(b"foo"), "Zm9v");
        assert_eq!(b64(&[0xff, 0xfe, 0xfd, 0x00]), "//79AA==");
        let long = Event::new("kv").preview("value_b64", &[b'a'; 100]).finish();
        assert_eq!(long, alloc::format!(r#"{{"type":"kv","value_b64":"{}"}}"#, b64(&[b'a'; PREVIEW_BYTES])));
    }
}
