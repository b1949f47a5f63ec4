//! Typed wrappers of the authorization APIs (ch.5) and the support-API token endpoints (ch.7).

use crate::call::{Answer, Call, Client};
use crate::error::{ClientError, ClientResult};
use mydata_spec::KnownApi;
use mydata_spec::catalogue::MANAGE_SCOPE;

/// The service credentials the portal issued to the operator (서비스 자격증명, ch.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

/// What a token endpoint answered (개별인증-002/003, 통합인증-002, 지원-001/101).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAnswer {
    pub access_token: String,
    /// Seconds.
    pub expires_in: i64,
    /// Absent on a refresh (개별인증-003 answers only a new access token) unless the provider rotates it.
    pub refresh_token: Option<String>,
    pub refresh_token_expires_in: Option<i64>,
    pub scope: Option<String>,
}

impl TokenAnswer {
    pub(crate) fn from_answer(answer: &Answer) -> ClientResult<TokenAnswer> {
        let malformed = |problem: &str| ClientError::Malformed { api: answer.api.id, problem: problem.into() };
        let seconds = |name: &str| -> ClientResult<Option<i64>> {
            answer
                .text(name)
                .map(|t| t.parse::<i64>().map_err(|_| malformed(&format!("{name} is not a number"))))
                .transpose()
        };
        Ok(TokenAnswer {
            access_token: answer.text("access_token").ok_or_else(|| malformed("no access_token"))?,
            expires_in: seconds("expires_in")?.ok_or_else(|| malformed("no expires_in"))?,
            refresh_token: answer.text("refresh_token"),
            refresh_token_expires_in: seconds("refresh_token_expires_in")?,
            scope: answer.text("scope"),
        })
    }
}

/// How the provider asks the customer to authenticate (개별인증-001's two methods, ch.3.2.1.1 ④).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeAnswer {
    /// The web method: the provider's authentication and consent page (302 Location).
    Web { url: String },
    /// The app method: the provider's app to switch to, or to install first.
    App(ProviderApp),
}

/// The app method's answer (200 JSON): every field the standard requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderApp {
    pub org_code: String,
    pub app_scheme_ios: String,
    pub install_url_ios: String,
    pub app_scheme_android: String,
    pub install_url_android: String,
}

impl AuthorizeAnswer {
    fn from_answer(answer: Answer) -> ClientResult<AuthorizeAnswer> {
        let malformed = |problem: String| ClientError::Malformed { api: answer.api.id, problem };
        if let Some(url) = answer.location.clone() {
            return Ok(AuthorizeAnswer::Web { url });
        }
        if answer.status != 200 {
            return Err(malformed(format!("HTTP {} without a Location to the consent page", answer.status)));
        }
        let field = |name: &str| {
            answer
                .text(name)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| malformed(format!("the app method's answer has no {name}")))
        };
        Ok(AuthorizeAnswer::App(ProviderApp {
            org_code: field("org_code")?,
            app_scheme_ios: field("app_scheme_iOS")?,
            install_url_ios: field("install_url_iOS")?,
            app_scheme_android: field("app_scheme_android")?,
            install_url_android: field("install_url_android")?,
        }))
    }

    /// The web method's page, if that is the method.
    pub fn page(&self) -> Option<&str> {
        match self {
            AuthorizeAnswer::Web { url } => Some(url),
            AuthorizeAnswer::App(_) => None,
        }
    }
}

/// The parameters of 개별인증-001.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest<'a> {
    pub org_code: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub app_scheme: &'a str,
    pub state: &'a str,
    /// The customer's CI (`x-user-ci`), which the provider compares with its own record.
    pub user_ci: &'a str,
}

fn credentials(call: Call, org_code: &str, creds: &Credentials) -> Call {
    call.param("org_code", org_code).param("client_id", &creds.client_id).param("client_secret", &creds.client_secret)
}

impl Client {
    /// 개별인증-001 (ch.3.2.1.1 ④): where the customer authenticates and consents — the web
    /// method's page (302 with its Location, for the service app to open) or the app method's
    /// provider app (200 with its URL schemes and install URLs, for the service app to switch to).
    pub async fn authorize(&self, base_url: &str, request: &AuthorizeRequest<'_>) -> ClientResult<AuthorizeAnswer> {
        let call = Call::new(KnownApi::Authorize.spec())
            .header("x-user-ci", request.user_ci)
            .param("org_code", request.org_code)
            .param("response_type", "code")
            .param("client_id", request.client_id)
            .param("redirect_uri", request.redirect_uri)
            .param("app_scheme", request.app_scheme)
            .param("state", request.state);
        AuthorizeAnswer::from_answer(self.send(base_url, &call).await?)
    }

    /// 개별인증-002: exchanges an authorization code for the consent's token pair.
    pub async fn exchange_code(
        &self,
        base_url: &str,
        org_code: &str,
        creds: &Credentials,
        code: &str,
        redirect_uri: &str,
    ) -> ClientResult<TokenAnswer> {
        let call = credentials(Call::new(KnownApi::IssueToken.spec()), org_code, creds)
            .param("grant_type", "authorization_code")
            .param("code", code)
            .param("redirect_uri", redirect_uri);
        TokenAnswer::from_answer(&self.send(base_url, &call).await?)
    }

    /// 개별인증-003: a new access token from the refresh token.
    pub async fn refresh(
        &self,
        base_url: &str,
        org_code: &str,
        creds: &Credentials,
        refresh_token: &str,
    ) -> ClientResult<TokenAnswer> {
        let call = credentials(Call::new(KnownApi::RefreshToken.spec()), org_code, creds)
            .param("grant_type", "refresh_token")
            .param("refresh_token", refresh_token);
        TokenAnswer::from_answer(&self.send(base_url, &call).await?)
    }

    /// 개별인증-004: revokes the access token and its refresh token (the customer withdrew, ch.3.2.1.2).
    pub async fn revoke(&self, base_url: &str, org_code: &str, creds: &Credentials, token: &str) -> ClientResult<()> {
        let call = credentials(Call::new(KnownApi::RevokeToken.spec()), org_code, creds).param("token", token);
        self.send(base_url, &call).await.map(drop)
    }

    /// 지원-001 (from the portal) or 지원-101 (from a participant): a `manage` token for support APIs.
    pub async fn support_token(&self, base_url: &str, api: KnownApi, creds: &Credentials) -> ClientResult<TokenAnswer> {
        let call = Call::new(api.spec())
            .param("grant_type", "client_credentials")
            .param("client_id", &creds.client_id)
            .param("client_secret", &creds.client_secret)
            .param("scope", MANAGE_SCOPE);
        TokenAnswer::from_answer(&self.send(base_url, &call).await?)
    }
}
