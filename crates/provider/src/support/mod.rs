//! The provider's side of the support APIs: 지원-101..104 (mounted from `mydata-support`), the link
//! to the portal (registry sync, statistics sending) and the call statistics recorder.

use crate::registry::RegistrySync;
use crate::stats::StatsRecorder;
use crate::{Provider, ServedOrg};
use async_trait::async_trait;
use axum::Router;
use mydata_spec::{IssuerType, KnownApi, RspCode};
use mydata_store::{Store, StoreError};
use mydata_support::participant::{self, Availability, Participant, ResendRequest, ServiceConsents, SupportEndpoint};
use mydata_support::portal_client::PortalClient;
use mydata_support::statistics::{USER_INVOLVED, provider_report, week_before};
use mydata_support::tokens::{DEFAULT_LIFETIME, SupportTokens};
use mydata_web::ApiError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How the provider reaches the portal (the same for every participant).
pub use mydata_support::participant::PortalLink;

/// Support state of one provider: the 지원-101..104 endpoint, the statistics recorder, and the
/// portal link once one is configured.
pub struct ProviderSupport {
    pub endpoint: Arc<SupportEndpoint>,
    pub stats: StatsRecorder,
    /// Whether the provider is down for maintenance (지원-102 answers `03`, the information APIs 50008).
    pub maintenance: Arc<AtomicBool>,
    link: Arc<RwLock<Option<Arc<RegistrySync>>>>,
}

/// What 지원-102..104 need to know about this provider.
struct ProviderParticipant {
    store: Arc<dyn Store>,
    maintenance: Arc<AtomicBool>,
    orgs: Vec<ServedOrg>,
    stats: StatsRecorder,
    link: Arc<RwLock<Option<Arc<RegistrySync>>>>,
}

impl ProviderSupport {
    /// Starts the statistics recorder and prepares the 지원-101..104 endpoint (refusing every token
    /// request until [`ProviderSupport::connect_portal`] gives it the portal's credential).
    pub async fn start(store: Arc<dyn Store>, orgs: &[ServedOrg]) -> Result<ProviderSupport, StoreError> {
        let stats = StatsRecorder::start(store.clone(), orgs.to_vec());
        let link = Arc::new(RwLock::new(None));
        let maintenance = Arc::new(AtomicBool::new(false));
        let participant = ProviderParticipant {
            store: store.clone(),
            maintenance: maintenance.clone(),
            orgs: orgs.to_vec(),
            stats: stats.clone(),
            link: link.clone(),
        };
        let tokens = SupportTokens::open(store.as_ref(), &orgs[0].org_code, DEFAULT_LIFETIME).await?;
        let endpoint = Arc::new(SupportEndpoint::new(tokens, Arc::new(participant), IssuerType::Provider));
        Ok(ProviderSupport { endpoint, stats, maintenance, link })
    }

    /// Connects to the portal: accepts its 지원-101 credential and returns the registry sync (not yet
    /// running: call [`RegistrySync::refresh`], or [`run_with_portal`] which refreshes periodically).
    pub fn connect_portal(&self, store: Arc<dyn Store>, link: PortalLink) -> Arc<RegistrySync> {
        self.connect_portal_over(store, link, None)
    }

    /// [`ProviderSupport::connect_portal`] calling the portal over `tls` (this provider's client
    /// certificate and the portal's roots, e.g. `mydata_pki::ClientTls::rustls_config`).
    pub fn connect_portal_over(
        &self,
        store: Arc<dyn Store>,
        link: PortalLink,
        tls: Option<rustls::ClientConfig>,
    ) -> Arc<RegistrySync> {
        self.endpoint.set_portal_credential(Some(link.credential));
        let client = match tls {
            Some(tls) => PortalClient::with_tls(link.account, tls),
            None => PortalClient::new(link.account),
        };
        let sync = Arc::new(RegistrySync::for_provider(store, Arc::new(client)));
        *self.link.write().unwrap_or_else(|e| e.into_inner()) = Some(sync.clone());
        sync
    }

    fn sync(&self) -> Option<Arc<RegistrySync>> {
        self.link.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Sends 지원-005 for every served institution and each of `stat_types` for the week before
    /// `inquiry_date` (a Sunday), after writing every call recorded so far.
    pub async fn send_statistics(
        &self,
        store: &dyn Store,
        orgs: &[ServedOrg],
        inquiry_date: &str,
        stat_types: &[&str],
    ) -> Result<(), SendError> {
        let sync = self.sync().ok_or(SendError::NotConnected)?;
        send_reports(store, &self.stats, &sync, orgs, inquiry_date, stat_types).await
    }

    /// The 지원-005 body of one institution, from the recorded calls.
    pub async fn statistics_report(
        &self,
        store: &dyn Store,
        org_code: &str,
        stat_type: &str,
        inquiry_date: &str,
    ) -> Result<serde_json::Value, SendError> {
        self.stats.flush().await;
        report(store, org_code, None, stat_type, inquiry_date).await
    }
}

pub use mydata_support::weekly::SendError;

async fn report(
    store: &dyn Store,
    org_code: &str,
    named_org_code: Option<&str>,
    stat_type: &str,
    inquiry_date: &str,
) -> Result<serde_json::Value, SendError> {
    let week = week_before(inquiry_date)?;
    let (first, last) = (week[0].format("%Y%m%d").to_string(), week[6].format("%Y%m%d").to_string());
    let cells = store.call_stats(org_code, &first, &last).await?;
    // 지원-005's consent counts, reported with type 2 only (the table: "type이 '1'인 경우 미회신").
    let mut consents = Vec::new();
    if stat_type == USER_INVOLVED {
        for day in &week {
            let (from, to) = mydata_support::time::day_bounds(*day);
            let date = day.format("%Y%m%d").to_string();
            let counts = store.consent_counts(org_code, from, to, &date).await?;
            consents.push((date, counts));
        }
    }
    let mut clients: std::collections::BTreeSet<String> = cells.iter().map(|c| c.client_id.clone()).collect();
    for (_, counts) in &consents {
        clients.extend(counts.iter().map(|c| c.client_id.clone()));
    }
    let mut operator_of = std::collections::HashMap::new();
    for client_id in clients {
        let org = store.client(&client_id).await?.map(|c| c.org_code).unwrap_or_default();
        operator_of.insert(client_id, org);
    }
    Ok(provider_report(stat_type, inquiry_date, named_org_code, &cells, &consents, &|client| {
        operator_of.get(client).cloned().unwrap_or_default()
    })?)
}

async fn send_reports(
    store: &dyn Store,
    stats: &StatsRecorder,
    sync: &RegistrySync,
    orgs: &[ServedOrg],
    inquiry_date: &str,
    stat_types: &[&str],
) -> Result<(), SendError> {
    stats.flush().await;
    let own = sync.portal().account().org_code.clone();
    for org in orgs {
        // Another institution served here (another industry) is named in org_code, as a relay does.
        let named = (org.org_code != own).then_some(org.org_code.as_str());
        for stat_type in stat_types {
            let body = report(store, &org.org_code, named, stat_type, inquiry_date).await?;
            sync.portal().send_statistics(KnownApi::ProviderStatistics, &body).await?;
        }
    }
    Ok(())
}

#[async_trait]
impl Participant for ProviderParticipant {
    fn org_codes(&self) -> Vec<String> {
        self.orgs.iter().map(|o| o.org_code.clone()).collect()
    }

    fn is_provider(&self) -> bool {
        true
    }

    async fn availability(&self, _org_code: &str) -> Availability {
        if self.maintenance.load(Ordering::Relaxed) {
            return Availability::Maintenance;
        }
        // The information APIs are as available as the database they read.
        if self.store.ping().await.is_ok() { Availability::Normal } else { Availability::Failure }
    }

    async fn consents(&self, _org_code: &str, _user_ci: &str) -> Result<Option<Vec<ServiceConsents>>, ApiError> {
        Err(ApiError::with(RspCode::EndpointNotFound, "지원-103 is served by MyData operators"))
    }

    async fn resend_statistics(&self, request: ResendRequest) -> Result<(), ApiError> {
        let sync = self.link.read().unwrap_or_else(|e| e.into_inner()).clone();
        let sync = sync.ok_or_else(|| ApiError::with(RspCode::ProcessingFailed, "no portal is configured"))?;
        let orgs: Vec<ServedOrg> = self.orgs.iter().filter(|o| o.org_code == request.org_code).cloned().collect();
        let (store, stats) = (self.store.clone(), self.stats.clone());
        // The portal's request is answered at once; the reports follow as 지원-005 calls.
        tokio::spawn(async move {
            if let Err(e) =
                send_reports(store.as_ref(), &stats, &sync, &orgs, &request.inquiry_date, &request.stat_types).await
            {
                tracing::warn!(error = %e, "statistics resend (지원-104) failed");
            }
        });
        Ok(())
    }
}

/// Everything a running provider does with the portal, started in one call (what `mydata serve`
/// needs): accept the portal's 지원-101 credential, pull the registry now and every
/// `link.refresh_every`, and send the weekly 지원-005 reports. The tasks run until the process ends.
pub fn run_with_portal(provider: &Arc<Provider>, link: PortalLink) -> Vec<tokio::task::JoinHandle<()>> {
    run_with_portal_over(provider, link, None)
}

/// [`run_with_portal`] calling the portal over `tls` (mutual TLS with this provider's certificate).
pub fn run_with_portal_over(
    provider: &Arc<Provider>,
    link: PortalLink,
    tls: Option<rustls::ClientConfig>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let every = link.refresh_every;
    let sync = provider.support.connect_portal_over(provider.store.clone(), link, tls);
    vec![
        spawn_registry_refresh(provider.clone(), sync, every),
        spawn_weekly_statistics(provider.clone(), Duration::from_secs(3600)),
    ]
}

/// Pulls the registry now and every `every`; after each pull the provider takes scheduled calls in
/// the np_time windows its institutions registered.
pub fn spawn_registry_refresh(
    provider: Arc<Provider>,
    sync: Arc<RegistrySync>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match sync.refresh().await {
                Ok(summary) => summary.log(sync.org_code(), "registry refreshed from the portal"),
                Err(e) => tracing::warn!(error = %e, "registry refresh failed; retrying later"),
            }
            if let Err(e) = provider.learn_registered_hours().await {
                tracing::warn!(error = %e, "the registered np_time windows were not read; retrying later");
            }
        }
    })
}

/// 지원-101..104 of this provider.
pub fn routes(provider: Arc<Provider>) -> Router {
    participant::routes(provider.support.endpoint.clone())
}

/// The inquiry_date (a Sunday) of the last complete week before `now`: what a weekly 지원-005 sends.
pub use mydata_support::weekly::last_inquiry_date;

const SENT_SETTING: &str = "statistics-sent-inquiry-date";

/// Sends the weekly 지원-005 reports on Mondays (KST, as ch.7 asks), checking every `every`; the
/// inquiry_date sent last is kept in the store, so a restart neither skips nor repeats a week.
pub fn spawn_weekly_statistics(provider: Arc<Provider>, every: Duration) -> tokio::task::JoinHandle<()> {
    let store = provider.store.clone();
    mydata_support::weekly::spawn_weekly(store, chrono::Weekday::Mon, SENT_SETTING.into(), every, move |inquiry_date| {
        let provider = provider.clone();
        async move {
            let types = [mydata_support::statistics::SCHEDULED, mydata_support::statistics::USER_INVOLVED];
            let orgs = &provider.config.orgs;
            provider.support.send_statistics(provider.store.as_ref(), orgs, &inquiry_date, &types).await
        }
    })
}
