#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sift_core::fuzzing::wire_frame(data));
