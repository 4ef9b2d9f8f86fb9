//! SMT (Z3) proofs of the rules of `plumb-rules`.

pub mod smt;
