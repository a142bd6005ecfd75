//! Fuzz target body for the wire: frames from peers are untrusted bytes.
//!
//! The cargo-fuzz project in `core/fuzz/` calls it with the fuzzer's inputs, and
//! `tests/fuzz_smoke.rs` with generated and hand-written ones, so CI exercises it without a
//! fuzzer (docs/fuzzing.md). It accepts any bytes and panics only when an invariant breaks:
//! refusing a frame is an error value, never a panic or an allocation beyond the frame limit;
//! a frame that decodes re-encodes to a frame of the length [`encoded_len`] says, which decodes
//! to an equal message.

use sift_matcher::EventLimits;

use crate::wire::{DEFAULT_MAX_FRAME, decode, encode, encoded_len};

/// Decodes `data` as a frame and checks the round trip of whatever decodes.
pub fn wire_frame(data: &[u8]) {
    let limits = EventLimits::default();
    let msg = match decode(data, DEFAULT_MAX_FRAME, &limits) {
        Ok(msg) => msg,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let frame = encode(&msg);
    assert_eq!(
        frame.len(),
        encoded_len(&msg),
        "encoded_len disagrees with encode"
    );
    // The canonical encoding may be longer than the input (CBOR allows several encodings of
    // one value), so the round trip lifts the frame limit.
    match decode(&frame, usize::MAX, &limits) {
        Ok(again) => assert_eq!(again, msg, "a decoded message does not survive re-encoding"),
        Err(error) => panic!("{msg:?} re-encodes to a frame that does not decode: {error}"),
    }
}
