//! The provider's copy of the portal's registry: the sync lives in `mydata-support` (operators use it
//! too); a provider pulls institutions and services.

pub use mydata_support::sync::{ProviderEndpoint, RegistrySync, SyncError, SyncSummary, providers};
