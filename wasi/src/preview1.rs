//! The `wasi_snapshot_preview1` functions and their registration in a
//! [`Linker`]. Each function reads its arguments from the guest's memory
//! through [`GuestMemory`] (bad pointers are `EFAULT`), acts on the
//! [`WasiCtx`] and returns an errno; only `proc_exit` ends the call with a
//! trap. Paths are resolved by cap-std beneath a directory descriptor, never
//! against the host's root or working directory.

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use std::os::unix::fs::DirEntryExt;

use cap_std::fs::{Dir, FileTypeExt, Metadata, MetadataExt, OpenOptions};
use plumb::{Caller, Extern, FuncType, Linker, Trap, Val, ValType};
use rustix::fs::OFlags;

use crate::ctx::{Descriptor, OpenDir, WasiCtx};
use crate::errno::Errno;
use crate::memory::GuestMemory;

/// The import module of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// The message of the trap that carries a `proc_exit`.
pub(crate) const EXIT_MESSAGE: &str = "proc_exit";

/// The arguments of one call, as the types the import declares.
struct Args<'a>(&'a [Val]);

impl Args<'_> {
    fn u32(&self, i: usize) -> Result<u32, Errno> {
        self.0.get(i).and_then(Val::i32).map(|v| v as u32).ok_or(Errno::Inval)
    }

    fn u64(&self, i: usize) -> Result<u64, Errno> {
        self.0.get(i).and_then(Val::i64).map(|v| v as u64).ok_or(Errno::Inval)
    }
}

type Handler = fn(&mut WasiCtx, &mut GuestMemory<'_>, &Args<'_>) -> Result<(), Errno>;

use ValType::{I32, I64};

/// Every function but `proc_exit`: name, parameter types (the result is
/// always an `i32` errno) and body.
const FUNCTIONS: &[(&str, &[ValType], Handler)] = &[
    ("args_get", &[I32, I32], args_get),
    ("args_sizes_get", &[I32, I32], args_sizes_get),
    ("environ_get", &[I32, I32], environ_get),
    ("environ_sizes_get", &[I32, I32], environ_sizes_get),
    ("clock_res_get", &[I32, I32], clock_res_get),
    ("clock_time_get", &[I32, I64, I32], clock_time_get),
    ("fd_advise", &[I32, I64, I64, I32], fd_advise),
    ("fd_allocate", &[I32, I64, I64], unsupported),
    ("fd_close", &[I32], fd_close),
    ("fd_datasync", &[I32], fd_datasync),
    ("fd_fdstat_get", &[I32, I32], fd_fdstat_get),
    ("fd_fdstat_set_flags", &[I32, I32], fd_fdstat_set_flags),
    ("fd_fdstat_set_rights", &[I32, I64, I64], unsupported),
    ("fd_filestat_get", &[I32, I32], fd_filestat_get),
    ("fd_filestat_set_size", &[I32, I64], fd_filestat_set_size),
    ("fd_filestat_set_times", &[I32, I64, I64, I32], unsupported),
    ("fd_pread", &[I32, I32, I32, I64, I32], fd_pread),
    ("fd_prestat_get", &[I32, I32], fd_prestat_get),
    ("fd_prestat_dir_name", &[I32, I32, I32], fd_prestat_dir_name),
    ("fd_pwrite", &[I32, I32, I32, I64, I32], fd_pwrite),
    ("fd_read", &[I32, I32, I32, I32], fd_read),
    ("fd_readdir", &[I32, I32, I32, I64, I32], fd_readdir),
    ("fd_renumber", &[I32, I32], fd_renumber),
    ("fd_seek", &[I32, I64, I32, I32], fd_seek),
    ("fd_sync", &[I32], fd_sync),
    ("fd_tell", &[I32, I32], fd_tell),
    ("fd_write", &[I32, I32, I32, I32], fd_write),
    ("path_create_directory", &[I32, I32, I32], path_create_directory),
    ("path_filestat_get", &[I32, I32, I32, I32, I32], path_filestat_get),
    ("path_filestat_set_times", &[I32, I32, I32, I32, I64, I64, I32], unsupported),
    ("path_link", &[I32, I32, I32, I32, I32, I32, I32], path_link),
    ("path_open", &[I32, I32, I32, I32, I32, I64, I64, I32, I32], path_open),
    ("path_readlink", &[I32, I32, I32, I32, I32, I32], path_readlink),
    ("path_remove_directory", &[I32, I32, I32], path_remove_directory),
    ("path_rename", &[I32, I32, I32, I32, I32, I32], path_rename),
    ("path_symlink", &[I32, I32, I32, I32, I32], path_symlink),
    ("path_unlink_file", &[I32, I32, I32], path_unlink_file),
    ("poll_oneoff", &[I32, I32, I32, I32], poll_oneoff),
    ("proc_raise", &[I32], unsupported),
    ("sched_yield", &[], sched_yield),
    ("random_get", &[I32, I32], random_get),
    ("sock_accept", &[I32, I32, I32], unsupported),
    ("sock_recv", &[I32, I32, I32, I32, I32, I32], unsupported),
    ("sock_send", &[I32, I32, I32, I32, I32], unsupported),
    ("sock_shutdown", &[I32, I32], unsupported),
];

/// Defines every `wasi_snapshot_preview1` function in `linker`; `get` finds
/// the [`WasiCtx`] in the store's data.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut WasiCtx,
) -> plumb::Result<()> {
    for &(name, params, handler) in FUNCTIONS {
        let ty = FuncType::new(params.iter().copied(), [I32]);
        linker.func_new(MODULE, name, ty, move |mut caller, args, results| {
            let errno = call_in_store(&mut caller, get, handler, args)?;
            if let Some(slot) = results.first_mut() {
                *slot = Val::I32(i32::from(errno));
            }
            Ok(())
        })?;
    }
    linker.func_new(MODULE, "proc_exit", FuncType::new([I32], []), move |mut caller, args, _| {
        let code = args.first().and_then(Val::i32).unwrap_or(1);
        get(caller.data_mut()).exit_code = Some(code);
        Err(Trap::host(ProcExit(code).to_string()))
    })?;
    Ok(())
}

/// `proc_exit(code)`: the guest asked to end with this code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{EXIT_MESSAGE}({0})")]
pub struct ProcExit(pub i32);

/// Every preview 1 function with its parameter types; each returns one
/// `i32` errno, except `proc_exit`, which returns nothing.
pub fn functions() -> impl Iterator<Item = (&'static str, &'static [ValType])> {
    FUNCTIONS.iter().map(|&(name, params, _)| (name, params)).chain([("proc_exit", &[I32][..])])
}

/// Runs the function `name` on `ctx` and the guest's `memory` with `args`
/// (of the types [`functions`] gives): its errno, or the exit `proc_exit`
/// asks for. This is how another runtime embeds this WASI (the benchmark
/// does, so that every engine it measures gets the same one); an unknown
/// name is `ENOSYS`.
pub fn call(ctx: &mut WasiCtx, memory: &mut [u8], name: &str, args: &[Val]) -> Result<u16, ProcExit> {
    if name == "proc_exit" {
        let code = args.first().and_then(Val::i32).unwrap_or(1);
        ctx.exit_code = Some(code);
        return Err(ProcExit(code));
    }
    let Some(&(_, _, handler)) = FUNCTIONS.iter().find(|(n, ..)| *n == name) else {
        return Ok(Errno::Nosys.code());
    };
    Ok(handler(ctx, &mut GuestMemory::new(memory), &Args(args)).map_or_else(Errno::code, |()| 0))
}

/// Runs `handler` with the context and the calling instance's exported
/// `memory` side by side (the store lends both at once). A caller without a
/// `memory` export traps, as in wasmtime: WASI's pointers need one.
fn call_in_store<T>(
    caller: &mut Caller<'_, T>,
    get: fn(&mut T) -> &mut WasiCtx,
    handler: Handler,
    args: &[Val],
) -> Result<u16, Trap> {
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return Err(Trap::host(
            "a WASI function was called by an instance that exports no memory named `memory`",
        ));
    };
    let (bytes, data) = memory.data_and_store_mut(caller);
    let result = handler(get(data), &mut GuestMemory::new(bytes), &Args(args));
    Ok(result.map_or_else(Errno::code, |()| 0))
}

// ---- helpers ----------------------------------------------------------------

/// `base + delta` as a guest address, or `EFAULT`.
fn offset(base: u32, delta: usize) -> Result<u32, Errno> {
    u32::try_from(delta).ok().and_then(|d| base.checked_add(d)).ok_or(Errno::Fault)
}

fn descriptor(ctx: &mut WasiCtx, fd: u32) -> Result<&mut Descriptor, Errno> {
    ctx.fds.get_mut(&fd).ok_or(Errno::Badf)
}

/// The directory capability behind `fd`.
fn dir(ctx: &WasiCtx, fd: u32) -> Result<&Dir, Errno> {
    match ctx.fds.get(&fd) {
        Some(Descriptor::Dir(open)) => Ok(&open.dir),
        Some(_) => Err(Errno::Notdir),
        None => Err(Errno::Badf),
    }
}

/// The regular file behind `fd`, for the calls that need one.
fn file(ctx: &mut WasiCtx, fd: u32) -> Result<&mut std::fs::File, Errno> {
    match descriptor(ctx, fd)? {
        Descriptor::File(file) => Ok(file),
        Descriptor::Dir(_) => Err(Errno::Isdir),
        Descriptor::Reader(_) | Descriptor::Writer(_) => Err(Errno::Spipe),
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

fn timestamp(seconds: i64, nanoseconds: i64) -> u64 {
    let total = i128::from(seconds) * 1_000_000_000 + i128::from(nanoseconds);
    u64::try_from(total).unwrap_or(0)
}

// File types.
const FILETYPE_UNKNOWN: u8 = 0;
const FILETYPE_BLOCK_DEVICE: u8 = 1;
const FILETYPE_CHARACTER_DEVICE: u8 = 2;
const FILETYPE_DIRECTORY: u8 = 3;
const FILETYPE_REGULAR_FILE: u8 = 4;
const FILETYPE_SOCKET_STREAM: u8 = 6;
const FILETYPE_SYMBOLIC_LINK: u8 = 7;

fn filetype(ty: cap_std::fs::FileType) -> u8 {
    if ty.is_dir() {
        FILETYPE_DIRECTORY
    } else if ty.is_file() {
        FILETYPE_REGULAR_FILE
    } else if ty.is_symlink() {
        FILETYPE_SYMBOLIC_LINK
    } else if ty.is_block_device() {
        FILETYPE_BLOCK_DEVICE
    } else if ty.is_char_device() {
        FILETYPE_CHARACTER_DEVICE
    } else if ty.is_socket() {
        FILETYPE_SOCKET_STREAM
    } else {
        FILETYPE_UNKNOWN
    }
}

/// Writes a `filestat` (64 bytes) at `ptr`.
fn write_filestat(memory: &mut GuestMemory<'_>, ptr: u32, meta: &Metadata) -> Result<(), Errno> {
    let mut bytes = [0u8; 64];
    bytes[0..8].copy_from_slice(&meta.dev().to_le_bytes());
    bytes[8..16].copy_from_slice(&meta.ino().to_le_bytes());
    bytes[16] = filetype(meta.file_type());
    bytes[24..32].copy_from_slice(&meta.nlink().to_le_bytes());
    bytes[32..40].copy_from_slice(&meta.size().to_le_bytes());
    bytes[40..48].copy_from_slice(&timestamp(meta.atime(), meta.atime_nsec()).to_le_bytes());
    bytes[48..56].copy_from_slice(&timestamp(meta.mtime(), meta.mtime_nsec()).to_le_bytes());
    bytes[56..64].copy_from_slice(&timestamp(meta.ctime(), meta.ctime_nsec()).to_le_bytes());
    memory.write(ptr, &bytes)
}

// Rights: Plumb does not narrow rights per descriptor (as wasmtime), but
// reports them so that wasi-libc's `isatty` and `fcntl` see what they expect.
const RIGHT_FD_READ: u64 = 1 << 1;
const RIGHT_FD_WRITE: u64 = 1 << 6;
const RIGHT_FD_READDIR: u64 = 1 << 14;
const RIGHT_FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
const RIGHT_POLL_FD_READWRITE: u64 = 1 << 27;
const RIGHTS_ALL: u64 = (1 << 30) - 1;

// fdflags.
const FDFLAGS_APPEND: u16 = 1;
const FDFLAGS_NONBLOCK: u16 = 4;

// ---- args, environ, clocks, random ------------------------------------------

/// Writes NUL-terminated `strings` to `buf` and pointers to them to `ptrs`.
fn write_strings(
    memory: &mut GuestMemory<'_>,
    strings: &[Vec<u8>],
    ptrs: u32,
    buf: u32,
) -> Result<(), Errno> {
    let mut at = buf;
    for (i, string) in strings.iter().enumerate() {
        memory.write_u32(offset(ptrs, i * 4)?, at)?;
        memory.write(at, string)?;
        at = offset(at, string.len())?;
        memory.write_u8(at, 0)?;
        at = offset(at, 1)?;
    }
    Ok(())
}

fn write_sizes(
    memory: &mut GuestMemory<'_>,
    strings: &[Vec<u8>],
    count: u32,
    size: u32,
) -> Result<(), Errno> {
    let bytes: usize = strings.iter().map(|s| s.len() + 1).sum();
    memory.write_u32(count, u32::try_from(strings.len()).map_err(|_| Errno::TooBig)?)?;
    memory.write_u32(size, u32::try_from(bytes).map_err(|_| Errno::TooBig)?)
}

fn args_bytes(ctx: &WasiCtx) -> Vec<Vec<u8>> {
    ctx.args.iter().map(|a| a.as_bytes().to_vec()).collect()
}

fn environ_bytes(ctx: &WasiCtx) -> Vec<Vec<u8>> {
    ctx.env.iter().map(|(k, v)| format!("{k}={v}").into_bytes()).collect()
}

fn args_get(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    write_strings(memory, &args_bytes(ctx), args.u32(0)?, args.u32(1)?)
}

fn args_sizes_get(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    write_sizes(memory, &args_bytes(ctx), args.u32(0)?, args.u32(1)?)
}

fn environ_get(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    write_strings(memory, &environ_bytes(ctx), args.u32(0)?, args.u32(1)?)
}

fn environ_sizes_get(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    write_sizes(memory, &environ_bytes(ctx), args.u32(0)?, args.u32(1)?)
}

const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;

/// The time of clock `id` in nanoseconds: realtime since the Unix epoch,
/// monotonic since the context was built. The CPU-time clocks are `EINVAL`.
fn clock_now(ctx: &WasiCtx, id: u32) -> Result<u64, Errno> {
    match id {
        CLOCK_REALTIME => {
            Ok(SystemTime::now().duration_since(UNIX_EPOCH).map(nanos).map_err(|_| Errno::Overflow)?)
        }
        CLOCK_MONOTONIC => Ok(nanos(ctx.started.elapsed())),
        _ => Err(Errno::Inval),
    }
}

fn clock_res_get(_ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let resolution = match args.u32(0)? {
        CLOCK_REALTIME => 1_000,
        CLOCK_MONOTONIC => 1,
        _ => return Err(Errno::Inval),
    };
    memory.write_u64(args.u32(1)?, resolution)
}

fn clock_time_get(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let now = clock_now(ctx, args.u32(0)?)?;
    memory.write_u64(args.u32(2)?, now)
}

fn random_get(_ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let mut buf = memory.slice_mut(args.u32(0)?, args.u32(1)?)?;
    while !buf.is_empty() {
        let n = rustix::rand::getrandom(&mut *buf, rustix::rand::GetRandomFlags::empty())
            .map_err(|e| Errno::from(std::io::Error::from(e)))?;
        buf = &mut buf[n..];
    }
    Ok(())
}

fn sched_yield(_ctx: &mut WasiCtx, _memory: &mut GuestMemory<'_>, _args: &Args<'_>) -> Result<(), Errno> {
    std::thread::yield_now();
    Ok(())
}

fn unsupported(_ctx: &mut WasiCtx, _memory: &mut GuestMemory<'_>, _args: &Args<'_>) -> Result<(), Errno> {
    Err(Errno::Nosys)
}

// ---- descriptors --------------------------------------------------------------

fn fd_advise(ctx: &mut WasiCtx, _memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    file(ctx, args.u32(0)?)?;
    if args.u32(3)? > 5 {
        return Err(Errno::Inval);
    }
    Ok(())
}

fn fd_close(ctx: &mut WasiCtx, _memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    ctx.fds.remove(&args.u32(0)?).map(drop).ok_or(Errno::Badf)
}

fn fd_renumber(ctx: &mut WasiCtx, _memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let (from, to) = (args.u32(0)?, args.u32(1)?);
    if !ctx.fds.contains_key(&to) {
        return Err(Errno::Badf);
    }
    let descriptor = ctx.fds.remove(&from).ok_or(Errno::Badf)?;
    ctx.fds.insert(to, descriptor);
    Ok(())
}

fn sync(ctx: &mut WasiCtx, fd: u32, data_only: bool) -> Result<(), Errno> {
    match descriptor(ctx, fd)? {
        Descriptor::File(file) if data_only => Ok(file.sync_data()?),
        Descriptor::File(file) => Ok(file.sync_all()?),
        Descriptor::Writer(writer) => Ok(writer.flush()?),
        Descriptor::Dir(_) | Descriptor::Reader(_) => Ok(()),
    }
}

fn fd_sync(ctx: &mut WasiCtx, _memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    sync(ctx, args.u32(0)?, false)
}

fn fd_datasync(ctx: &mut WasiCtx, _memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    sync(ctx, args.u32(0)?, true)
}

fn fd_fdstat_get(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let (filetype, flags, rights) = match descriptor(ctx, args.u32(0)?)? {
        Descriptor::File(file) => {
            let ty = filetype(Metadata::from_file(file)?.file_type());
            let host = rustix::fs::fcntl_getfl(&*file).map_err(std::io::Error::from)?;
            let mut flags = 0;
            if host.contains(OFlags::APPEND) {
                flags |= FDFLAGS_APPEND;
            }
            if host.contains(OFlags::NONBLOCK) {
                flags |= FDFLAGS_NONBLOCK;
            }
            (ty, flags, RIGHTS_ALL)
        }
        Descriptor::Dir(_) => (FILETYPE_DIRECTORY, 0, RIGHTS_ALL),
        Descriptor::Reader(_) => (FILETYPE_CHARACTER_DEVICE, 0, RIGHT_FD_READ | RIGHT_POLL_FD_READWRITE),
        Descriptor::Writer(_) => (FILETYPE_CHARACTER_DEVICE, 0, RIGHT_FD_WRITE | RIGHT_POLL_FD_READWRITE),
    };
    let ptr = args.u32(1)?;
    let mut bytes = [0u8; 24];
    bytes[0] = filetype;
    bytes[2..4].copy_from_slice(&flags.to_le_bytes());
    bytes[8..16].copy_from_slice(&rights.to_le_bytes());
    bytes[16..24].copy_from_slice(&rights.to_le_bytes());
    memory.write(ptr, &bytes)
}

fn fd_fdstat_set_flags(
    ctx: &mut WasiCtx,
    _memory: &mut GuestMemory<'_>,
    args: &Args<'_>,
) -> Result<(), Errno> {
    let flags = u16::try_from(args.u32(1)?).map_err(|_| Errno::Inval)?;
    if flags & !(FDFLAGS_APPEND | FDFLAGS_NONBLOCK) != 0 {
        return Err(Errno::Notsup);
    }
    let file = file(ctx, args.u32(0)?)?;
    let mut host = OFlags::empty();
    if flags & FDFLAGS_APPEND != 0 {
        host |= OFlags::APPEND;
    }
    if flags & FDFLAGS_NONBLOCK != 0 {
        host |= OFlags::NONBLOCK;
    }
    rustix::fs::fcntl_setfl(&*file, host).map_err(std::io::Error::from)?;
    Ok(())
}

fn fd_filestat_get(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let ptr = args.u32(1)?;
    let meta = match descriptor(ctx, args.u32(0)?)? {
        Descriptor::File(file) => Metadata::from_file(file)?,
        Descriptor::Dir(open) => open.dir.dir_metadata()?,
        Descriptor::Reader(_) | Descriptor::Writer(_) => {
            let mut bytes = [0u8; 64];
            bytes[16] = FILETYPE_CHARACTER_DEVICE;
            return memory.write(ptr, &bytes);
        }
    };
    write_filestat(memory, ptr, &meta)
}

fn fd_filestat_set_size(
    ctx: &mut WasiCtx,
    _memory: &mut GuestMemory<'_>,
    args: &Args<'_>,
) -> Result<(), Errno> {
    Ok(file(ctx, args.u32(0)?)?.set_len(args.u64(1)?)?)
}

fn fd_prestat_get(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let name = match descriptor(ctx, args.u32(0)?)? {
        Descriptor::Dir(OpenDir { preopen: Some(name), .. }) => name,
        _ => return Err(Errno::Badf),
    };
    let len = u32::try_from(name.len()).map_err(|_| Errno::Nametoolong)?;
    let ptr = args.u32(1)?;
    memory.write(ptr, &[0; 8])?;
    memory.write_u32(offset(ptr, 4)?, len)
}

fn fd_prestat_dir_name(
    ctx: &mut WasiCtx,
    memory: &mut GuestMemory<'_>,
    args: &Args<'_>,
) -> Result<(), Errno> {
    let name = match descriptor(ctx, args.u32(0)?)? {
        Descriptor::Dir(OpenDir { preopen: Some(name), .. }) => name,
        _ => return Err(Errno::Badf),
    };
    if (args.u32(2)? as usize) < name.len() {
        return Err(Errno::Nametoolong);
    }
    memory.write(args.u32(1)?, name.as_bytes())
}

/// Reads into the guest's buffers in turn until one is not filled.
fn read_vectored(
    source: &mut dyn Read,
    memory: &mut GuestMemory<'_>,
    iovecs: &[(u32, u32)],
) -> Result<u32, Errno> {
    let mut total = 0u32;
    for &(ptr, len) in iovecs {
        let n = source.read(memory.slice_mut(ptr, len)?)?;
        total = total.saturating_add(n as u32);
        if (n as u32) < len {
            break;
        }
    }
    Ok(total)
}

fn fd_read(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let iovecs = memory.iovecs(args.u32(1)?, args.u32(2)?)?;
    let n = match descriptor(ctx, args.u32(0)?)? {
        Descriptor::Reader(reader) => read_vectored(reader, memory, &iovecs)?,
        Descriptor::File(file) => read_vectored(file, memory, &iovecs)?,
        Descriptor::Dir(_) => return Err(Errno::Isdir),
        Descriptor::Writer(_) => return Err(Errno::Badf),
    };
    memory.write_u32(args.u32(3)?, n)
}

fn fd_pread(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let iovecs = memory.iovecs(args.u32(1)?, args.u32(2)?)?;
    let mut at = args.u64(3)?;
    let file = file(ctx, args.u32(0)?)?;
    let mut total = 0u32;
    for &(ptr, len) in &iovecs {
        let n = file.read_at(memory.slice_mut(ptr, len)?, at)?;
        total = total.saturating_add(n as u32);
        at = at.saturating_add(n as u64);
        if (n as u32) < len {
            break;
        }
    }
    memory.write_u32(args.u32(4)?, total)
}

/// Writes the guest's buffers in turn, each completely.
fn write_vectored(
    sink: &mut dyn Write,
    memory: &GuestMemory<'_>,
    iovecs: &[(u32, u32)],
) -> Result<u32, Errno> {
    let mut total = 0u32;
    for &(ptr, len) in iovecs {
        sink.write_all(memory.slice(ptr, len)?)?;
        total = total.saturating_add(len);
    }
    Ok(total)
}

fn fd_write(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let iovecs = memory.iovecs(args.u32(1)?, args.u32(2)?)?;
    let n = match descriptor(ctx, args.u32(0)?)? {
        Descriptor::Writer(writer) => {
            let n = write_vectored(writer, memory, &iovecs)?;
            writer.flush()?;
            n
        }
        Descriptor::File(file) => write_vectored(file, memory, &iovecs)?,
        Descriptor::Dir(_) => return Err(Errno::Isdir),
        Descriptor::Reader(_) => return Err(Errno::Badf),
    };
    memory.write_u32(args.u32(3)?, n)
}

fn fd_pwrite(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let iovecs = memory.iovecs(args.u32(1)?, args.u32(2)?)?;
    let mut at = args.u64(3)?;
    let file = file(ctx, args.u32(0)?)?;
    let mut total = 0u32;
    for &(ptr, len) in &iovecs {
        file.write_all_at(memory.slice(ptr, len)?, at)?;
        total = total.saturating_add(len);
        at = at.saturating_add(u64::from(len));
    }
    memory.write_u32(args.u32(4)?, total)
}

fn fd_seek(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let delta = args.u64(1)? as i64;
    let whence = match args.u32(2)? {
        0 => SeekFrom::Start(u64::try_from(delta).map_err(|_| Errno::Inval)?),
        1 => SeekFrom::Current(delta),
        2 => SeekFrom::End(delta),
        _ => return Err(Errno::Inval),
    };
    let position = match descriptor(ctx, args.u32(0)?)? {
        Descriptor::File(file) => file.seek(whence)?,
        Descriptor::Dir(_) => return Err(Errno::Badf),
        Descriptor::Reader(_) | Descriptor::Writer(_) => return Err(Errno::Spipe),
    };
    memory.write_u64(args.u32(3)?, position)
}

fn fd_tell(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let position = file(ctx, args.u32(0)?)?.stream_position()?;
    memory.write_u64(args.u32(1)?, position)
}

/// Size of a `dirent` header.
const DIRENT_SIZE: usize = 24;

fn fd_readdir(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let (buf, buf_len, cookie, used_ptr) = (args.u32(1)?, args.u32(2)?, args.u64(3)?, args.u32(4)?);
    let dir = dir(ctx, args.u32(0)?)?;
    // `.` and `..` first, then the entries sorted by name, so a cookie (an
    // index) means the same entry from one call to the next.
    let mut entries = vec![
        (b".".to_vec(), dir.dir_metadata()?.ino(), FILETYPE_DIRECTORY),
        (b"..".to_vec(), 0, FILETYPE_DIRECTORY),
    ];
    let mut rest = Vec::new();
    for entry in dir.entries()? {
        let entry = entry?;
        let ty = entry.file_type().map(filetype).unwrap_or(FILETYPE_UNKNOWN);
        rest.push((entry.file_name().as_bytes().to_vec(), entry.ino(), ty));
    }
    rest.sort();
    entries.extend(rest);
    let mut out = Vec::new();
    for (index, (name, ino, ty)) in
        entries.iter().enumerate().skip(usize::try_from(cookie).unwrap_or(usize::MAX))
    {
        if out.len() >= buf_len as usize {
            break;
        }
        let mut header = [0u8; DIRENT_SIZE];
        header[0..8].copy_from_slice(&(index as u64 + 1).to_le_bytes());
        header[8..16].copy_from_slice(&ino.to_le_bytes());
        header[16..20].copy_from_slice(&(name.len() as u32).to_le_bytes());
        header[20] = *ty;
        out.extend_from_slice(&header);
        out.extend_from_slice(name);
    }
    out.truncate(buf_len as usize);
    memory.write(buf, &out)?;
    memory.write_u32(used_ptr, out.len() as u32)
}

// ---- paths --------------------------------------------------------------------

const LOOKUP_SYMLINK_FOLLOW: u32 = 1;
const OFLAGS_CREAT: u32 = 1;
const OFLAGS_DIRECTORY: u32 = 2;
const OFLAGS_EXCL: u32 = 4;
const OFLAGS_TRUNC: u32 = 8;

fn path_open(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let follow = args.u32(1)? & LOOKUP_SYMLINK_FOLLOW != 0;
    let path = memory.str(args.u32(2)?, args.u32(3)?)?;
    let oflags = args.u32(4)?;
    let rights = args.u64(5)?;
    let fdflags = args.u32(7)?;
    let base = dir(ctx, args.u32(0)?)?;
    let creat = oflags & OFLAGS_CREAT != 0;
    let trunc = oflags & OFLAGS_TRUNC != 0;
    let want_write = rights & (RIGHT_FD_WRITE | RIGHT_FD_FILESTAT_SET_SIZE) != 0
        || fdflags & u32::from(FDFLAGS_APPEND) != 0;
    if !follow && base.symlink_metadata(path).is_ok_and(|m| m.is_symlink()) {
        // What O_NOFOLLOW gives on a symlink.
        return Err(Errno::Loop);
    }
    // A directory is opened as a directory capability, also when the guest
    // did not say O_DIRECTORY (`open(".", O_RDONLY)`).
    let is_dir = oflags & OFLAGS_DIRECTORY != 0
        || (!creat && !trunc && !want_write && base.metadata(path).is_ok_and(|m| m.is_dir()));
    let descriptor = if is_dir {
        if creat || trunc {
            return Err(Errno::Inval);
        }
        Descriptor::Dir(OpenDir { dir: base.open_dir(path)?, preopen: None })
    } else {
        let write = want_write || creat || trunc;
        let mut options = OpenOptions::new();
        options
            .read(rights & (RIGHT_FD_READ | RIGHT_FD_READDIR) != 0 || !write)
            .write(write)
            .append(fdflags & u32::from(FDFLAGS_APPEND) != 0)
            .truncate(trunc);
        if creat && oflags & OFLAGS_EXCL != 0 {
            options.create_new(true);
        } else if creat {
            options.create(true);
        }
        Descriptor::File(base.open_with(path, &options)?.into_std())
    };
    let fd = ctx.push(descriptor)?;
    memory.write_u32(args.u32(8)?, fd)
}

fn path_filestat_get(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let follow = args.u32(1)? & LOOKUP_SYMLINK_FOLLOW != 0;
    let path = memory.str(args.u32(2)?, args.u32(3)?)?;
    let base = dir(ctx, args.u32(0)?)?;
    let meta = if follow { base.metadata(path)? } else { base.symlink_metadata(path)? };
    write_filestat(memory, args.u32(4)?, &meta)
}

fn path_create_directory(
    ctx: &mut WasiCtx,
    memory: &mut GuestMemory<'_>,
    args: &Args<'_>,
) -> Result<(), Errno> {
    let path = memory.str(args.u32(1)?, args.u32(2)?)?;
    Ok(dir(ctx, args.u32(0)?)?.create_dir(path)?)
}

fn path_remove_directory(
    ctx: &mut WasiCtx,
    memory: &mut GuestMemory<'_>,
    args: &Args<'_>,
) -> Result<(), Errno> {
    let path = memory.str(args.u32(1)?, args.u32(2)?)?;
    Ok(dir(ctx, args.u32(0)?)?.remove_dir(path)?)
}

fn path_unlink_file(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let path = memory.str(args.u32(1)?, args.u32(2)?)?;
    Ok(dir(ctx, args.u32(0)?)?.remove_file(path)?)
}

fn path_rename(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let from = memory.str(args.u32(1)?, args.u32(2)?)?;
    let to = memory.str(args.u32(4)?, args.u32(5)?)?;
    let (from_dir, to_dir) = (dir(ctx, args.u32(0)?)?, dir(ctx, args.u32(3)?)?);
    Ok(from_dir.rename(from, to_dir, to)?)
}

fn path_link(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let from = memory.str(args.u32(2)?, args.u32(3)?)?;
    let to = memory.str(args.u32(5)?, args.u32(6)?)?;
    let (from_dir, to_dir) = (dir(ctx, args.u32(0)?)?, dir(ctx, args.u32(4)?)?);
    Ok(from_dir.hard_link(from, to_dir, to)?)
}

fn path_readlink(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let path = memory.str(args.u32(1)?, args.u32(2)?)?;
    let target = dir(ctx, args.u32(0)?)?.read_link(path)?;
    let bytes = target.as_os_str().as_bytes();
    let n = bytes.len().min(args.u32(4)? as usize);
    memory.write(args.u32(3)?, &bytes[..n])?;
    memory.write_u32(args.u32(5)?, n as u32)
}

fn path_symlink(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let target = memory.str(args.u32(0)?, args.u32(1)?)?;
    let link = memory.str(args.u32(3)?, args.u32(4)?)?;
    Ok(dir(ctx, args.u32(2)?)?.symlink(target, link)?)
}

// ---- poll ---------------------------------------------------------------------

const SUBSCRIPTION_SIZE: u32 = 48;
const EVENT_SIZE: usize = 32;
const EVENTTYPE_CLOCK: u8 = 0;
const SUBCLOCKFLAGS_ABSTIME: u16 = 1;

/// One event to report: userdata, errno, type.
type Event = (u64, u16, u8);

/// `poll_oneoff` for clocks: sleeps until the earliest clock subscription
/// is due. File descriptors are always ready (regular files and the
/// standard streams never block long), so subscribing to one returns at once.
fn poll_oneoff(ctx: &mut WasiCtx, memory: &mut GuestMemory<'_>, args: &Args<'_>) -> Result<(), Errno> {
    let (subscriptions, events_ptr, count, nevents_ptr) =
        (args.u32(0)?, args.u32(1)?, args.u32(2)?, args.u32(3)?);
    if count == 0 {
        return Err(Errno::Inval);
    }
    memory.slice(subscriptions, count.checked_mul(SUBSCRIPTION_SIZE).ok_or(Errno::Fault)?)?;
    let mut ready: Vec<Event> = Vec::new();
    let mut clocks: Vec<(u64, u64)> = Vec::new();
    for i in 0..count {
        let at = subscriptions + i * SUBSCRIPTION_SIZE;
        let userdata = memory.read_u64(at)?;
        let tag = memory.read_u8(at + 8)?;
        match tag {
            EVENTTYPE_CLOCK => {
                let id = memory.read_u32(at + 16)?;
                let timeout = memory.read_u64(at + 24)?;
                let absolute = memory.read_u16(at + 40)? & SUBCLOCKFLAGS_ABSTIME != 0;
                match clock_now(ctx, id) {
                    Ok(now) if absolute => clocks.push((userdata, timeout.saturating_sub(now))),
                    Ok(_) => clocks.push((userdata, timeout)),
                    Err(errno) => ready.push((userdata, errno.code(), tag)),
                }
            }
            1 | 2 => {
                let fd = memory.read_u32(at + 16)?;
                let errno = if ctx.fds.contains_key(&fd) { 0 } else { Errno::Badf.code() };
                ready.push((userdata, errno, tag));
            }
            _ => return Err(Errno::Inval),
        }
    }
    if ready.is_empty() {
        let wait = clocks.iter().map(|&(_, wait)| wait).min().unwrap_or(0);
        std::thread::sleep(Duration::from_nanos(wait));
        ready.extend(
            clocks.iter().filter(|&&(_, w)| w <= wait).map(|&(userdata, _)| (userdata, 0, EVENTTYPE_CLOCK)),
        );
    }
    for (i, &(userdata, errno, ty)) in ready.iter().enumerate() {
        let mut bytes = [0u8; EVENT_SIZE];
        bytes[0..8].copy_from_slice(&userdata.to_le_bytes());
        bytes[8..10].copy_from_slice(&errno.to_le_bytes());
        bytes[10] = ty;
        memory.write(offset(events_ptr, i * EVENT_SIZE)?, &bytes)?;
    }
    memory.write_u32(nevents_ptr, ready.len() as u32)
}
