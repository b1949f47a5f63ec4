//! A participant's client of the portal: 지원-001 token (cached until shortly before it expires),
//! 지원-002/003 registry pulls with search_timestamp, 지원-004/005 statistics.

use crate::registry::{RegistryOrg, RegistryService};
use mydata_spec::{IssuerType, KnownApi, TranId};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The "지원API 호출용 자격증명" the portal issued to this participant.
#[derive(Debug, Clone)]
pub struct PortalAccount {
    /// The portal's base URL, e.g. `https://portal.example` (no trailing slash needed).
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// This participant's org_code and kind, for the x-api-tran-id of its calls.
    pub org_code: String,
    pub issuer: IssuerType,
}

#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error("portal unreachable: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the portal refused the token request: {0}")]
    Token(String),
    #[error("the portal answered {rsp_code}: {rsp_msg}")]
    Refused { rsp_code: String, rsp_msg: String },
    #[error("the portal's answer is not what the standard says: {0}")]
    Malformed(String),
}

/// One pull of 지원-002.
#[derive(Debug, Clone)]
pub struct OrgsPull {
    pub search_timestamp: Option<String>,
    pub orgs: Vec<RegistryOrg>,
}

/// One pull of 지원-003.
#[derive(Debug, Clone)]
pub struct ServicesPull {
    pub search_timestamp: Option<String>,
    pub services: Vec<RegistryService>,
}

struct CachedToken {
    token: String,
    renew_at: Instant,
}

pub struct PortalClient {
    account: PortalAccount,
    http: reqwest::Client,
    token: Mutex<Option<CachedToken>>,
}

impl PortalClient {
    pub fn new(account: PortalAccount) -> PortalClient {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap_or_default();
        PortalClient { account, http, token: Mutex::new(None) }
    }

    /// A client calling the portal over `tls` (e.g. `mydata_pki::ClientTls::rustls_config`): this
    /// institution's certificate, whose SERIALNUMBER the portal checks, and the portal's roots.
    pub fn with_tls(account: PortalAccount, tls: rustls::ClientConfig) -> PortalClient {
        let builder = reqwest::Client::builder().use_preconfigured_tls(tls).timeout(Duration::from_secs(30));
        PortalClient { account, http: builder.build().unwrap_or_default(), token: Mutex::new(None) }
    }

    pub fn account(&self) -> &PortalAccount {
        &self.account
    }

    /// Where the portal serves `api`: its base URL and the catalogue's path.
    fn url(&self, api: KnownApi) -> String {
        format!("{}{}", self.account.base_url.trim_end_matches('/'), api.spec().resource)
    }

    fn tran_id(&self) -> String {
        TranId::generate(&self.account.org_code, self.account.issuer).to_string()
    }

    /// A valid 지원-001 token, asking the portal only when the cached one is near its end.
    pub async fn token(&self) -> Result<String, PortalError> {
        let mut cached = self.token.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| c.renew_at > Instant::now()) {
            return Ok(c.token.clone());
        }
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.account.client_id.as_str()),
            ("client_secret", self.account.client_secret.as_str()),
            ("scope", mydata_spec::catalogue::MANAGE_SCOPE),
        ];
        let response = self
            .http
            .post(self.url(KnownApi::PortalToken))
            .header("x-api-tran-id", self.tran_id())
            .form(&form)
            .send()
            .await?;
        let ok = response.status().is_success();
        let body: Value = response.json().await?;
        if !ok {
            return Err(PortalError::Token(body["error"].as_str().unwrap_or("unknown error").to_owned()));
        }
        let token = body["access_token"].as_str().ok_or_else(|| PortalError::Malformed("no access_token".into()))?;
        let lifetime: u64 = match &body["expires_in"] {
            Value::String(s) => s.parse().unwrap_or(0),
            other => other.as_u64().unwrap_or(0),
        };
        // Renew at 90% of the lifetime, so no call goes out with a token about to expire.
        let renew_at = Instant::now() + Duration::from_secs(lifetime - lifetime / 10);
        *cached = Some(CachedToken { token: token.to_owned(), renew_at });
        Ok(token.to_owned())
    }

    /// Forgets the cached token (after the portal refused it).
    async fn drop_token(&self) {
        *self.token.lock().await = None;
    }

    /// Sends one support call, retrying once with a fresh token if the portal refuses the token.
    async fn call(&self, build: impl Fn(&str) -> reqwest::RequestBuilder) -> Result<Value, PortalError> {
        for attempt in 0..2 {
            let token = self.token().await?;
            let response = build(&token).header("x-api-tran-id", self.tran_id()).send().await?;
            if response.status() == reqwest::StatusCode::UNAUTHORIZED && attempt == 0 {
                self.drop_token().await;
                continue;
            }
            let body: Value = response.json().await?;
            let rsp_code = body["rsp_code"].as_str().unwrap_or_default();
            if rsp_code != "00000" {
                return Err(PortalError::Refused {
                    rsp_code: rsp_code.to_owned(),
                    rsp_msg: body["rsp_msg"].as_str().unwrap_or_default().to_owned(),
                });
            }
            return Ok(body);
        }
        Err(PortalError::Token("the portal refused a freshly issued token".into()))
    }

    async fn get_list(
        &self,
        api: KnownApi,
        search_timestamp: &str,
    ) -> Result<(Option<String>, Vec<Value>), PortalError> {
        let url = self.url(api);
        let body = self
            .call(|token| self.http.get(&url).bearer_auth(token).query(&[("search_timestamp", search_timestamp)]))
            .await?;
        let list = body["org_list"].as_array().cloned().ok_or_else(|| PortalError::Malformed("no org_list".into()))?;
        Ok((body["search_timestamp"].as_str().map(str::to_owned), list))
    }

    /// 지원-002: institutions changed since `search_timestamp` (`"0"` for all).
    pub async fn orgs(&self, search_timestamp: &str) -> Result<OrgsPull, PortalError> {
        let (search_timestamp, list) = self.get_list(KnownApi::PortalOrgs, search_timestamp).await?;
        let orgs = list
            .iter()
            .map(|entry| {
                RegistryOrg::from_entry(entry).ok_or_else(|| PortalError::Malformed(format!("org entry {entry}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(OrgsPull { search_timestamp, orgs })
    }

    /// 지원-003: services changed since `search_timestamp` (`"0"` for all).
    pub async fn services(&self, search_timestamp: &str) -> Result<ServicesPull, PortalError> {
        let (search_timestamp, list) = self.get_list(KnownApi::PortalServices, search_timestamp).await?;
        Ok(ServicesPull { search_timestamp, services: list.iter().flat_map(RegistryService::from_org_entry).collect() })
    }

    /// 지원-004 ([`KnownApi::OperatorStatistics`]) or 지원-005 ([`KnownApi::ProviderStatistics`]).
    pub async fn send_statistics(&self, api: KnownApi, report: &Value) -> Result<(), PortalError> {
        let url = self.url(api);
        self.call(|token| self.http.post(&url).bearer_auth(token).json(report)).await.map(|_| ())
    }
}
