//! The `rules` target under libFuzzer (`cargo fuzz run rules`); its body is
//! [`plumb_fuzz::rules`]. Built without `--cfg fuzzing` (an ordinary
//! `cargo build`), it replays the files or folders given as arguments.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| plumb_fuzz::rules(data));

#[cfg(not(fuzzing))]
fn main() -> std::process::ExitCode {
    plumb_fuzz::replay_main("rules")
}
