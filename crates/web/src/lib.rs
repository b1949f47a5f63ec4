//! HTTP plumbing shared by the provider, the portal and the operator's support endpoint.

pub mod bearer;
pub mod catalogue_route;
pub mod error;
pub mod health;
pub mod html;
pub mod logging;
pub mod openapi;
pub mod server;
pub mod tls;
pub mod tran_id;

pub use error::ApiError;
