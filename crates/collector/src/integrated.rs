//! 통합인증 (ch.3.2.2, 기술 가이드라인 ch.4) as the operator runs it for one customer at N chosen
//! providers: the consent documents are built per provider, the customer signs them all in one
//! signing act, 통합인증-002 goes to every provider at once, and each pair that got tokens is
//! recorded like a 개별인증 link.
//!
//! The operator does not know the customer's assets beforehand, so it follows the two stages of
//! 별첨1: a 1차 consent for the asset lists only (`request_type` 0), the lists read with its token,
//! then a 2차 consent naming every listed asset with the industry's scopes (`request_type` 1),
//! which replaces the 1차 tokens at the provider. Each stage is one signature of the customer.
//!
//! Resending a request whose answer was lost is safe: the provider accepts each signed consent's
//! nonces once, so a resend can never record a second consent. A resend refused as a replay tells
//! that the lost attempt may have been recorded; the provider is then reported as uncertain.

use crate::store::{ConsentInfo, OperatorStore, ProviderRow};
use crate::token_guard::Issuance;
use async_trait::async_trait;
use chrono::Utc;
use futures::future::join_all;
use mydata_client::integrated::{
    ConsentDocument, ConsentTerms, IntegratedTokenRequest, PersonInfoRequest, RequestType, TargetAsset, TargetInfo,
    tx_id,
};
use mydata_client::{Call, Client, ClientError, Credentials, TokenAnswer, Tokens};
use mydata_spec::catalogue::{info_apis, list_scope};
use mydata_spec::{ApiKind, ApiType, Industry};
use mydata_store::StoreError;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

/// The most providers one bulk selection may cover (기술 가이드라인 ch.4: 일괄선택 ≤ 50).
pub const BULK_LIMIT: usize = 50;

/// The customer's signing act: CMS SignedData (DER) for every document, in order — in production
/// from the customer's device or the certification authority, in the sandbox from a stand-in.
#[async_trait]
pub trait ConsentSigner: Send + Sync {
    async fn sign(&self, documents: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, String>;
}

/// The sandbox's stand-in for the customer's device: signs with the demo customer's certificate
/// and key as `mydata sandbox` writes them under `<dir>/integrated-auth`
/// ([`mydata_pki::consent_signing::SigningIdentity`]).
pub struct StandInSigner(pub mydata_pki::consent_signing::SigningIdentity);

impl StandInSigner {
    pub fn open(dir: &std::path::Path, customer_id: &str) -> Result<StandInSigner, String> {
        mydata_pki::consent_signing::SigningIdentity::open(dir, customer_id).map(StandInSigner)
    }

    /// The certification authority that issued the certificate.
    pub fn ca_code(&self) -> &str {
        &self.0.ca_code
    }
}

#[async_trait]
impl ConsentSigner for StandInSigner {
    async fn sign(&self, documents: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, String> {
        Ok(documents.iter().map(|d| self.0.certificate.sign(d)).collect())
    }
}

/// Who is linked: the operator's customer and their CI (`username`, compared with the certificate's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkingCustomer {
    pub customer_id: String,
    pub ci: String,
}

/// How the operator runs 통합인증.
#[derive(Debug, Clone)]
pub struct IntegratedConfig {
    /// The operator's org_code (`rcv_org_code`, the head of `tx_id`).
    pub operator_org: String,
    /// The certification authority that issued the customer's certificate.
    pub ca_code: String,
    /// The operator's service domain, named in the 본인확인 이용동의 (`isp_url_info`).
    pub service_domain: String,
    /// Resends of a request that got no answer (or a 5xx).
    pub retries: u32,
    pub retry_delay: Duration,
}

impl IntegratedConfig {
    pub fn new(operator_org: &str, ca_code: &str, service_domain: &str) -> IntegratedConfig {
        IntegratedConfig {
            operator_org: operator_org.to_owned(),
            ca_code: ca_code.to_owned(),
            service_domain: service_domain.to_owned(),
            retries: 2,
            retry_delay: Duration::from_millis(300),
        }
    }
}

/// Why 통합인증 did not start.
#[derive(Debug, thiserror::Error)]
pub enum IntegratedError {
    #[error("no provider chosen")]
    NoProviders,
    #[error("{0} providers chosen; one bulk selection covers at most {BULK_LIMIT} (기술 가이드라인 ch.4)")]
    TooMany(usize),
    #[error("{org_code} was chosen twice")]
    Repeated { org_code: String },
    #[error("{org_code}: unknown industry {industry:?}")]
    UnknownIndustry { org_code: String, industry: String },
    #[error("the customer did not sign: {0}")]
    Signing(String),
    #[error("the signer returned {got} signatures for {asked} documents")]
    SignatureCount { asked: usize, got: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a provider's 통합인증 ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkOutcome {
    /// Tokens issued and recorded: the granted scope, the assets consented, and whether a live
    /// pair was held before (a duplicate issuance: the older pair is no longer used).
    Linked { scope: String, assets: usize, replaced: bool },
    /// The provider refused (its error, e.g. `invalid_grant`, and what it said).
    Refused { stage: RequestType, error: String, detail: String },
    /// No answer (or a 5xx, a 429) even after resending.
    Unreachable { stage: RequestType, detail: String },
    /// A lost answer's resend was refused as a replay: the provider may hold a consent the operator
    /// has no tokens for; linking again with a new signature settles it.
    Uncertain { stage: RequestType, detail: String },
    /// The 1차 tokens worked but the asset lists could not be read.
    ListsUnread { detail: String },
}

impl LinkOutcome {
    pub fn is_linked(&self) -> bool {
        matches!(self, LinkOutcome::Linked { .. })
    }
}

fn stage_name(stage: &RequestType) -> &'static str {
    match stage {
        RequestType::AssetLists => "1차 (asset lists)",
        RequestType::ChosenAssets => "2차 (chosen assets)",
    }
}

impl fmt::Display for LinkOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkOutcome::Linked { scope, assets, replaced } => {
                write!(f, "linked  scope \"{scope}\"  {assets} assets")?;
                if *replaced { f.write_str("  (replaces the pair held before)") } else { Ok(()) }
            }
            LinkOutcome::Refused { stage, error, detail } => {
                write!(f, "refused  {error}: {detail}  at {}", stage_name(stage))
            }
            LinkOutcome::Unreachable { stage, detail } => write!(f, "unreachable  {detail}  at {}", stage_name(stage)),
            LinkOutcome::Uncertain { stage, detail } => {
                write!(f, "uncertain  {detail}  at {}; link again with a new signature", stage_name(stage))
            }
            LinkOutcome::ListsUnread { detail } => write!(f, "lists unread  {detail}"),
        }
    }
}

/// One provider's outcome, with the requests it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderOutcome {
    pub org_code: String,
    pub industry: String,
    pub outcome: LinkOutcome,
    /// 통합인증-002 requests sent to it (resends included).
    pub attempts: u32,
}

/// 통합인증 for one operator.
pub struct IntegratedAuth {
    client: Client,
    store: OperatorStore,
    config: IntegratedConfig,
}

/// One provider's part of a stage: what was signed and how to ask for its tokens.
struct Prepared<'p> {
    provider: &'p ProviderRow,
    tx_id: String,
    consent_nonce: String,
    ucpid_nonce: String,
    consent: Vec<u8>,
    person: Vec<u8>,
}

/// What one 통합인증-002 request ended in, after resends.
struct Sent {
    result: Result<TokenAnswer, LinkOutcome>,
    attempts: u32,
}

fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..30].to_owned()
}

fn credentials(provider: &ProviderRow) -> Credentials {
    Credentials { client_id: provider.client_id.clone(), client_secret: provider.client_secret.clone() }
}

/// The targets of a 2차 consent: per asset list, its listed keys under the scopes of the APIs that
/// describe them (so that a key two lists share is told apart), then the industry's other scopes.
fn chosen_targets(industry: Industry, listed: &BTreeMap<&'static str, BTreeSet<String>>) -> Vec<TargetInfo> {
    let mut used = BTreeSet::new();
    let mut targets = Vec::new();
    for list in info_apis(industry).filter(|a| a.kind() == ApiKind::AssetList) {
        let mut scopes: BTreeSet<String> = list.detail_apis(industry).filter_map(|a| a.scope_for(industry)).collect();
        scopes.extend(list.scope_for(industry));
        let keys = listed.get(list.id).cloned().unwrap_or_default();
        used.extend(scopes.iter().cloned());
        let asset_list = keys.into_iter().map(|asset| TargetAsset { asset }).collect();
        targets.push(TargetInfo { scope: scopes.into_iter().collect::<Vec<_>>().join(" "), asset_list });
    }
    let rest: Vec<String> =
        mydata_domain::scope::scopes_of(industry).into_iter().filter(|s| !used.contains(s)).collect();
    if !rest.is_empty() {
        targets.push(TargetInfo { scope: rest.join(" "), asset_list: Vec::new() });
    }
    targets.retain(|t| !t.scope.is_empty());
    targets
}

impl IntegratedAuth {
    /// `client` calls providers (with the operator's certificate under TLS, its calls counted).
    pub fn new(client: Client, store: OperatorStore, config: IntegratedConfig) -> IntegratedAuth {
        IntegratedAuth { client, store, config }
    }

    /// Links `customer` at every provider of `providers` with `terms`, the customer signing through
    /// `signer` once per stage. Returns each provider's outcome, in the order given.
    pub async fn link(
        &self,
        customer: &LinkingCustomer,
        providers: &[ProviderRow],
        terms: &ConsentTerms,
        signer: &dyn ConsentSigner,
    ) -> Result<Vec<ProviderOutcome>, IntegratedError> {
        let industries = check_selection(providers)?;
        let mut outcomes: Vec<ProviderOutcome> = providers
            .iter()
            .map(|p| ProviderOutcome {
                org_code: p.org_code.clone(),
                industry: p.industry.clone(),
                outcome: LinkOutcome::ListsUnread { detail: "not tried".into() },
                attempts: 0,
            })
            .collect();

        // 1차: the asset lists.
        let first: Vec<(usize, Vec<TargetInfo>)> = industries
            .iter()
            .enumerate()
            .map(|(i, industry)| (i, vec![TargetInfo { scope: list_scope(*industry), asset_list: Vec::new() }]))
            .collect();
        let sent = self.stage(customer, providers, RequestType::AssetLists, terms, &first, signer).await?;
        let listing = sent.into_iter().map(|(i, sent)| {
            outcomes[i].attempts += sent.attempts;
            let industry = industries[i];
            async move {
                match sent.result {
                    Ok(answer) => {
                        let listed = self.list_assets(&providers[i], industry, &answer).await;
                        (i, Some(answer.access_token), listed)
                    }
                    Err(outcome) => (i, None, Err(outcome)),
                }
            }
        });
        let mut second = Vec::new();
        // The 1차 pairs, replaced at each provider by its 2차 consent; withdrawn where none follows.
        let mut first_tokens = BTreeMap::new();
        for (i, token, listed) in join_all(listing).await {
            first_tokens.extend(token.map(|t| (i, t)));
            match listed {
                Ok(listed) => second.push((i, chosen_targets(industries[i], &listed))),
                Err(outcome) => outcomes[i].outcome = outcome,
            }
        }

        // 2차: every listed asset, with the industry's scopes.
        let sent = if second.is_empty() {
            Ok(Vec::new())
        } else {
            self.stage(customer, providers, RequestType::ChosenAssets, terms, &second, signer).await
        };
        let sent = match sent {
            Ok(sent) => sent,
            Err(e) => {
                self.withdraw(providers, &first_tokens).await;
                return Err(e);
            }
        };
        let assets: BTreeMap<usize, usize> =
            second.iter().map(|(i, targets)| (*i, targets.iter().map(|t| t.asset_list.len()).sum())).collect();
        let now = Utc::now().timestamp();
        for (i, sent) in sent {
            outcomes[i].attempts += sent.attempts;
            outcomes[i].outcome = match sent.result {
                Ok(answer) => match Tokens::issued(&answer, now) {
                    Some(tokens) => {
                        let issuance = self.record(customer, &providers[i], &tokens, terms, now).await?;
                        let replaced = matches!(issuance, Issuance::Duplicate { .. });
                        LinkOutcome::Linked { scope: tokens.scope, assets: assets[&i], replaced }
                    }
                    None => LinkOutcome::Refused {
                        stage: RequestType::ChosenAssets,
                        error: "malformed".into(),
                        detail: "no refresh token in the answer".into(),
                    },
                },
                Err(outcome) => outcome,
            };
        }
        first_tokens.retain(|i, _| !outcomes[*i].outcome.is_linked());
        self.withdraw(providers, &first_tokens).await;
        Ok(outcomes)
    }

    /// Withdraws 1차 pairs no 2차 consent replaced (개별인증-004), so that no live pair is left
    /// that the operator does not hold; best effort, as the consent's end date ends them anyway.
    async fn withdraw(&self, providers: &[ProviderRow], first_tokens: &BTreeMap<usize, String>) {
        let revocations = first_tokens.iter().map(|(i, token)| async move {
            let p = &providers[*i];
            if let Err(error) = self.client.revoke(&p.base_url, &p.org_code, &credentials(p), token).await {
                tracing::warn!(org_code = %p.org_code, %error, "the 1차 token of an unfinished 통합인증 was not withdrawn");
            }
        });
        join_all(revocations).await;
    }

    /// Builds and has signed one stage's documents for the providers `targets` names, then asks
    /// every one of them for tokens at once.
    async fn stage(
        &self,
        customer: &LinkingCustomer,
        providers: &[ProviderRow],
        request_type: RequestType,
        terms: &ConsentTerms,
        targets: &[(usize, Vec<TargetInfo>)],
        signer: &dyn ConsentSigner,
    ) -> Result<Vec<(usize, Sent)>, IntegratedError> {
        let at = Utc::now();
        let serial = at.timestamp_subsec_micros() as u64;
        let terms = &terms.for_stage(request_type, mydata_spec::time::korean_date(at));
        let c = &self.config;
        let mut prepared: Vec<Prepared<'_>> = targets
            .iter()
            .map(|(i, target_info)| {
                let provider = &providers[*i];
                let tx = tx_id(&c.operator_org, &provider.org_code, &c.ca_code, at, serial + *i as u64);
                let (consent_nonce, ucpid_nonce) = (nonce(), nonce());
                let document = ConsentDocument::new(
                    &tx,
                    &provider.org_code,
                    &c.operator_org,
                    terms,
                    &consent_nonce,
                    target_info.clone(),
                );
                Prepared {
                    provider,
                    tx_id: tx,
                    consent: document.to_bytes(),
                    person: PersonInfoRequest::new(&c.service_domain, &ucpid_nonce).to_bytes(),
                    consent_nonce,
                    ucpid_nonce,
                }
            })
            .collect();
        let documents: Vec<Vec<u8>> = prepared.iter().flat_map(|p| [p.consent.clone(), p.person.clone()]).collect();
        let signed = signer.sign(&documents).await.map_err(IntegratedError::Signing)?;
        if signed.len() != documents.len() {
            return Err(IntegratedError::SignatureCount { asked: documents.len(), got: signed.len() });
        }
        let mut signatures = signed.into_iter();
        for p in &mut prepared {
            p.consent = signatures.next().expect("counted");
            p.person = signatures.next().expect("counted");
        }
        let requests = prepared
            .iter()
            .zip(targets)
            .map(|(p, (i, _))| async move { (*i, self.request_tokens(customer, p, request_type).await) });
        Ok(join_all(requests).await)
    }

    /// 통합인증-002 at one provider; a request that got no answer is sent again as it was.
    async fn request_tokens(&self, customer: &LinkingCustomer, p: &Prepared<'_>, stage: RequestType) -> Sent {
        let credentials = credentials(p.provider);
        let request = IntegratedTokenRequest {
            org_code: &p.provider.org_code,
            credentials: &credentials,
            ca_code: &self.config.ca_code,
            user_ci: &customer.ci,
            request_type: stage,
            tx_id: &p.tx_id,
            signed_consent: &p.consent,
            signed_person_info_req: &p.person,
            consent_nonce: &p.consent_nonce,
            ucpid_nonce: &p.ucpid_nonce,
        };
        let mut attempts = 0;
        let mut lost_answer = false;
        loop {
            attempts += 1;
            let error = match self.client.integrated_token(&p.provider.base_url, &request).await {
                Ok(answer) => return Sent { result: Ok(answer), attempts },
                Err(error) => error,
            };
            if error.is_transient() && attempts <= self.config.retries {
                tracing::warn!(org_code = %p.provider.org_code, attempts, %error, "통합인증-002 got no answer; sending it again");
                lost_answer = true;
                tokio::time::sleep(self.config.retry_delay * attempts).await;
                continue;
            }
            let outcome = match error {
                ClientError::OAuth { error, description, .. } if lost_answer && error == "invalid_grant" => {
                    LinkOutcome::Uncertain { stage, detail: format!("{error}: {description}") }
                }
                error if error.is_transient() => LinkOutcome::Unreachable { stage, detail: error.to_string() },
                ClientError::OAuth { error, description, .. } => {
                    LinkOutcome::Refused { stage, error, detail: description }
                }
                error => LinkOutcome::Refused { stage, error: error.code_label(), detail: error.to_string() },
            };
            return Sent { result: Err(outcome), attempts };
        }
    }

    /// The keys of every asset the lists the 1차 token grants name, by asset-list API.
    async fn list_assets(
        &self,
        provider: &ProviderRow,
        industry: Industry,
        answer: &TokenAnswer,
    ) -> Result<BTreeMap<&'static str, BTreeSet<String>>, LinkOutcome> {
        let mut listed = BTreeMap::new();
        let granted: BTreeSet<&str> = answer.scope.as_deref().unwrap_or_default().split_whitespace().collect();
        let lists = info_apis(industry).filter(|a| a.kind() == ApiKind::AssetList);
        for list in lists.filter(|a| a.scope_for(industry).is_some_and(|s| granted.contains(s.as_str()))) {
            let mut call = Call::new(list)
                .industry(industry)
                .api_type(ApiType::UserConsent)
                .bearer(&answer.access_token)
                .param("org_code", &provider.org_code);
            if list.takes_search_timestamp() {
                // Nothing seen yet: the whole list.
                call = call.param("search_timestamp", "0");
            }
            let fetched = self
                .client
                .fetch(&provider.base_url, &call)
                .await
                .map_err(|e| LinkOutcome::ListsUnread { detail: e.to_string() })?;
            let Some(key) = crate::collect::list_key(list, industry) else { continue };
            let keys = fetched.items().iter().filter_map(|item| mydata_client::call::value_text(item.get(key)?));
            listed.insert(list.id, keys.collect());
        }
        Ok(listed)
    }

    /// Records the pair as a 개별인증 link: its tokens, the customer's CI, and the consent's terms
    /// (known: the operator built the document).
    async fn record(
        &self,
        customer: &LinkingCustomer,
        provider: &ProviderRow,
        tokens: &Tokens,
        terms: &ConsentTerms,
        now: i64,
    ) -> Result<Issuance, StoreError> {
        let (customer_id, org) = (&customer.customer_id, &provider.org_code);
        let issuance = self.store.record_issuance(customer_id, org, tokens, now).await?;
        self.store.set_customer_ci(customer_id, &customer.ci, now).await?;
        let info = ConsentInfo {
            is_scheduled: Some(terms.fnd_cycle.is_some()),
            fnd_cycle: terms.fnd_cycle.clone(),
            add_cycle: terms.add_cycle.clone().or_else(|| terms.fnd_cycle.clone()),
            end_date: Some(terms.end_date.format("%Y%m%d").to_string()),
        };
        self.store.set_consent_info(customer_id, org, &info).await?;
        Ok(issuance)
    }
}

/// A bulk selection: 1..=[`BULK_LIMIT`] distinct providers of known industries.
fn check_selection(providers: &[ProviderRow]) -> Result<Vec<Industry>, IntegratedError> {
    if providers.is_empty() {
        return Err(IntegratedError::NoProviders);
    }
    if providers.len() > BULK_LIMIT {
        return Err(IntegratedError::TooMany(providers.len()));
    }
    let mut seen = BTreeSet::new();
    providers
        .iter()
        .map(|p| {
            if !seen.insert(p.org_code.as_str()) {
                return Err(IntegratedError::Repeated { org_code: p.org_code.clone() });
            }
            p.industry.parse::<Industry>().map_err(|_| IntegratedError::UnknownIndustry {
                org_code: p.org_code.clone(),
                industry: p.industry.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(org_code: &str, industry: &str) -> ProviderRow {
        ProviderRow {
            org_code: org_code.into(),
            industry: industry.into(),
            base_url: "http://127.0.0.1:9".into(),
            client_id: "c".into(),
            client_secret: "s".into(),
        }
    }

    #[test]
    fn a_bulk_selection_holds_one_to_fifty_distinct_providers() {
        assert!(matches!(check_selection(&[]), Err(IntegratedError::NoProviders)));
        let fifty: Vec<ProviderRow> = (0..50).map(|i| provider(&format!("BANK{i:06}"), "bank")).collect();
        assert_eq!(check_selection(&fifty).unwrap().len(), 50);
        let mut fifty_one = fifty.clone();
        fifty_one.push(provider("CARD000001", "card"));
        assert!(matches!(check_selection(&fifty_one), Err(IntegratedError::TooMany(51))));
        let twice = [provider("BANK000001", "bank"), provider("BANK000001", "bank")];
        assert!(matches!(check_selection(&twice), Err(IntegratedError::Repeated { .. })));
        assert!(matches!(
            check_selection(&[provider("X000000001", "nope")]),
            Err(IntegratedError::UnknownIndustry { .. })
        ));
    }

    #[test]
    fn the_second_consent_covers_every_scope_of_the_industry_once() {
        let mut listed = BTreeMap::new();
        let accounts = info_apis(Industry::Bank).find(|a| a.kind() == ApiKind::AssetList).unwrap();
        listed.insert(accounts.id, BTreeSet::from(["1001".to_owned()]));
        let targets = chosen_targets(Industry::Bank, &listed);
        let mut granted: Vec<&str> = targets.iter().flat_map(|t| t.scope.split(' ')).collect();
        granted.sort();
        granted.dedup();
        let all = mydata_domain::scope::scopes_of(Industry::Bank);
        assert_eq!(granted, all.iter().map(String::as_str).collect::<Vec<_>>());
        let named: Vec<&str> = targets.iter().flat_map(|t| &t.asset_list).map(|a| a.asset.as_str()).collect();
        assert_eq!(named, ["1001"]);
    }
}
