//! Resource limits: what a store may allocate, decided by the embedder.
//!
//! A [`ResourceLimiter`] installed with [`Store::limiter`](crate::Store::limiter)
//! is asked before every memory or table is created or grown, and bounds
//! how many instances, memories and tables the store may hold. A growth it
//! denies fails the way the spec allows: `memory.grow` and `table.grow`
//! return -1, and the host's `Memory::grow`/`Table::grow` return an error.
//! Creating a memory or table it denies, or an instance past a count, makes
//! instantiation fail with [`Error::Resource`](crate::Error) naming the
//! limit. [`StoreLimits`] is a ready limiter, built with
//! [`StoreLimitsBuilder`].
//!
//! ```
//! use plumb::{Engine, Linker, Module, Store, StoreLimits, StoreLimitsBuilder};
//!
//! struct Host { limits: StoreLimits }
//! let engine = Engine::default();
//! let mut store = Store::new(&engine, Host {
//!     limits: StoreLimitsBuilder::new().memory_size(1 << 20).build(),
//! });
//! store.limiter(|host| &mut host.limits);
//! let module = Module::new(&engine, r#"(module (memory 1)
//!     (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#)?;
//! let instance = Linker::new(&engine).instantiate(&mut store, &module)?;
//! let grow = instance.get_typed_func::<i32, i32>(&store, "grow")?;
//! assert_eq!(grow.call(&mut store, 15)?, 1); // 16 pages: exactly 1 MiB
//! assert_eq!(grow.call(&mut store, 1)?, -1); // past the limit
//! # Ok::<(), plumb::Error>(())
//! ```

use crate::error::Result;

/// Decides whether a store's memories and tables may be created or grow,
/// and how many instances, memories and tables it may hold.
pub trait ResourceLimiter: Send {
    /// Whether a memory may grow from `current` to `desired` bytes
    /// (`current` is 0 when it is created). `maximum` is its declared
    /// maximum in bytes, if any; `desired` never exceeds it. `Ok(false)`
    /// denies the growth; an error also does, and a `memory.grow` that
    /// asked traps with it.
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> Result<bool>;

    /// Whether a table may grow from `current` to `desired` elements
    /// (`current` is 0 when it is created), as for memories.
    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> Result<bool>;

    /// How many instances the store may hold.
    fn instances(&self) -> usize {
        DEFAULT_COUNT_LIMIT
    }

    /// How many tables the store may hold.
    fn tables(&self) -> usize {
        DEFAULT_COUNT_LIMIT
    }

    /// How many memories the store may hold.
    fn memories(&self) -> usize {
        DEFAULT_COUNT_LIMIT
    }
}

/// The count limit when none is set (wasmtime's default too).
pub const DEFAULT_COUNT_LIMIT: usize = 10_000;

/// A limiter of sizes and counts, built with [`StoreLimitsBuilder`].
#[derive(Debug, Clone)]
pub struct StoreLimits {
    memory_size: Option<usize>,
    table_elements: Option<usize>,
    instances: usize,
    tables: usize,
    memories: usize,
}

impl Default for StoreLimits {
    /// No size limit, and [`DEFAULT_COUNT_LIMIT`] of each count.
    fn default() -> StoreLimits {
        StoreLimits {
            memory_size: None,
            table_elements: None,
            instances: DEFAULT_COUNT_LIMIT,
            tables: DEFAULT_COUNT_LIMIT,
            memories: DEFAULT_COUNT_LIMIT,
        }
    }
}

impl ResourceLimiter for StoreLimits {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> Result<bool> {
        Ok(self.memory_size.is_none_or(|limit| desired <= limit))
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> Result<bool> {
        Ok(self.table_elements.is_none_or(|limit| desired <= limit))
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        self.memories
    }
}

/// Builds a [`StoreLimits`].
#[derive(Debug, Clone, Default)]
pub struct StoreLimitsBuilder(StoreLimits);

impl StoreLimitsBuilder {
    /// No limits yet (see [`StoreLimits::default`]).
    pub fn new() -> StoreLimitsBuilder {
        StoreLimitsBuilder::default()
    }

    /// The most bytes any one memory may have.
    pub fn memory_size(mut self, bytes: usize) -> StoreLimitsBuilder {
        self.0.memory_size = Some(bytes);
        self
    }

    /// The most elements any one table may have.
    pub fn table_elements(mut self, elements: usize) -> StoreLimitsBuilder {
        self.0.table_elements = Some(elements);
        self
    }

    /// How many instances the store may hold.
    pub fn instances(mut self, count: usize) -> StoreLimitsBuilder {
        self.0.instances = count;
        self
    }

    /// How many tables the store may hold.
    pub fn tables(mut self, count: usize) -> StoreLimitsBuilder {
        self.0.tables = count;
        self
    }

    /// How many memories the store may hold.
    pub fn memories(mut self, count: usize) -> StoreLimitsBuilder {
        self.0.memories = count;
        self
    }

    /// The limits.
    pub fn build(self) -> StoreLimits {
        self.0
    }
}
