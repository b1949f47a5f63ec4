//! The support APIs (지원 API, ch.7) as reusable parts.
//!
//! - [`tokens`] and [`oauth`]: the `manage` tokens both sides issue (지원-001 by the portal, 지원-101 by
//!   each participant): client-credentials endpoint, bearer check.
//! - [`participant`]: the 지원-101..104 endpoints any provider or operator mounts with one `merge`.
//! - [`portal_client`]: how a participant calls the portal (token, registry, statistics); [`sync`]
//!   keeps a participant's copy of the registry; [`recorder`] counts API calls for the statistics.
//! - [`registry`] and [`statistics`]: the payloads of 지원-002/003 and 지원-004/005.
//! - [`body`]: checks nested JSON bodies against the standard's field tables.
//! - [`transport`]: only the portal's certificate reaches 지원-101..104 (mutual TLS, ch.3.1).
//! - [`weekly`]: when the weekly statistics go out, and remembering which week did.
//! - [`testing`]: the portal's side of 지원-101..104 and of the statistics, for black-box tests.

pub mod oauth;
pub mod participant;
pub mod portal_client;
pub mod recorder;
pub mod registry;
pub mod secret;
pub mod statistics;
pub mod sync;
pub mod testing;
pub mod time;
pub mod tokens;
pub mod transport;
pub mod weekly;

pub use participant::{Participant, SupportEndpoint};
pub use portal_client::PortalClient;
pub use tokens::SupportTokens;
