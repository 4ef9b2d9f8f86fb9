//! WASI errnos: what every preview 1 function returns, and how host I/O
//! errors become them. Nothing here panics; an error without a better match
//! becomes `EIO`.

use std::io;

use rustix::io::Errno as Host;

/// A `wasi_snapshot_preview1` errno (the subset Plumb returns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
#[allow(missing_docs)]
pub enum Errno {
    TooBig = 1,
    Acces = 2,
    Again = 6,
    Badf = 8,
    Busy = 10,
    Dquot = 19,
    Exist = 20,
    Fault = 21,
    Fbig = 22,
    Ilseq = 25,
    Intr = 27,
    Inval = 28,
    Io = 29,
    Isdir = 31,
    Loop = 32,
    Mfile = 33,
    Mlink = 34,
    Nametoolong = 37,
    Nfile = 41,
    Nodev = 43,
    Noent = 44,
    Nomem = 48,
    Nospc = 51,
    Nosys = 52,
    Notdir = 54,
    Notempty = 55,
    Notsup = 58,
    Nxio = 60,
    Overflow = 61,
    Perm = 63,
    Pipe = 64,
    Range = 68,
    Rofs = 69,
    Spipe = 70,
    Txtbsy = 74,
    Xdev = 75,
    Notcapable = 76,
}

impl Errno {
    /// The number the guest sees.
    pub fn code(self) -> u16 {
        self as u16
    }
}

impl From<io::Error> for Errno {
    /// Maps a host error to the errno a POSIX guest expects. cap-std reports
    /// a path that would leave the sandbox (`..` past the root, an absolute
    /// path, a symlink pointing out) as `PermissionDenied` without an OS
    /// code: that is `EPERM`, as in wasmtime.
    fn from(error: io::Error) -> Errno {
        if let Some(host) = Host::from_io_error(&error) {
            let table = [
                (Host::TOOBIG, Errno::TooBig),
                (Host::ACCESS, Errno::Acces),
                (Host::AGAIN, Errno::Again),
                (Host::BADF, Errno::Badf),
                (Host::BUSY, Errno::Busy),
                (Host::DQUOT, Errno::Dquot),
                (Host::EXIST, Errno::Exist),
                (Host::FAULT, Errno::Fault),
                (Host::FBIG, Errno::Fbig),
                (Host::ILSEQ, Errno::Ilseq),
                (Host::INTR, Errno::Intr),
                (Host::INVAL, Errno::Inval),
                (Host::IO, Errno::Io),
                (Host::ISDIR, Errno::Isdir),
                (Host::LOOP, Errno::Loop),
                (Host::MFILE, Errno::Mfile),
                (Host::MLINK, Errno::Mlink),
                (Host::NAMETOOLONG, Errno::Nametoolong),
                (Host::NFILE, Errno::Nfile),
                (Host::NODEV, Errno::Nodev),
                (Host::NOENT, Errno::Noent),
                (Host::NOMEM, Errno::Nomem),
                (Host::NOSPC, Errno::Nospc),
                (Host::NOSYS, Errno::Nosys),
                (Host::NOTDIR, Errno::Notdir),
                (Host::NOTEMPTY, Errno::Notempty),
                (Host::NOTSUP, Errno::Notsup),
                (Host::OPNOTSUPP, Errno::Notsup),
                (Host::NXIO, Errno::Nxio),
                (Host::OVERFLOW, Errno::Overflow),
                (Host::PERM, Errno::Perm),
                (Host::PIPE, Errno::Pipe),
                (Host::RANGE, Errno::Range),
                (Host::ROFS, Errno::Rofs),
                (Host::SPIPE, Errno::Spipe),
                (Host::TXTBSY, Errno::Txtbsy),
                (Host::XDEV, Errno::Xdev),
            ];
            if let Some(&(_, errno)) = table.iter().find(|(h, _)| *h == host) {
                return errno;
            }
        }
        match error.kind() {
            io::ErrorKind::NotFound => Errno::Noent,
            io::ErrorKind::PermissionDenied => Errno::Perm,
            io::ErrorKind::AlreadyExists => Errno::Exist,
            io::ErrorKind::InvalidInput => Errno::Inval,
            io::ErrorKind::Unsupported => Errno::Notsup,
            io::ErrorKind::Interrupted => Errno::Intr,
            io::ErrorKind::OutOfMemory => Errno::Nomem,
            _ => Errno::Io,
        }
    }
}
