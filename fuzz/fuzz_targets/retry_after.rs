#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| payreq::fuzzing::retry_after(data));
