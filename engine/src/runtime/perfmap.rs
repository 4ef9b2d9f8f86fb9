//! The perf map ([`crate::Config::perfmap`]): Linux `perf` reads
//! `/tmp/perf-PID.map` to name code it finds no symbols for, one line per
//! function: `START SIZE NAME`, the first two in hexadecimal.

use std::io::Write;
use std::sync::Mutex;

use crate::compile::CompiledCode;
use crate::module_info::ModuleInfo;

/// The lines for `code` (the defined functions of `info`, then the
/// host-to-Wasm entry trampolines), in address order.
pub(crate) fn lines(info: &ModuleInfo, code: &CompiledCode) -> String {
    let mut starts: Vec<usize> = code.funcs.iter().chain(&code.entries).copied().collect();
    starts.sort_unstable();
    let end_of = |start: usize| {
        let next = starts.partition_point(|&s| s <= start);
        starts.get(next).copied().unwrap_or(code.memory.code().len())
    };
    let mut out = String::new();
    let mut line = |start: usize, name: &str| {
        let size = end_of(start).saturating_sub(start);
        out.push_str(&format!("{:x} {size:x} {name}\n", code.memory.at(start) as usize));
    };
    let first = info.imported_funcs as u32;
    for (i, &start) in code.funcs.iter().enumerate() {
        let index = first + i as u32;
        match info.func_names.get(&index) {
            Some(name) => line(start, &format!("wasm[{index}]::{}", name.replace(['\n', '\r'], " "))),
            None => line(start, &format!("wasm[{index}]")),
        }
    }
    for (ty, &start) in code.entries.iter().enumerate() {
        line(start, &format!("wasm-entry[type {ty}]"));
    }
    out
}

/// Appends the lines of a module's code to this process's perf map.
pub(crate) fn record(info: &ModuleInfo, code: &CompiledCode) {
    // One writer at a time, so that lines of two modules do not interleave.
    static FILE: Mutex<()> = Mutex::new(());
    let _guard = FILE.lock().unwrap_or_else(|e| e.into_inner());
    let path = format!("/tmp/perf-{}.map", std::process::id());
    let text = lines(info, code);
    // A failed write costs the profile its names, nothing else.
    if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = file.write_all(text.as_bytes());
    }
}
