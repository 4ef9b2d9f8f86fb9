//! What each WASI preview 1 function does, as a guest sees it: the guest
//! exports a thin wrapper around every import it uses, and the test calls
//! the wrappers with pointers into the guest's memory and checks the errno
//! and the bytes written there.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use plumb::{Engine, Instance, Linker, Memory, Module, Store, Val};
use plumb_wasi::{WasiCtx, WasiCtxBuilder};

const ESUCCESS: i32 = 0;
const EBADF: i32 = 8;
const EEXIST: i32 = 20;
const EINVAL: i32 = 28;
const ENOENT: i32 = 44;
const ENOTEMPTY: i32 = 55;
const ESPIPE: i32 = 70;

/// The imports the guest wraps, with their parameter types.
const IMPORTS: &[(&str, &str)] = &[
    ("args_get", "i32 i32"),
    ("args_sizes_get", "i32 i32"),
    ("environ_get", "i32 i32"),
    ("environ_sizes_get", "i32 i32"),
    ("clock_res_get", "i32 i32"),
    ("clock_time_get", "i32 i64 i32"),
    ("random_get", "i32 i32"),
    ("fd_write", "i32 i32 i32 i32"),
    ("fd_read", "i32 i32 i32 i32"),
    ("fd_pread", "i32 i32 i32 i64 i32"),
    ("fd_pwrite", "i32 i32 i32 i64 i32"),
    ("fd_seek", "i32 i64 i32 i32"),
    ("fd_tell", "i32 i32"),
    ("fd_close", "i32"),
    ("fd_sync", "i32"),
    ("fd_datasync", "i32"),
    ("fd_fdstat_get", "i32 i32"),
    ("fd_fdstat_set_flags", "i32 i32"),
    ("fd_filestat_get", "i32 i32"),
    ("fd_prestat_get", "i32 i32"),
    ("fd_prestat_dir_name", "i32 i32 i32"),
    ("fd_readdir", "i32 i32 i32 i64 i32"),
    ("path_open", "i32 i32 i32 i32 i32 i64 i64 i32 i32"),
    ("path_filestat_get", "i32 i32 i32 i32 i32"),
    ("path_create_directory", "i32 i32 i32"),
    ("path_remove_directory", "i32 i32 i32"),
    ("path_unlink_file", "i32 i32 i32"),
    ("path_readlink", "i32 i32 i32 i32 i32 i32"),
    ("path_symlink", "i32 i32 i32 i32 i32"),
    ("poll_oneoff", "i32 i32 i32 i32"),
    ("sched_yield", ""),
];

fn guest_wat() -> String {
    let mut wat = String::from("(module\n");
    for (name, params) in IMPORTS {
        wat += &format!(
            "(import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} (param {params}) (result i32)))\n"
        );
    }
    wat += "(memory (export \"memory\") 1)\n";
    for (name, params) in IMPORTS {
        let gets: String =
            (0..params.split_whitespace().count()).map(|i| format!("local.get {i} ")).collect();
        wat += &format!("(func (export \"{name}\") (param {params}) (result i32) {gets} call ${name})\n");
    }
    wat + ")"
}

/// Standard output kept for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Guest {
    store: Store<WasiCtx>,
    instance: Instance,
    memory: Memory,
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl Guest {
    /// A guest with `configure`'s settings and a fresh directory preopened as `/work`.
    fn new(configure: impl FnOnce(WasiCtxBuilder) -> WasiCtxBuilder) -> Guest {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().to_path_buf();
        let engine = Engine::default();
        let module = Module::new(&engine, guest_wat()).expect("guest compiles");
        let mut linker = Linker::new(&engine);
        plumb_wasi::add_to_linker(&mut linker, |wasi: &mut WasiCtx| wasi).expect("WASI links");
        let builder = WasiCtx::builder().preopened_dir(&path, "/work").expect("preopen");
        let mut store = Store::new(&engine, configure(builder).build());
        let instance = linker.instantiate(&mut store, &module).expect("instantiates");
        let memory = instance.get_memory(&store, "memory").expect("memory");
        Guest { store, instance, memory, _dir: dir, path }
    }

    /// Calls the wrapper of `name` and returns the errno.
    fn call(&mut self, name: &str, params: &[Val]) -> i32 {
        let func = self.instance.get_func(&self.store, name).expect("export");
        let mut results = [Val::I32(-1)];
        func.call(&mut self.store, params, &mut results).expect("no trap");
        results[0].i32().expect("errno")
    }

    fn put(&mut self, at: usize, bytes: &[u8]) {
        self.memory.write(&mut self.store, at, bytes).expect("in bounds");
    }

    fn bytes(&self, at: usize, len: usize) -> Vec<u8> {
        self.memory.data(&self.store)[at..at + len].to_vec()
    }

    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.bytes(at, 4).try_into().expect("4 bytes"))
    }

    fn u64(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.bytes(at, 8).try_into().expect("8 bytes"))
    }

    /// Opens `path` beneath the preopen with `oflags`, returning the errno and the descriptor.
    fn open(&mut self, path: &str, oflags: i32) -> (i32, u32) {
        self.put(4096, path.as_bytes());
        let errno = self.call(
            "path_open",
            &[
                i(3),
                i(1),
                i(4096),
                i(path.len() as i32),
                i(oflags),
                Val::I64(0x1fff_ffff),
                Val::I64(0x1fff_ffff),
                i(0),
                i(0),
            ],
        );
        (errno, self.u32(0))
    }

    /// One iovec at 100 for `len` bytes at `buf`.
    fn iovec(&mut self, buf: u32, len: u32) {
        self.put(100, &buf.to_le_bytes());
        self.put(104, &len.to_le_bytes());
    }
}

fn i(x: i32) -> Val {
    Val::I32(x)
}

#[test]
fn args_and_environ_are_nul_terminated_strings_with_pointers() {
    let mut guest = Guest::new(|b| b.args(["prog", "a b", "\u{e7}"]).env("K", "V=1"));
    assert_eq!(guest.call("args_sizes_get", &[i(0), i(4)]), ESUCCESS);
    assert_eq!((guest.u32(0), guest.u32(4)), (3, 5 + 4 + 3));
    assert_eq!(guest.call("args_get", &[i(16), i(64)]), ESUCCESS);
    assert_eq!(guest.bytes(64, 12), b"prog\0a b\0\xc3\xa7\0");
    assert_eq!((guest.u32(16), guest.u32(20), guest.u32(24)), (64, 69, 73));
    assert_eq!(guest.call("environ_sizes_get", &[i(0), i(4)]), ESUCCESS);
    assert_eq!((guest.u32(0), guest.u32(4)), (1, 6));
    assert_eq!(guest.call("environ_get", &[i(16), i(64)]), ESUCCESS);
    assert_eq!(guest.bytes(64, 6), b"K=V=1\0");
}

#[test]
fn clocks_tell_the_time_and_unknown_clocks_are_einval() {
    let mut guest = Guest::new(|b| b);
    assert_eq!(guest.call("clock_time_get", &[i(0), Val::I64(1), i(0)]), ESUCCESS);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_nanos() as u64;
    assert!(now.abs_diff(guest.u64(0)) < 5_000_000_000, "realtime {} vs {now}", guest.u64(0));
    assert_eq!(guest.call("clock_time_get", &[i(1), Val::I64(1), i(0)]), ESUCCESS);
    let first = guest.u64(0);
    assert_eq!(guest.call("clock_time_get", &[i(1), Val::I64(1), i(0)]), ESUCCESS);
    assert!(guest.u64(0) >= first);
    assert_eq!(guest.call("clock_res_get", &[i(1), i(0)]), ESUCCESS);
    assert!(guest.u64(0) > 0);
    assert_eq!(guest.call("clock_time_get", &[i(9), Val::I64(1), i(0)]), EINVAL);
}

#[test]
fn random_get_fills_the_buffer() {
    let mut guest = Guest::new(|b| b);
    assert_eq!(guest.call("random_get", &[i(0), i(64)]), ESUCCESS);
    assert!(guest.bytes(0, 64).iter().any(|&b| b != 0));
}

#[test]
fn fd_write_to_stdout_reaches_the_embedder_writer() {
    let out = Captured::default();
    let mut guest = Guest::new(|b| b.stdout(out.clone()));
    guest.put(200, b"hello\n");
    guest.iovec(200, 6);
    assert_eq!(guest.call("fd_write", &[i(1), i(100), i(1), i(0)]), ESUCCESS);
    assert_eq!(guest.u32(0), 6);
    assert_eq!(*out.0.lock().expect("not poisoned"), b"hello\n");
    assert_eq!(guest.call("fd_seek", &[i(1), Val::I64(0), i(0), i(0)]), ESPIPE);
    assert_eq!(guest.call("fd_write", &[i(42), i(100), i(1), i(0)]), EBADF);
}

#[test]
fn files_are_created_written_sought_read_and_stated() {
    let mut guest = Guest::new(|b| b);
    let (errno, fd) = guest.open("notes.txt", 1);
    assert_eq!(errno, ESUCCESS);
    guest.put(200, b"hello world");
    guest.iovec(200, 11);
    let fd = fd as i32;
    assert_eq!(guest.call("fd_write", &[i(fd), i(100), i(1), i(0)]), ESUCCESS);
    assert_eq!(std::fs::read(guest.path.join("notes.txt")).expect("written"), b"hello world");
    assert_eq!(guest.call("fd_seek", &[i(fd), Val::I64(-5), i(2), i(0)]), ESUCCESS);
    assert_eq!(guest.u64(0), 6);
    assert_eq!(guest.call("fd_tell", &[i(fd), i(0)]), ESUCCESS);
    assert_eq!(guest.u64(0), 6);
    guest.iovec(300, 16);
    assert_eq!(guest.call("fd_read", &[i(fd), i(100), i(1), i(0)]), ESUCCESS);
    assert_eq!((guest.u32(0), guest.bytes(300, 5)), (5, b"world".to_vec()));
    guest.put(200, b"HELLO");
    guest.iovec(200, 5);
    assert_eq!(guest.call("fd_pwrite", &[i(fd), i(100), i(1), Val::I64(0), i(0)]), ESUCCESS);
    guest.iovec(300, 8);
    assert_eq!(guest.call("fd_pread", &[i(fd), i(100), i(1), Val::I64(0), i(0)]), ESUCCESS);
    assert_eq!(guest.bytes(300, 8), b"HELLO wo");
    assert_eq!(guest.call("fd_filestat_get", &[i(fd), i(400)]), ESUCCESS);
    assert_eq!((guest.bytes(416, 1)[0], guest.u64(432)), (4, 11), "regular file of 11 bytes");
    assert_eq!(guest.call("fd_fdstat_get", &[i(fd), i(400)]), ESUCCESS);
    assert_eq!(guest.bytes(400, 1)[0], 4);
    assert_eq!(guest.call("fd_fdstat_set_flags", &[i(fd), i(1)]), ESUCCESS);
    assert_eq!(guest.call("fd_fdstat_get", &[i(fd), i(400)]), ESUCCESS);
    assert_eq!(guest.bytes(402, 2), [1, 0], "append flag");
    assert_eq!(guest.call("fd_sync", &[i(fd)]), ESUCCESS);
    assert_eq!(guest.call("fd_datasync", &[i(fd)]), ESUCCESS);
    assert_eq!(guest.call("fd_close", &[i(fd)]), ESUCCESS);
    assert_eq!(guest.call("fd_close", &[i(fd)]), EBADF);
    // O_CREAT | O_EXCL on an existing file.
    assert_eq!(guest.open("notes.txt", 1 | 4).0, EEXIST);
    assert_eq!(guest.open("missing.txt", 0).0, ENOENT);
}

#[test]
fn the_preopen_is_named_and_its_entries_listed() {
    let mut guest = Guest::new(|b| b);
    assert_eq!(guest.call("fd_prestat_get", &[i(3), i(0)]), ESUCCESS);
    assert_eq!((guest.bytes(0, 1)[0], guest.u32(4)), (0, 5));
    assert_eq!(guest.call("fd_prestat_dir_name", &[i(3), i(16), i(5)]), ESUCCESS);
    assert_eq!(guest.bytes(16, 5), b"/work");
    assert_eq!(guest.call("fd_prestat_get", &[i(1), i(0)]), EBADF);
    std::fs::write(guest.path.join("b.txt"), "").expect("b");
    std::fs::create_dir(guest.path.join("a")).expect("a");
    assert_eq!(guest.call("fd_readdir", &[i(3), i(1000), i(1000), Val::I64(0), i(0)]), ESUCCESS);
    let used = guest.u32(0) as usize;
    let mut names = Vec::new();
    let mut at = 1000;
    while at < 1000 + used {
        let len = guest.u32(at + 16) as usize;
        names
            .push((String::from_utf8(guest.bytes(at + 24, len)).expect("utf-8"), guest.bytes(at + 20, 1)[0]));
        at += 24 + len;
    }
    let expected = [(".", 3), ("..", 3), ("a", 3), ("b.txt", 4)].map(|(n, t)| (n.to_string(), t));
    assert_eq!(names, expected);
    // Resuming after the third entry gives the fourth; a small buffer is filled completely.
    assert_eq!(guest.call("fd_readdir", &[i(3), i(1000), i(1000), Val::I64(3), i(0)]), ESUCCESS);
    assert_eq!(guest.bytes(1024, 5), b"b.txt");
    assert_eq!(guest.call("fd_readdir", &[i(3), i(1000), i(10), Val::I64(0), i(0)]), ESUCCESS);
    assert_eq!(guest.u32(0), 10);
}

#[test]
fn directories_and_links_are_made_read_and_removed() {
    let mut guest = Guest::new(|b| b);
    let path_call = |guest: &mut Guest, name: &str, path: &str| {
        guest.put(4096, path.as_bytes());
        guest.call(name, &[i(3), i(4096), i(path.len() as i32)])
    };
    assert_eq!(path_call(&mut guest, "path_create_directory", "d"), ESUCCESS);
    assert_eq!(path_call(&mut guest, "path_create_directory", "d"), EEXIST);
    std::fs::write(guest.path.join("d/f"), "x").expect("f");
    assert_eq!(path_call(&mut guest, "path_remove_directory", "d"), ENOTEMPTY);
    guest.put(5000, b"d/f");
    guest.put(5100, b"link");
    assert_eq!(guest.call("path_symlink", &[i(5000), i(3), i(3), i(5100), i(4)]), ESUCCESS);
    assert_eq!(guest.call("path_readlink", &[i(3), i(5100), i(4), i(6000), i(64), i(0)]), ESUCCESS);
    assert_eq!((guest.u32(0), guest.bytes(6000, 3)), (3, b"d/f".to_vec()));
    // Not following the link stats the link itself; following it, the file.
    assert_eq!(guest.call("path_filestat_get", &[i(3), i(0), i(5100), i(4), i(400)]), ESUCCESS);
    assert_eq!(guest.bytes(416, 1)[0], 7);
    assert_eq!(guest.call("path_filestat_get", &[i(3), i(1), i(5100), i(4), i(400)]), ESUCCESS);
    assert_eq!((guest.bytes(416, 1)[0], guest.u64(432)), (4, 1));
    assert_eq!(path_call(&mut guest, "path_unlink_file", "link"), ESUCCESS);
    assert_eq!(path_call(&mut guest, "path_unlink_file", "d/f"), ESUCCESS);
    assert_eq!(path_call(&mut guest, "path_remove_directory", "d"), ESUCCESS);
    assert!(!guest.path.join("d").exists());
}

#[test]
fn poll_oneoff_sleeps_until_the_clock_subscription_is_due() {
    let mut guest = Guest::new(|b| b);
    // One relative monotonic clock subscription of 20 ms, userdata 77.
    let mut subscription = [0u8; 48];
    subscription[0..8].copy_from_slice(&77u64.to_le_bytes());
    subscription[16..20].copy_from_slice(&1u32.to_le_bytes());
    subscription[24..32].copy_from_slice(&20_000_000u64.to_le_bytes());
    guest.put(0, &subscription);
    let started = Instant::now();
    assert_eq!(guest.call("poll_oneoff", &[i(0), i(100), i(1), i(200)]), ESUCCESS);
    assert!(started.elapsed() >= Duration::from_millis(20));
    assert_eq!((guest.u32(200), guest.u64(100), guest.bytes(110, 1)[0]), (1, 77, 0));
    assert_eq!(guest.call("poll_oneoff", &[i(0), i(100), i(0), i(200)]), EINVAL);
    assert_eq!(guest.call("sched_yield", &[]), ESUCCESS);
}

#[test]
fn call_runs_the_functions_on_any_runtime_s_memory() {
    let mut ctx = WasiCtx::builder().args(["p", "q"]).build();
    let mut memory = vec![0u8; 64];
    assert_eq!(plumb_wasi::call(&mut ctx, &mut memory, "args_sizes_get", &[i(0), i(4)]), Ok(0));
    assert_eq!(memory[0..8], [2, 0, 0, 0, 4, 0, 0, 0]);
    assert_eq!(plumb_wasi::call(&mut ctx, &mut memory, "args_sizes_get", &[i(62), i(4)]), Ok(21), "EFAULT");
    assert_eq!(plumb_wasi::call(&mut ctx, &mut memory, "no_such_function", &[]), Ok(52), "ENOSYS");
    assert_eq!(plumb_wasi::call(&mut ctx, &mut memory, "proc_exit", &[i(3)]), Err(plumb_wasi::ProcExit(3)));
    assert_eq!(ctx.exit_code(), Some(3));
    assert!(plumb_wasi::functions().any(|(name, params)| name == "fd_write" && params.len() == 4));
}

#[test]
fn a_start_function_can_write_to_stdout_before_instantiation_returns() {
    // The start function runs inside `instantiate`, before the embedder
    // could hand WASI anything: WASI finds the memory through the caller.
    let out = Captured::default();
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
             (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
             (memory (export "memory") 1)
             (data (i32.const 8) "\10\00\00\00\06\00\00\00")
             (data (i32.const 16) "start\n")
             (func $start (drop (call $write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 0))))
             (start $start))"#,
    )
    .expect("compiles");
    let mut linker = Linker::new(&engine);
    plumb_wasi::add_to_linker(&mut linker, |wasi: &mut WasiCtx| wasi).expect("WASI links");
    let mut store = Store::new(&engine, WasiCtx::builder().stdout(out.clone()).build());
    linker.instantiate(&mut store, &module).expect("the start function runs");
    assert_eq!(*out.0.lock().expect("not poisoned"), b"start\n");
}

#[test]
fn a_wasi_call_from_an_instance_without_a_memory_export_traps_with_the_reason() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
             (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
             (func (export "run") (result i32) (call $yield)))"#,
    )
    .expect("compiles");
    let mut linker = Linker::new(&engine);
    plumb_wasi::add_to_linker(&mut linker, |wasi: &mut WasiCtx| wasi).expect("WASI links");
    let mut store = Store::new(&engine, WasiCtx::default());
    let instance = linker.instantiate(&mut store, &module).expect("instantiates");
    let run = instance.get_typed_func::<(), i32>(&store, "run").expect("run");
    let err = run.call(&mut store, ()).expect_err("traps");
    assert!(err.to_string().contains("exports no memory named `memory`"), "{err}");
}
