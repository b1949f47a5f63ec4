//! Two provider instances on one PostgreSQL database, as two `mydata serve` would run: a store of
//! their own each (own pools, own remembered grants, own listener for the other's revocations).
//! The scenarios load both; [`revocation_times`] measures how soon one refuses a token revoked
//! through the other.

use crate::scenarios::{BANK, Body, CLIENT, CLIENT_SECRET, Call, consent_and_token, request, serve};
use anyhow::bail;
use mydata_provider::Provider;
use mydata_store::{Customer, SqlStore};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the instances remember a grant in [`revocation_times`]: far beyond what is measured,
/// so that only the announcement of the revocation can make the second instance refuse it.
const LONG_GRANT_CACHE: Duration = Duration::from_secs(60);
/// How long the second instance is watched for a refusal before the round counts as unseen.
const WATCH: Duration = Duration::from_secs(2);

/// A provider instance of its own on `database`, served on loopback.
pub(crate) async fn instance(
    database: &str,
    read_connections: Option<u32>,
    grant_cache: Option<Duration>,
) -> anyhow::Result<(Arc<Provider>, String)> {
    let store = SqlStore::open_with(database, read_connections).await?;
    let store = match grant_cache {
        Some(ttl) => store.with_grant_cache_ttl(ttl),
        None => store,
    };
    store.listen_for_revocations().await?;
    let provider = crate::scenarios::provider(Arc::new(store)).await?;
    let base = serve(mydata_provider::router(provider.clone())).await?;
    Ok((provider, base))
}

/// Revocation-to-refusal times across two instances.
#[derive(Debug, Clone)]
pub struct RevocationTimes {
    /// Milliseconds from sending each revocation to the first refusal, sorted; rounds whose
    /// refusal did not come within two seconds are left out.
    pub refused_after_ms: Vec<f64>,
    /// Rounds the second instance still served after two seconds.
    pub unseen: usize,
}

impl RevocationTimes {
    /// The `fraction` quantile (0.5: the median) of the times measured.
    pub fn quantile_ms(&self, fraction: f64) -> Option<f64> {
        let last = self.refused_after_ms.len().checked_sub(1)?;
        Some(self.refused_after_ms[(last as f64 * fraction).round() as usize])
    }
}

/// For each of `customers`: a token issued through instance A and used on instance B (which then
/// remembers its grant), revoked through A's 개별인증-004, then called on B until B refuses it.
pub(crate) async fn revocation_times(
    database: &str,
    read_connections: Option<u32>,
    customers: &[Customer],
) -> anyhow::Result<RevocationTimes> {
    let (a, a_base) = instance(database, read_connections, Some(LONG_GRANT_CACHE)).await?;
    let (_b, b_base) = instance(database, read_connections, Some(LONG_GRANT_CACHE)).await?;
    let http = reqwest::Client::new();
    let mut times = RevocationTimes { refused_after_ms: Vec::new(), unseen: 0 };
    for customer in customers {
        let token = consent_and_token(&a, BANK, &customer.customer_id, "bank.list", Vec::new()).await?;
        let path = format!("/v1/bank/accounts?org_code={BANK}&limit=1");
        let list = Call::info(false, "/v1/bank/accounts", path, &token, Body::Empty);
        let served = request(&http, &b_base, &list).send().await?;
        if !served.status().is_success() {
            bail!("instance B refused a live token: {}", served.text().await.unwrap_or_default());
        }
        let started = Instant::now();
        let form =
            [("org_code", BANK), ("token", token.as_str()), ("client_id", CLIENT), ("client_secret", CLIENT_SECRET)];
        let revoked = http
            .post(format!("{a_base}/oauth/2.0/revoke"))
            .header("x-api-tran-id", crate::scenarios::tran_id())
            .form(&form)
            .send()
            .await?;
        if !revoked.status().is_success() {
            bail!("instance A refused the revocation: {}", revoked.text().await.unwrap_or_default());
        }
        loop {
            let answer = request(&http, &b_base, &list).send().await?;
            if !answer.status().is_success() {
                times.refused_after_ms.push(started.elapsed().as_secs_f64() * 1000.0);
                break;
            }
            if started.elapsed() > WATCH {
                times.unseen += 1;
                break;
            }
        }
    }
    times.refused_after_ms.sort_by(f64::total_cmp);
    Ok(times)
}
