//! SMT (Z3) proofs of the rules of `plumb-rules`.
//!
//! Not yet implemented: the verifier is the subject of a later issue. This
//! crate is empty on purpose.
