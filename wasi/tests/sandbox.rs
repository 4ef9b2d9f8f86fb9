//! A guest cannot reach outside its preopened directory: every escape
//! attempt is refused with `EPERM` (as wasmtime does), one test per attempt,
//! and nothing outside changes. The guest is a small `.wat` module whose
//! exports call the WASI imports directly; the test writes paths into its
//! memory and checks the errno each call returns.

use std::fs;
use std::path::Path;

use plumb::{Engine, Instance, Linker, Memory, Module, Store, Val};
use plumb_wasi::WasiCtx;

const ESUCCESS: i32 = 0;
const EBADF: i32 = 8;
const EFAULT: i32 = 21;
const ENOTDIR: i32 = 54;
const EPERM: i32 = 63;

/// Every export takes (pointer, length) pairs for its paths, which are
/// relative to the preopen (descriptor 3); a new descriptor is stored at 0,
/// a filestat at 64, bytes read at 256.
const GUEST: &str = r#"
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename"
    (func $path_rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_link"
    (func $path_link (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink"
    (func $path_symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory"
    (func $path_create_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file"
    (func $path_unlink_file (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get"
    (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; open(path) following symlinks, read and write rights; the fd goes to 0.
  (func (export "open") (param $p i32) (param $n i32) (result i32)
    (call $path_open (i32.const 3) (i32.const 1) (local.get $p) (local.get $n) (i32.const 0)
      (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 0)))
  ;; open(path, O_CREAT) in descriptor $fd.
  (func (export "create_at") (param $fd i32) (param $p i32) (param $n i32) (result i32)
    (call $path_open (local.get $fd) (i32.const 1) (local.get $p) (local.get $n) (i32.const 1)
      (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 0)))
  (func (export "rename") (param i32 i32 i32 i32) (result i32)
    (call $path_rename (i32.const 3) (local.get 0) (local.get 1) (i32.const 3) (local.get 2) (local.get 3)))
  (func (export "link") (param i32 i32 i32 i32) (result i32)
    (call $path_link (i32.const 3) (i32.const 0) (local.get 0) (local.get 1)
      (i32.const 3) (local.get 2) (local.get 3)))
  ;; symlink(target, link)
  (func (export "symlink") (param i32 i32 i32 i32) (result i32)
    (call $path_symlink (local.get 0) (local.get 1) (i32.const 3) (local.get 2) (local.get 3)))
  (func (export "mkdir") (param i32 i32) (result i32)
    (call $path_create_directory (i32.const 3) (local.get 0) (local.get 1)))
  (func (export "unlink") (param i32 i32) (result i32)
    (call $path_unlink_file (i32.const 3) (local.get 0) (local.get 1)))
  (func (export "stat") (param i32 i32) (result i32)
    (call $path_filestat_get (i32.const 3) (i32.const 1) (local.get 0) (local.get 1) (i32.const 64)))
  ;; read(fd) of up to 16 bytes to 256, through an iovec at 128.
  (func (export "read") (param $fd i32) (result i32)
    (i32.store (i32.const 128) (i32.const 256))
    (i32.store (i32.const 132) (i32.const 16))
    (call $fd_read (local.get $fd) (i32.const 128) (i32.const 1) (i32.const 136)))
  ;; write(1) of one iovec whose fields the caller chooses.
  (func (export "write_iovec") (param $iovs i32) (param $buf i32) (param $len i32) (result i32)
    (i32.store (i32.const 128) (local.get $buf))
    (i32.store (i32.const 132) (local.get $len))
    (call $fd_write (i32.const 1) (local.get $iovs) (i32.const 1) (i32.const 136)))
  (func (export "exit") (param i32) (call $proc_exit (local.get 0))))
"#;

/// A guest whose only preopen is `<tmp>/sandbox` (as `.`), beside a
/// `secret.txt` it must never reach.
struct Guest {
    store: Store<WasiCtx>,
    instance: Instance,
    memory: Memory,
    root: tempfile::TempDir,
}

impl Guest {
    fn new() -> Guest {
        let root = tempfile::tempdir().expect("temporary directory");
        let sandbox = root.path().join("sandbox");
        fs::create_dir_all(sandbox.join("sub")).expect("sandbox");
        fs::write(root.path().join("secret.txt"), "secret").expect("secret");
        fs::write(sandbox.join("inside.txt"), "inside").expect("inside");
        std::os::unix::fs::symlink("../secret.txt", sandbox.join("link_out")).expect("symlink");
        std::os::unix::fs::symlink(root.path().join("secret.txt"), sandbox.join("link_abs"))
            .expect("symlink");
        std::os::unix::fs::symlink("inside.txt", sandbox.join("link_in")).expect("symlink");

        let engine = Engine::default();
        let module = Module::new(&engine, GUEST).expect("guest compiles");
        let mut linker = Linker::new(&engine);
        plumb_wasi::add_to_linker(&mut linker, |wasi: &mut WasiCtx| wasi).expect("WASI links");
        let wasi = WasiCtx::builder().preopened_dir(&sandbox, ".").expect("preopen").build();
        let mut store = Store::new(&engine, wasi);
        let instance = linker.instantiate(&mut store, &module).expect("guest instantiates");
        let memory = instance.get_memory(&store, "memory").expect("memory export");
        Guest { store, instance, memory, root }
    }

    /// Calls `func` with each of `paths` as (pointer, length) then `extra`,
    /// and returns its errno.
    fn call(&mut self, func: &str, paths: &[&str], extra: &[i32]) -> i32 {
        let mut params = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            let at = 1024 * (i + 1);
            self.memory.write(&mut self.store, at, path.as_bytes()).expect("path fits");
            params.push(Val::I32(at as i32));
            params.push(Val::I32(path.len() as i32));
        }
        params.extend(extra.iter().map(|&x| Val::I32(x)));
        self.call_with(func, &params)
    }

    /// Calls `func` with `params` as they are and returns its errno.
    fn call_with(&mut self, func: &str, params: &[Val]) -> i32 {
        let func = self.instance.get_func(&self.store, func).expect("export");
        let mut results = [Val::I32(-1)];
        func.call(&mut self.store, params, &mut results).expect("no trap");
        results[0].i32().expect("i32 errno")
    }

    fn sandbox(&self) -> std::path::PathBuf {
        self.root.path().join("sandbox")
    }

    fn secret_intact(&self) -> bool {
        fs::read_to_string(self.root.path().join("secret.txt")).is_ok_and(|s| s == "secret")
    }
}

fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

#[test]
fn paths_inside_the_preopen_work() {
    let mut guest = Guest::new();
    assert_eq!(guest.call("open", &["sub/../inside.txt"], &[]), ESUCCESS);
    assert_eq!(guest.call("open", &["link_in"], &[]), ESUCCESS);
    let fd = i32::from_le_bytes(guest.memory.data(&guest.store)[0..4].try_into().expect("4 bytes"));
    assert_eq!(guest.call("read", &[], &[fd]), ESUCCESS);
    assert_eq!(&guest.memory.data(&guest.store)[256..262], b"inside");
    assert_eq!(guest.call("mkdir", &["sub/new"], &[]), ESUCCESS);
    assert_eq!(guest.call("rename", &["inside.txt", "sub/moved.txt"], &[]), ESUCCESS);
    assert!(guest.sandbox().join("sub/moved.txt").exists());
}

#[test]
fn dot_dot_traversal_is_refused() {
    let mut guest = Guest::new();
    assert_eq!(guest.call("open", &["../secret.txt"], &[]), EPERM);
    assert_eq!(guest.call("open", &["sub/../../secret.txt"], &[]), EPERM);
    assert_eq!(guest.call("stat", &["../secret.txt"], &[]), EPERM);
    assert_eq!(guest.call("unlink", &["../secret.txt"], &[]), EPERM);
    assert_eq!(guest.call("mkdir", &["../escaped"], &[]), EPERM);
    assert!(guest.secret_intact());
    assert!(!exists(&guest.root.path().join("escaped")));
}

#[test]
fn absolute_paths_are_refused() {
    let mut guest = Guest::new();
    let secret = guest.root.path().join("secret.txt");
    assert_eq!(guest.call("open", &[&secret.to_string_lossy()], &[]), EPERM);
    assert_eq!(guest.call("open", &["/etc/passwd"], &[]), EPERM);
    assert_eq!(guest.call("stat", &["/"], &[]), EPERM);
}

#[test]
fn symlinks_pointing_out_are_not_followed() {
    let mut guest = Guest::new();
    assert_eq!(guest.call("open", &["link_out"], &[]), EPERM);
    assert_eq!(guest.call("open", &["link_abs"], &[]), EPERM);
    assert_eq!(guest.call("stat", &["link_out"], &[]), EPERM);
}

#[test]
fn symlinks_the_guest_makes_cannot_point_out() {
    let mut guest = Guest::new();
    // An absolute target is refused outright.
    assert_eq!(guest.call("symlink", &["/etc/passwd", "evil_abs"], &[]), EPERM);
    assert!(!exists(&guest.sandbox().join("evil_abs")));
    // A relative one may be made (its text is harmless), but following it is refused.
    assert_eq!(guest.call("symlink", &["../secret.txt", "evil_rel"], &[]), ESUCCESS);
    assert_eq!(guest.call("open", &["evil_rel"], &[]), EPERM);
    assert!(guest.secret_intact());
}

#[test]
fn renames_across_the_boundary_are_refused() {
    let mut guest = Guest::new();
    assert_eq!(guest.call("rename", &["inside.txt", "../stolen.txt"], &[]), EPERM);
    assert_eq!(guest.call("rename", &["../secret.txt", "mine.txt"], &[]), EPERM);
    assert!(guest.sandbox().join("inside.txt").exists());
    assert!(!exists(&guest.root.path().join("stolen.txt")));
    assert!(!exists(&guest.sandbox().join("mine.txt")));
    assert!(guest.secret_intact());
}

#[test]
fn hard_links_across_the_boundary_are_refused() {
    let mut guest = Guest::new();
    assert_eq!(guest.call("link", &["../secret.txt", "mine.txt"], &[]), EPERM);
    assert_eq!(guest.call("link", &["inside.txt", "../exported.txt"], &[]), EPERM);
    assert!(!exists(&guest.sandbox().join("mine.txt")));
    assert!(!exists(&guest.root.path().join("exported.txt")));
}

#[test]
fn descriptors_that_are_not_directories_resolve_no_paths() {
    let mut guest = Guest::new();
    guest.memory.write(&mut guest.store, 1024, b"x.txt").expect("fits");
    let mut create_at = |fd: i32| guest.call_with("create_at", &[Val::I32(fd), Val::I32(1024), Val::I32(5)]);
    // Standard input is not a directory; descriptor 99 does not exist.
    assert_eq!(create_at(0), ENOTDIR);
    assert_eq!(create_at(99), EBADF);
    assert_eq!(create_at(3), ESUCCESS);
}

#[test]
fn bad_pointers_are_efault_not_a_host_fault() {
    let mut guest = Guest::new();
    for (ptr, len) in [(65_530, 100), (-1, 2), (0, -1)] {
        assert_eq!(guest.call_with("open", &[Val::I32(ptr), Val::I32(len)]), EFAULT, "open({ptr}, {len})");
    }
    for (iovs, buf, len) in [(65_533, 0, 0), (128, 65_000, 1_000), (128, -8, 16)] {
        let params = [Val::I32(iovs), Val::I32(buf), Val::I32(len)];
        assert_eq!(guest.call_with("write_iovec", &params), EFAULT, "write_iovec({iovs}, {buf}, {len})");
    }
}

#[test]
fn proc_exit_ends_the_call_with_its_code() {
    let mut guest = Guest::new();
    let exit = guest.instance.get_func(&guest.store, "exit").expect("export");
    let outcome = exit.call(&mut guest.store, &[Val::I32(42)], &mut []);
    let Err(plumb::Error::Trap(trap)) = outcome else { panic!("proc_exit must trap, got {outcome:?}") };
    assert!(plumb_wasi::is_exit(&trap), "{trap}");
    assert_eq!(guest.store.data().exit_code(), Some(42));
}
