//! Account primitives shared by the auth and identity services, on both
//! runtimes: password hashing ([`password`]), random tokens stored only as
//! hashes ([`token`]), e-mail normalisation ([`email`]) and the signature on
//! worker-to-worker calls ([`worker_signature`]).
//!
//! Nothing here touches the database, the network or the clock: callers pass
//! the current time in, so the rules are tested exactly.

pub mod email;
pub mod password;
pub mod token;
pub mod worker_signature;
