//! Who the customer on the consent page is (개별인증-001, ch.3 ⑧): the page asks a
//! [`CustomerAuthenticator`], and the CI it answers must equal the `x-user-ci` the operator sent.
//! A deployment authenticates customers at the institution's own login ([`super::oidc`]); the demo
//! sign-in, where a customer types their customer ID, exists only for the sandbox and tests and is
//! chosen explicitly (`mydata serve --demo-sign-in`).

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mydata_store::{Store, StoreError};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// What a sign-in step knows of the consent-page request it serves.
pub struct SignInContext<'a> {
    pub store: &'a dyn Store,
    /// The institution the customer signs in to.
    pub org_code: &'a str,
    /// The consent page's handle (the secret in its URL).
    pub handle: &'a str,
    /// The secret of the browser's consent cookie, set when the sign-in starts; values bound to
    /// this browser (OIDC nonce, PKCE verifier) derive from it.
    pub browser_secret: &'a str,
}

impl SignInContext<'_> {
    /// A value derived from the browser's secret for `purpose`: 256 bits, URL-safe.
    pub fn derived(&self, purpose: &str) -> String {
        let mut hash = Sha256::new();
        hash.update(purpose.as_bytes());
        hash.update([0]);
        hash.update(self.browser_secret.as_bytes());
        URL_SAFE_NO_PAD.encode(hash.finalize())
    }
}

/// The next step after the customer submitted the sign-in form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInStep {
    /// The customer is identified: their CI.
    Identified(String),
    /// The customer signs in elsewhere (the institution's login) and comes back to
    /// [`super::SIGN_IN_RETURN_PATH`].
    Redirect(String),
}

/// Why a customer is not signed in. Each ends the consent-page request with `access_denied`
/// or `unauthorized_user` (첨부1), recording nothing.
#[derive(Debug, thiserror::Error)]
pub enum SignInRefusal {
    /// The customer is unknown or not the one the operator named.
    #[error("the customer could not be identified: {0}")]
    Unidentified(String),
    /// The customer cancelled at the login, or its answer does not verify (bad token, nonce, issuer).
    #[error("the sign-in was refused: {0}")]
    Refused(String),
    /// The login service could not be reached or the store failed.
    #[error("the sign-in service failed: {0}")]
    Unavailable(String),
}

impl From<StoreError> for SignInRefusal {
    fn from(e: StoreError) -> Self {
        SignInRefusal::Unavailable(e.to_string())
    }
}

/// Answers the consent page's question "who is this customer?".
#[async_trait]
pub trait CustomerAuthenticator: Send + Sync + 'static {
    /// Whether this is the demo sign-in (the page says so plainly).
    fn is_demo(&self) -> bool {
        false
    }

    /// The sign-in form's own inputs and explanation (HTML, escaped), above its submit button;
    /// `institution` is the institution's name as text.
    fn form_html(&self, institution: &str) -> String;

    /// The customer submitted the sign-in form (`form`).
    async fn start(&self, context: &SignInContext<'_>, form: &[(String, String)]) -> Result<SignInStep, SignInRefusal>;

    /// The customer came back from the login with `query`: their CI.
    async fn finish(
        &self,
        context: &SignInContext<'_>,
        query: &HashMap<String, String>,
    ) -> Result<String, SignInRefusal>;
}

/// The demo sign-in: the customer types their customer ID at the institution. It proves nothing
/// (anyone who knows an ID can type it) and is for the sandbox and tests only.
pub struct DemoSignIn;

#[async_trait]
impl CustomerAuthenticator for DemoSignIn {
    fn is_demo(&self) -> bool {
        true
    }

    fn form_html(&self, institution: &str) -> String {
        format!(
            "<p class=\"demo\" id=\"demo-notice\">데모 본인인증입니다. 실제 서비스가 아니며 본인 확인을 하지 않습니다. \
             {}의 고객 ID를 입력하면 그 고객으로 로그인됩니다.</p>\
             <label>고객 ID <input type=\"text\" name=\"customer_id\" id=\"customer_id\" required autocomplete=\"username\"></label>",
            super::page::escape(institution)
        )
    }

    async fn start(&self, context: &SignInContext<'_>, form: &[(String, String)]) -> Result<SignInStep, SignInRefusal> {
        let id = form.iter().find(|(k, _)| k == "customer_id").map(|(_, v)| v.trim()).unwrap_or_default();
        if id.is_empty() {
            return Err(SignInRefusal::Unidentified("no customer ID".into()));
        }
        match context.store.customer(context.org_code, id).await? {
            Some(customer) => Ok(SignInStep::Identified(customer.ci)),
            None => Err(SignInRefusal::Unidentified("unknown customer ID".into())),
        }
    }

    async fn finish(&self, _: &SignInContext<'_>, _: &HashMap<String, String>) -> Result<String, SignInRefusal> {
        Err(SignInRefusal::Refused("the demo sign-in has no return from a login".into()))
    }
}
