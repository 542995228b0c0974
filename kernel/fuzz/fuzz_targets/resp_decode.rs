//! The RESP2 reply decoder, fed in chunks.
//!
//! Input: a flags byte (bit 0: small limits), a chunking seed (see
//! `uniwasm_fuzz::chunks`), then the bytes a server sent.
//!
//! Checked: no panic; the same replies and the same error whether the bytes
//! come at once or in pieces (the decoder promises a bad stream fails at the
//! same point for every chunking); every decoded reply encodes back to bytes
//! that decode to it; a command built from the input's bytes by
//! `encode_command` decodes to its arguments.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uniwasm_runtime::resp::{encode_command, Limits, Value};
use uniwasm_runtime::testing::decode_chunks;

const SMALL: Limits = Limits { max_line: 16, max_bulk: 32, max_array: 8, max_depth: 3 };


/// RESP2 bytes of `value` (an independent writer, for the round trip).
fn encode(value: &Value, out: &mut Vec<u8>) {
    let line = |out: &mut Vec<u8>, kind: u8, text: &[u8]| {
        out.push(kind);
        out.extend_from_slice(text);
        out.extend_from_slice(b"\r\n");
    };
    match value {
        Value::Simple(s) => line(out, b'+', s),
        Value::Error(s) => line(out, b'-', s),
        Value::Integer(n) => line(out, b':', n.to_string().as_bytes()),
        Value::Bulk(None) => line(out, b'$', b"-1"),
        Value::Bulk(Some(b)) => {
            line(out, b'$', b.len().to_string().as_bytes());
            out.extend_from_slice(b);
            out.extend_from_slice(b"\r\n");
        }
        Value::Array(None) => line(out, b'*', b"-1"),
        Value::Array(Some(items)) => {
            line(out, b'*', items.len().to_string().as_bytes());
            for item in items {
                encode(item, out);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [flags, seed, stream @ ..] = data else { return };
    let limits = if flags & 1 == 1 { SMALL } else { Limits::default() };

    let whole = decode_chunks([stream], limits);
    assert_eq!(decode_chunks(uniwasm_fuzz::chunks(*seed, stream), limits), whole, "the split changed the outcome");

    for value in &whole.0 {
        let mut bytes = Vec::new();
        encode(value, &mut bytes);
        assert_eq!(decode_chunks([&bytes[..]], limits), (vec![value.clone()], None), "round trip of {value:?}");
    }

    let args: Vec<&[u8]> = stream.split(|&b| b == 0xff).take(16).collect();
    let mut command = Vec::new();
    encode_command(&args, &mut command);
    let expected = Value::Array(Some(args.iter().map(|a| Value::Bulk(Some(a.to_vec()))).collect()));
    assert_eq!(decode_chunks([&command[..]], Limits::default()), (vec![expected], None));
});
