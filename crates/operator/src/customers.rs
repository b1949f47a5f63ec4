//! Whom the operator knows as its customer, for its dashboard and its read API.

use mydata_collector::OperatorStore;
use mydata_store::StoreResult;
use std::sync::Arc;

/// The operator's customers: those signed in to it (`--customer`), whose pages exist before their
/// first consent, and everyone who gave it a consent (live or stopped: the links of a customer who
/// left stay, stopped). Any other ID — a typo, someone else's — is told so rather than answered
/// with an empty view as if it were theirs.
#[derive(Clone)]
pub struct KnownCustomers {
    signed_in: Arc<[String]>,
}

impl KnownCustomers {
    pub fn new(signed_in: Vec<String>) -> KnownCustomers {
        KnownCustomers { signed_in: signed_in.into() }
    }

    /// Whether `customer_id` is one, by `store`'s links when not signed in.
    pub async fn knows(&self, store: &OperatorStore, customer_id: &str) -> StoreResult<bool> {
        Ok(self.signed_in.iter().any(|c| c == customer_id) || store.has_links(customer_id).await?)
    }
}
