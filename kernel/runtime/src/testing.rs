//! Whole streams through the incremental parsers, for the runtime's tests and the fuzz targets
//! (feature `testing`): both check that a stream means the same however it is split.

use alloc::vec::Vec;

use crate::http::{self, Request, RequestParser};
use crate::resp::{self, DecodeError, Decoder, Value};

/// Every request the parser yields from `chunks` fed in order, and the status it stopped with, if any.
pub fn parse_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>, limits: http::Limits) -> (Vec<Request>, Option<u16>) {
    let mut parser = RequestParser::new(limits);
    let mut requests = Vec::new();
    for chunk in chunks {
        parser.push(chunk);
        loop {
            match parser.next_request() {
                Ok(Some(r)) => requests.push(r),
                Ok(None) => break,
                Err(status) => return (requests, Some(status)),
            }
        }
    }
    (requests, None)
}

/// Every reply the decoder yields from `chunks` fed in order, and the error that ended them, if any.
pub fn decode_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>, limits: resp::Limits) -> (Vec<Value>, Option<DecodeError>) {
    let mut decoder = Decoder::new(limits);
    let mut values = Vec::new();
    for chunk in chunks {
        decoder.feed(chunk);
        loop {
            match decoder.decode() {
                Ok(Some(v)) => values.push(v),
                Ok(None) => break,
                Err(e) => return (values, Some(e)),
            }
        }
    }
    (values, None)
}
