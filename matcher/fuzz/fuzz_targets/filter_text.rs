#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sift_matcher::fuzzing::filter_text(data));
