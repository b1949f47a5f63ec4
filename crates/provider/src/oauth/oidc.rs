//! The consent page's sign-in at the institution's own login: the provider is an OpenID Connect
//! relying party (authorization code flow with PKCE, discovery, ID-token verification of issuer,
//! audience, nonce and signature through the IdP's JWKS). A configured claim of the ID token is the
//! customer's CI.
//!
//! Nothing is kept on the server between the redirect to the login and the return: the nonce and
//! the PKCE verifier derive from the secret of the browser's consent cookie, so another browser (or
//! a replayed ID token of another sign-in) cannot complete it, and any instance of a scaled-out
//! provider can take the return.

use super::customer_auth::{CustomerAuthenticator, SignInContext, SignInRefusal, SignInStep};
use super::page::escape;
use async_trait::async_trait;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreRevocableToken,
    CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    Scope, StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How the provider signs customers in at the institution's OpenID provider.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// The IdP's issuer URL; its discovery document is `ISSUER/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// The client secret at the IdP (`client_secret_basic`); none for a public client.
    pub client_secret: Option<String>,
    /// This provider's return address registered at the IdP: its public base URL followed by
    /// [`super::SIGN_IN_RETURN_PATH`].
    pub redirect_url: String,
    /// The ID-token claim that carries the customer's CI.
    pub ci_claim: String,
    /// Scopes asked for besides `openid` (those that make the IdP put the CI claim in the ID token).
    pub scopes: Vec<String>,
}

/// Every claim of the ID token besides the standard ones, to find the configured CI claim.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct OtherClaims(HashMap<String, serde_json::Value>);
impl AdditionalClaims for OtherClaims {}

type TokenFields = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type RpClient = openidconnect::Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    StandardTokenResponse<TokenFields, CoreTokenType>,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The IdP's metadata and keys are read again at most this often (a key the IdP rotated in).
const REDISCOVER_AFTER: Duration = Duration::from_secs(60);

/// The OpenID Connect relying party.
pub struct OidcSignIn {
    settings: OidcSettings,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    http: reqwest::Client,
    /// The client built from the last discovery, and when it was read.
    discovered: Mutex<Option<(Arc<RpClient>, Instant)>>,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcConfigError {
    #[error("--oidc-issuer {0:?} is not a URL: {1}")]
    Issuer(String, String),
    #[error("--oidc-redirect-url {0:?} is not a URL: {1}")]
    Redirect(String, String),
    #[error("--oidc-redirect-url {0:?} must end with {path}", path = super::SIGN_IN_RETURN_PATH)]
    RedirectPath(String),
    #[error("the HTTP client for the IdP: {0}")]
    Http(String),
}

impl OidcSignIn {
    pub fn new(settings: OidcSettings) -> Result<OidcSignIn, OidcConfigError> {
        let issuer = IssuerUrl::new(settings.issuer.clone())
            .map_err(|e| OidcConfigError::Issuer(settings.issuer.clone(), e.to_string()))?;
        let redirect = RedirectUrl::new(settings.redirect_url.clone())
            .map_err(|e| OidcConfigError::Redirect(settings.redirect_url.clone(), e.to_string()))?;
        if redirect.url().path() != super::SIGN_IN_RETURN_PATH {
            return Err(OidcConfigError::RedirectPath(settings.redirect_url.clone()));
        }
        // Redirects are not followed: a discovery or token answer comes from the IdP itself (SSRF).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| OidcConfigError::Http(e.to_string()))?;
        Ok(OidcSignIn { settings, issuer, redirect, http, discovered: Mutex::new(None) })
    }

    /// Reads the IdP's discovery document and keys now (at start-up, to report a wrong issuer early).
    pub async fn discover(&self) -> Result<(), SignInRefusal> {
        self.client(true).await.map(|_| ())
    }

    /// The client of the last discovery, read again if `fresh` and the last is old enough.
    async fn client(&self, fresh: bool) -> Result<Arc<RpClient>, SignInRefusal> {
        let mut discovered = self.discovered.lock().await;
        if let Some((client, at)) = discovered.as_ref()
            && (!fresh || at.elapsed() < REDISCOVER_AFTER)
        {
            return Ok(client.clone());
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| SignInRefusal::Unavailable(format!("discovery at {}: {e}", self.settings.issuer)))?;
        let client = RpClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            self.settings.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(self.redirect.clone());
        let client = Arc::new(client);
        *discovered = Some((client.clone(), Instant::now()));
        Ok(client)
    }

    /// The CI in a verified ID token of this sign-in, or why there is none.
    fn verified_ci(
        &self,
        client: &RpClient,
        token: &StandardTokenResponse<TokenFields, CoreTokenType>,
        nonce: &Nonce,
    ) -> Result<String, Verification> {
        let id_token = token.id_token().ok_or(Verification::Refused("the IdP sent no ID token".into()))?;
        let claims = id_token.claims(&client.id_token_verifier(), nonce).map_err(|e| match e {
            openidconnect::ClaimsVerificationError::SignatureVerification(
                openidconnect::SignatureVerificationError::NoMatchingKey,
            ) => Verification::UnknownKey,
            other => Verification::Refused(format!("ID token: {other}")),
        })?;
        let ci = match claims.additional_claims().0.get(&self.settings.ci_claim) {
            Some(serde_json::Value::String(ci)) if !ci.is_empty() => ci.clone(),
            _ => return Err(Verification::Refused(format!("the ID token has no {} claim", self.settings.ci_claim))),
        };
        Ok(ci)
    }
}

enum Verification {
    Refused(String),
    /// Signed with a key the last discovery did not know: read the keys again, once.
    UnknownKey,
}

fn pkce_verifier(context: &SignInContext<'_>) -> PkceCodeVerifier {
    PkceCodeVerifier::new(context.derived("oidc pkce"))
}

fn nonce(context: &SignInContext<'_>) -> Nonce {
    Nonce::new(context.derived("oidc nonce"))
}

#[async_trait]
impl CustomerAuthenticator for OidcSignIn {
    fn form_html(&self, institution: &str) -> String {
        format!("<p>{}의 로그인 화면에서 본인임을 확인합니다.</p>", escape(institution))
    }

    async fn start(&self, context: &SignInContext<'_>, _: &[(String, String)]) -> Result<SignInStep, SignInRefusal> {
        let client = self.client(false).await?;
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&pkce_verifier(context));
        let state = CsrfToken::new(context.handle.to_owned());
        let nonce = nonce(context);
        let mut request = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, move || state, move || nonce)
            .set_pkce_challenge(challenge)
            // A consent is a decision: the customer signs in for it, not through an old IdP session.
            .add_prompt(openidconnect::core::CoreAuthPrompt::Login);
        for scope in &self.settings.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, _, _) = request.url();
        Ok(SignInStep::Redirect(url.to_string()))
    }

    async fn finish(
        &self,
        context: &SignInContext<'_>,
        query: &HashMap<String, String>,
    ) -> Result<String, SignInRefusal> {
        if let Some(error) = query.get("error") {
            return Err(SignInRefusal::Refused(format!("the IdP answered {error}")));
        }
        // RFC 9207: an IdP that names itself in the return must be ours (mix-up attacks).
        if let Some(iss) = query.get("iss")
            && iss != self.issuer.as_str()
        {
            return Err(SignInRefusal::Refused(format!("the return names issuer {iss}")));
        }
        let code = query.get("code").ok_or(SignInRefusal::Refused("the return has no code".into()))?;
        let client = self.client(false).await?;
        let exchange = client
            .exchange_code(AuthorizationCode::new(code.clone()))
            .map_err(|e| SignInRefusal::Unavailable(format!("the IdP's token endpoint: {e}")))?
            .set_pkce_verifier(pkce_verifier(context));
        let token = exchange.request_async(&self.http).await.map_err(|e| match e {
            openidconnect::RequestTokenError::ServerResponse(answer) => {
                SignInRefusal::Refused(format!("the IdP refused the code: {}", answer.error()))
            }
            other => SignInRefusal::Unavailable(format!("the IdP's token endpoint: {other}")),
        })?;
        let nonce = nonce(context);
        match self.verified_ci(&client, &token, &nonce) {
            Ok(ci) => Ok(ci),
            Err(Verification::Refused(why)) => Err(SignInRefusal::Refused(why)),
            Err(Verification::UnknownKey) => {
                let client = self.client(true).await?;
                self.verified_ci(&client, &token, &nonce).map_err(|e| match e {
                    Verification::Refused(why) => SignInRefusal::Refused(why),
                    Verification::UnknownKey => SignInRefusal::Refused("ID token signed with an unknown key".into()),
                })
            }
        }
    }
}
