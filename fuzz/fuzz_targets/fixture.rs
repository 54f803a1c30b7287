#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        identita_fuzz::offline();
        // The provider is built before the first input, outside its time limit.
        identita::fuzzing::harness();
    },
    |data: &[u8]| identita::fuzzing::fixture(data)
);
