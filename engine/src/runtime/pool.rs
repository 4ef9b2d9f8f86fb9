//! The pooling instance allocator: the memory slots (memory/pool.rs) and
//! the engine-wide counts of instances and tables it allows, taken by
//! stores as they instantiate and given back when they drop. Memories and
//! tables the host makes (`Memory::new`, `Table::new`) are not pooled.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::memory::pool::MemoryPool;
use crate::engine::PoolingAllocationConfig;

/// A count of things in use, never past its limit.
#[derive(Debug)]
pub(crate) struct SlotCount {
    used: AtomicU32,
    limit: u32,
    /// The option that sets the limit, for errors.
    option: &'static str,
    what: &'static str,
}

impl SlotCount {
    fn new(limit: u32, what: &'static str, option: &'static str) -> SlotCount {
        SlotCount { used: AtomicU32::new(0), limit, option, what }
    }

    /// Takes one, or says which limit is reached.
    pub fn take(&self) -> Result<(), String> {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                n.checked_add(1).filter(|&n| n <= self.limit)
            })
            .map(|_| ())
            .map_err(|_| {
                format!(
                    "all {} {} of the pooling allocator are in use (PoolingAllocationConfig::{})",
                    self.limit, self.what, self.option
                )
            })
    }

    /// Gives back `n` taken ones.
    pub fn give_back(&self, n: u32) {
        self.used.fetch_sub(n, Ordering::AcqRel);
    }
}

/// What a pooling engine shares among its stores.
#[derive(Debug)]
pub(crate) struct InstancePool {
    pub memories: Arc<MemoryPool>,
    pub instances: SlotCount,
    pub tables: SlotCount,
    /// Most elements a pooled table may have.
    pub table_elements: u64,
}

impl InstancePool {
    /// Reserves the memory slots of `config`.
    pub fn new(config: &PoolingAllocationConfig) -> Result<InstancePool, String> {
        Ok(InstancePool {
            memories: Arc::new(MemoryPool::new(
                config.total_memories as usize,
                config.max_memory_size as u64,
            )?),
            instances: SlotCount::new(config.total_core_instances, "instances", "total_core_instances"),
            tables: SlotCount::new(config.total_tables, "tables", "total_tables"),
            table_elements: config.table_elements as u64,
        })
    }
}
