#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    identita_fuzz::offline();
    identita::fuzzing::export(data);
});
