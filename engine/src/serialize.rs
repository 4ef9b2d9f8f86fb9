//! Ahead-of-time compiled modules: [`Module::serialize`] writes a module's
//! machine code with its Wasm bytes, and [`Module::deserialize`] maps that
//! code again without compiling. The code holds no absolute address (the
//! libcalls' come from the store's `VMLimits`), so it runs wherever it is
//! mapped.
//!
//! The format, little-endian throughout:
//!
//! | field | contents |
//! |---|---|
//! | magic | `\x7fPLUMB-CWASM\n` (13 bytes) |
//! | format | `u32`, [`FORMAT`] |
//! | Plumb version | `u32` length + UTF-8 |
//! | target | `u32` length + UTF-8: the triple, Cranelift's ISA flags (CPU features) and its shared settings |
//! | settings | `u32`: the `Config` bits that change code (Cranelift's optimiser, fuel, epochs) |
//! | Wasm | `u64` length + the module's binary form (decoded again on load) |
//! | code | `u64` length + the machine code |
//! | traps | `u32` count, then per site `u32` code offset + `u8` trap code |
//! | functions | `u32` count, then the `u64` code offset of each defined function |
//! | entries | `u32` count, then the `u64` code offset of each type's entry trampoline |
//! | spans | `u32` count, then per defined function `u32` start, end and index, and `u32` count + (`u32` code offset, `u32` module offset) source locations, for backtraces |
//! | checksum | `u64` FNV-1a of every byte before it |
//!
//! A file of another Plumb version, target or setting, a truncated one and
//! one whose checksum does not match are refused with an error naming the
//! difference, before any code is mapped.

use crate::compile::CompiledCode;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::module::{Module, ModuleInner};
use crate::module_info::decode;
use crate::runtime::backtrace::FuncSpan;
use crate::runtime::code::CodeMemory;
use crate::runtime::traps::TrapTable;
use crate::trap::TrapCode;

/// The magic bytes a precompiled module starts with.
pub const MAGIC: &[u8; 13] = b"\x7fPLUMB-CWASM\n";

/// The version of the format. It changes with the layout of the file and
/// with the contract between code and runtime (the `VMLimits` libcall
/// table's order and the libcalls' signatures): code compiled for one
/// contract must not run against another. 2: libcalls return a status, and
/// `table.get`/`set`/`size` are inline. 3: `v128`, so argument, result and
/// global slots are 16 bytes. 4: libcalls take memory indices and 64-bit
/// addresses (multi-memory, memory64), `VMLimits::exception` comes before
/// the libcall table, and the exception libcalls follow it.
pub const FORMAT: u32 = 4;

/// What a precompiled module must match in the engine that loads it.
fn fingerprint(engine: &Engine) -> (String, String, u32) {
    let isa = &engine.inner.isa;
    // The triple, the CPU features and Cranelift's shared settings (frame
    // pointers, which backtraces walk, among them), but not the IR
    // verifier's, which changes no code.
    let isa_flags = isa.isa_flags().iter().map(|f| f.to_string()).collect::<Vec<_>>().join(",");
    let shared = isa
        .flags()
        .iter()
        .filter(|f| f.name != "enable_verifier")
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let target = format!("{} {isa_flags} {shared}", isa.triple());
    let config = &engine.inner.config;
    let settings = u32::from(config.cranelift_opt_enabled())
        | u32::from(config.instrumentation.fuel) << 1
        | u32::from(config.instrumentation.epochs) << 2
        | u32::from(config.instrumentation.exceptions) << 3;
    (env!("CARGO_PKG_VERSION").to_string(), target, settings)
}

/// The settings bits in words.
fn describe(settings: u32) -> String {
    let on = |bit: u32| if settings & (1 << bit) != 0 { "on" } else { "off" };
    format!("Cranelift's optimiser {}, fuel {}, epoch checks {}", on(0), on(1), on(2))
}

/// 64-bit FNV-1a: catches damaged files (it is not a defence against a
/// forged one; loading a file is `unsafe` for that reason).
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
    }
}

/// Reads the format, failing with the offset where the file ends early.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.bytes.len()).ok_or_else(|| {
            Error::Precompiled(format!(
                "truncated: {what} at byte {} runs past the end ({} bytes)",
                self.at,
                self.bytes.len()
            ))
        })?;
        let piece = &self.bytes[self.at..end];
        self.at = end;
        Ok(piece)
    }
    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }
    fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self, what: &str) -> Result<u64> {
        let b = self.take(8, what)?;
        Ok(u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    }
    fn len(&mut self, what: &str) -> Result<usize> {
        usize::try_from(self.u64(what)?).map_err(|_| Error::Precompiled(format!("{what}: length too large")))
    }
    fn str(&mut self, what: &str) -> Result<&'a str> {
        let n = self.u32(what)? as usize;
        std::str::from_utf8(self.take(n, what)?)
            .map_err(|_| Error::Precompiled(format!("{what} is not UTF-8")))
    }
    fn offsets(&mut self, what: &str, code_len: usize) -> Result<Vec<usize>> {
        let n = self.u32(what)? as usize;
        (0..n)
            .map(|_| {
                let offset = self.len(what)?;
                if offset < code_len {
                    Ok(offset)
                } else {
                    Err(Error::Precompiled(format!(
                        "{what}: offset {offset} is outside the {code_len} bytes of code"
                    )))
                }
            })
            .collect()
    }
}

impl Module {
    /// The module's machine code and Wasm bytes, for
    /// [`Module::deserialize`] in this or another process with the same
    /// Plumb version, target and code-changing `Config` settings.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        let inner = &self.inner;
        let (version, target, settings) = fingerprint(&inner.engine);
        let mut w = Writer(MAGIC.to_vec());
        w.u32(FORMAT);
        w.str(&version);
        w.str(&target);
        w.u32(settings);
        w.bytes(&inner.wasm);
        w.bytes(inner.code.memory.code());
        let sites = &inner.code.memory.traps().sites;
        w.u32(sites.len() as u32);
        for &(offset, code) in sites {
            w.u32(offset);
            w.0.push(TrapCode::ALL.iter().position(|&c| c == code).unwrap_or(0) as u8);
        }
        for offsets in [&inner.code.funcs, &inner.code.entries] {
            w.u32(offsets.len() as u32);
            for &offset in offsets {
                w.u64(offset as u64);
            }
        }
        let spans = &inner.code.memory.traps().funcs;
        w.u32(spans.len() as u32);
        for span in spans {
            w.u32(span.start);
            w.u32(span.end);
            w.u32(span.index);
            w.u32(span.srclocs.len() as u32);
            for &(code, module) in &span.srclocs {
                w.u32(code);
                w.u32(module);
            }
        }
        let sum = checksum(&w.0);
        w.u64(sum);
        Ok(w.0)
    }

    /// Loads a module [`Module::serialize`] wrote, without compiling it.
    ///
    /// The header must match this engine (Plumb version, target, the
    /// `Config` settings that change code) and the checksum the contents;
    /// otherwise this fails with [`Error::Precompiled`] before mapping any
    /// code.
    ///
    /// # Safety
    /// The machine code in `bytes` is run as it is. The checks catch
    /// damaged and mismatched files, not forged ones: `bytes` must come from
    /// `Module::serialize` (of a trusted Plumb), as with wasmtime's
    /// `Module::deserialize`.
    pub unsafe fn deserialize(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let bytes = bytes.as_ref();
        if !bytes.starts_with(MAGIC) {
            return Err(Error::Precompiled("not a precompiled Plumb module (bad magic bytes)".into()));
        }
        let (body, sum) = bytes.split_at(bytes.len().saturating_sub(8).max(MAGIC.len()));
        let mut r = Reader { bytes: body, at: MAGIC.len() };
        let format = r.u32("format version")?;
        if format != FORMAT {
            return Err(Error::Precompiled(format!("format version {format}, this Plumb reads {FORMAT}")));
        }
        let (version, target, settings) = fingerprint(engine);
        let file_version = r.str("Plumb version")?;
        if file_version != version {
            return Err(Error::Precompiled(format!("made by Plumb {file_version}, this is Plumb {version}")));
        }
        let file_target = r.str("target")?;
        let file_settings = r.u32("settings")?;
        // Settings first: a different optimiser level also changes the
        // target's shared flags, and the settings say it in words.
        if file_settings != settings {
            return Err(Error::Precompiled(format!(
                "compiled with {}, this engine has {}",
                describe(file_settings),
                describe(settings)
            )));
        }
        if file_target != target {
            return Err(Error::Precompiled(format!(
                "compiled for `{file_target}`, this engine targets `{target}`"
            )));
        }
        if sum.len() != 8 || checksum(body).to_le_bytes() != sum {
            return Err(Error::Precompiled("checksum mismatch: the file is damaged or truncated".into()));
        }
        let n = r.len("Wasm")?;
        let wasm = r.take(n, "Wasm")?;
        let n = r.len("code")?;
        let code = r.take(n, "code")?;
        let mut traps = TrapTable::default();
        for _ in 0..r.u32("trap count")? {
            let offset = r.u32("trap offset")?;
            let code_index = r.u8("trap code")?;
            let trap = *TrapCode::ALL
                .get(code_index as usize)
                .ok_or_else(|| Error::Precompiled(format!("unknown trap code {code_index}")))?;
            traps.sites.push((offset, trap));
        }
        let funcs = r.offsets("function offsets", code.len())?;
        let entries = r.offsets("entry offsets", code.len())?;
        let mut spans = Vec::new();
        for _ in 0..r.u32("span count")? {
            let (start, end, index) = (r.u32("span start")?, r.u32("span end")?, r.u32("span index")?);
            if start > end || end as usize > code.len() {
                return Err(Error::Precompiled(format!("function span {start}..{end} is outside the code")));
            }
            let srclocs = (0..r.u32("source location count")?)
                .map(|_| Ok((r.u32("source location")?, r.u32("source location")?)))
                .collect::<Result<Vec<_>>>()?;
            spans.push((start, end, index, srclocs));
        }
        if r.at != body.len() {
            return Err(Error::Precompiled(format!("{} bytes after the contents", body.len() - r.at)));
        }
        let (info, _) = decode(wasm)?;
        if funcs.len() != info.funcs.len() - info.imported_funcs || entries.len() != info.types.len() {
            return Err(Error::Precompiled(
                "the code does not match the module's functions and types".into(),
            ));
        }
        traps.sites.sort_by_key(|&(o, _)| o);
        traps.funcs = spans
            .into_iter()
            .map(|(start, end, index, srclocs)| FuncSpan {
                start,
                end,
                index,
                name: info.func_names.get(&index).cloned(),
                srclocs,
            })
            .collect();
        let memory = CodeMemory::new(code, traps).map_err(Error::Resource)?;
        let type_ids = engine.module_type_ids(&info);
        let code = CompiledCode { memory, funcs, entries };
        Module::from_inner(ModuleInner {
            engine: engine.clone(),
            info,
            code,
            type_ids,
            wasm: wasm.to_vec(),
            memory_image: Default::default(),
        })
    }
}
