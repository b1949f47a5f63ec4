//! The MyData operator's client (마이데이터사업자): every API of the standard through one
//! catalogue-driven [`Call`], typed wrappers for the token endpoints, safe paging, a memory of
//! `search_timestamp` per resource, and a [`TokenManager`] per consent.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mydata_client::ClientError> {
//! use mydata_client::{Call, Client};
//! use mydata_spec::{ApiType, Industry};
//! let client = Client::new("OPERAT0001");
//! let accounts = client
//!     .fetch("https://bank.example", &Call::by_id("은행-001").industry(Industry::Bank)
//!         .api_type(ApiType::Scheduled).bearer("…").param("org_code", "BANK000001"))
//!     .await?;
//! println!("{} accounts", accounts.items().len());
//! # Ok(()) }
//! ```

pub mod auth;
pub mod call;
pub mod error;
pub mod integrated;
pub mod paging;
pub mod token;

pub use auth::{AuthorizeAnswer, AuthorizeRequest, Credentials, ProviderApp, TokenAnswer};
pub use call::{Answer, Call, CallObserver, Client, Exchange, Payload, Prepared};
pub use error::{ClientError, ClientResult};
pub use paging::{Fetched, ResourceKey, SearchTimestamps, list_field};
pub use token::{RefreshPolicy, StopReason, TokenEndpoint, TokenError, TokenManager, TokenSink, Tokens};
