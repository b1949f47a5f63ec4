//! What the suite needs before it runs, found from the provider itself: the industries an org_code
//! is served under (공통-001 answers only for them), and an access token from a refresh token
//! (개별인증-003) when the user gives credentials rather than a token.

use crate::http::{Request, SendError, Session, failure};
use crate::manifest::Manifest;
use mydata_spec::{Industry, IssuerType, KnownApi, Method, TranId};
use serde_json::Value;
use std::collections::BTreeMap;

/// The industries under which the provider at `base` answers 공통-001 for `org_code` with success:
/// one request per industry of the standard. A request that gets no answer at all (nothing listens
/// there, TLS fails, …) ends the search with its error: the provider cannot be told from one that
/// serves no such institution.
pub async fn industries(
    session: &mut Session,
    manifest: &Manifest,
    base: &str,
    org_code: &str,
    client_id: &str,
) -> Result<Vec<Industry>, SendError> {
    let api_list = KnownApi::ApiList.spec();
    let mut found = Vec::new();
    for industry in Industry::ALL {
        let mut headers = BTreeMap::new();
        headers.insert(
            mydata_spec::tran_id::HEADER.to_owned(),
            TranId::generate(&manifest.defaults.tran_id_org, IssuerType::Operator).to_string(),
        );
        let params = BTreeMap::from([
            ("org_code".to_owned(), org_code.to_owned()),
            ("client_id".to_owned(), client_id.to_owned()),
        ]);
        let request = Request { method: Method::Get, path: api_list.path(industry), headers, params };
        let response = session.send(base, &request).await?;
        if response.status == 200 && response.rsp_code() == Some("00000") {
            found.push(industry);
        }
    }
    Ok(found)
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token endpoint: {0}")]
    Transport(String),
    #[error("token endpoint answered HTTP {status}: {body}")]
    Refused { status: u16, body: String },
}

/// Credentials for 개별인증-003 (grant_type=refresh_token).
#[derive(Debug, Clone)]
pub struct RefreshGrant<'a> {
    pub org_code: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub refresh_token: &'a str,
}

/// Exchanges a refresh token for an access token at `base`/oauth/2.0/token. This is the one request
/// of the suite that changes state at the provider (it may rotate the refresh token), so it is made
/// only when the user passes a refresh token.
pub async fn refresh_access_token(
    base: &str,
    grant: &RefreshGrant<'_>,
    tran_id_org: &str,
    timeout: std::time::Duration,
) -> Result<String, TokenError> {
    let http = reqwest::Client::builder().timeout(timeout).build().map_err(|e| TokenError::Transport(failure(&e)))?;
    let path = KnownApi::RefreshToken.spec().path(Industry::Bank);
    let form = [
        ("org_code", grant.org_code),
        ("grant_type", "refresh_token"),
        ("refresh_token", grant.refresh_token),
        ("client_id", grant.client_id),
        ("client_secret", grant.client_secret),
    ];
    let response = http
        .post(format!("{}{path}", base.trim_end_matches('/')))
        .header(mydata_spec::tran_id::HEADER, TranId::generate(tran_id_org, IssuerType::Operator).to_string())
        .form(&form)
        .send()
        .await
        .map_err(|e| TokenError::Transport(failure(&e)))?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|e| TokenError::Transport(failure(&e)))?;
    let token = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|body| body.get("access_token")?.as_str().map(str::to_owned))
        .filter(|_| status == 200);
    token.ok_or(TokenError::Refused { status, body: text.chars().take(300).collect() })
}
