//! The MyData standard API v1 (금융분야 마이데이터 표준 API 규격, 2021-09) as data and types.
//!
//! No I/O lives here: servers, client and conformance suite all read the standard from this crate.

pub mod api_type;
pub mod asset;
pub mod attachments;
pub mod catalogue;
pub mod codes;
pub mod counts;
pub mod fields;
pub mod industry;
pub mod openapi;
pub mod paging;
pub mod scheduled_hours;
pub mod subject;
pub mod time;
pub mod tran_id;
pub mod types;
pub mod validate;
pub mod wire;

pub use api_type::ApiType;
pub use asset::{AssetClass, AssetGroup, AssetId, AssetKind};
pub use catalogue::{ApiKind, ApiSpec, CATALOGUE, Group, KnownApi, Method, PeriodUnit, Periodic, ScopeRule};
pub use codes::{Envelope, OAuthError, RspCode};
pub use industry::Industry;
pub use tran_id::{IssuerType, TranId};
