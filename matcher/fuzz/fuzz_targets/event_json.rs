#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sift_matcher::fuzzing::event_json(data));
