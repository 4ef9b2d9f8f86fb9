//! The `validate` target under libFuzzer (`cargo fuzz run validate`); its body is
//! [`plumb_fuzz::validate`]. Built without `--cfg fuzzing` (an ordinary
//! `cargo build`), it replays the files or folders given as arguments.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| plumb_fuzz::validate(data));

#[cfg(not(fuzzing))]
fn main() -> std::process::ExitCode {
    plumb_fuzz::replay_main("validate")
}
