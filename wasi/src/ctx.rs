//! The state of one WASI guest: its arguments, environment, clocks, exit
//! code and descriptor table. Directories enter the table only as cap-std
//! [`Dir`] capabilities, so every path the guest names is resolved beneath
//! a directory it was given; this module never opens a host path itself
//! except the preopens the embedder names.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::time::Instant;

use cap_std::ambient_authority;
use cap_std::fs::Dir;

use crate::Error;

/// An open descriptor of the guest.
pub(crate) enum Descriptor {
    /// Standard input.
    Reader(Box<dyn Read + Send>),
    /// Standard output or error.
    Writer(Box<dyn Write + Send>),
    /// A regular file (or another non-directory) opened beneath a directory.
    File(std::fs::File),
    /// A directory capability.
    Dir(OpenDir),
}

/// A directory the guest holds.
pub(crate) struct OpenDir {
    pub(crate) dir: Dir,
    /// The guest's name for it when it is a preopen (`fd_prestat_dir_name`).
    pub(crate) preopen: Option<String>,
}

/// A WASI guest's context: create it with [`WasiCtx::builder`], keep it in
/// the store's data, and give the linker a way to reach it
/// ([`crate::add_to_linker`]).
pub struct WasiCtx {
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) fds: BTreeMap<u32, Descriptor>,
    pub(crate) exit_code: Option<i32>,
    pub(crate) started: Instant,
}

impl Default for WasiCtx {
    /// A context with no arguments, no environment and no descriptors.
    fn default() -> WasiCtx {
        WasiCtx {
            args: Vec::new(),
            env: Vec::new(),
            fds: BTreeMap::new(),
            exit_code: None,
            started: Instant::now(),
        }
    }
}

impl WasiCtx {
    /// Starts building a context.
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder { ctx: WasiCtx::default(), stdio: [None, None, None] }
    }

    /// The code the guest passed to `proc_exit`, if it called it.
    pub fn exit_code(&self) -> Option<i32> {
        self.exit_code
    }

    /// The lowest free descriptor number at or above 3.
    pub(crate) fn push(&mut self, descriptor: Descriptor) -> Result<u32, crate::Errno> {
        let mut fd = 3;
        for &used in self.fds.keys().skip_while(|&&k| k < 3) {
            if used != fd {
                break;
            }
            fd = fd.checked_add(1).ok_or(crate::Errno::Mfile)?;
        }
        self.fds.insert(fd, descriptor);
        Ok(fd)
    }
}

/// Builds a [`WasiCtx`]: arguments, environment, standard streams (the host
/// process's by default) and preopened directories.
pub struct WasiCtxBuilder {
    ctx: WasiCtx,
    stdio: [Option<Descriptor>; 3],
}

impl WasiCtxBuilder {
    /// The guest's `argv`, program name first.
    pub fn args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.ctx.args = args.into_iter().map(Into::into).collect();
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.ctx.env.push((key.into(), value.into()));
        self
    }

    /// Standard input reads from `reader` instead of the host's.
    pub fn stdin(mut self, reader: impl Read + Send + 'static) -> Self {
        self.stdio[0] = Some(Descriptor::Reader(Box::new(reader)));
        self
    }

    /// Standard output goes to `writer` instead of the host's.
    pub fn stdout(mut self, writer: impl Write + Send + 'static) -> Self {
        self.stdio[1] = Some(Descriptor::Writer(Box::new(writer)));
        self
    }

    /// Standard error goes to `writer` instead of the host's.
    pub fn stderr(mut self, writer: impl Write + Send + 'static) -> Self {
        self.stdio[2] = Some(Descriptor::Writer(Box::new(writer)));
        self
    }

    /// Gives the guest the host directory `host` under the name `guest`
    /// (descriptors 3, 4, ... in the order of the calls). This is the one
    /// place a host path is opened with ambient authority.
    pub fn preopened_dir(self, host: impl AsRef<Path>, guest: impl Into<String>) -> Result<Self, Error> {
        let host = host.as_ref();
        let dir = Dir::open_ambient_dir(host, ambient_authority())
            .map_err(|source| Error::Preopen { path: host.to_path_buf(), source })?;
        Ok(self.preopened(dir, guest))
    }

    /// Gives the guest an already open directory capability under the name `guest`.
    pub fn preopened(mut self, dir: Dir, guest: impl Into<String>) -> Self {
        let fd = 3 + self.ctx.fds.len() as u32;
        self.ctx.fds.insert(fd, Descriptor::Dir(OpenDir { dir, preopen: Some(guest.into()) }));
        self
    }

    /// The context.
    pub fn build(mut self) -> WasiCtx {
        let [stdin, stdout, stderr] = self.stdio;
        let stdin = stdin.unwrap_or_else(|| Descriptor::Reader(Box::new(std::io::stdin())));
        let stdout = stdout.unwrap_or_else(|| Descriptor::Writer(Box::new(std::io::stdout())));
        let stderr = stderr.unwrap_or_else(|| Descriptor::Writer(Box::new(std::io::stderr())));
        self.ctx.fds.insert(0, stdin);
        self.ctx.fds.insert(1, stdout);
        self.ctx.fds.insert(2, stderr);
        self.ctx.started = Instant::now();
        self.ctx
    }
}
