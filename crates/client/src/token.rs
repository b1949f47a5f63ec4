//! The token manager: one consent's access/refresh pair, refreshed before it expires, kept through a
//! lost refresh response, and stopped — with the reason recorded — when the consent is revoked or ends.

use crate::auth::{Credentials, TokenAnswer};
use crate::call::Client;
use crate::error::ClientError;
use async_trait::async_trait;
use mydata_spec::RspCode;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// A consent's tokens with absolute expiry times (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    pub access_token: String,
    pub access_expires_at: i64,
    pub refresh_token: String,
    pub refresh_expires_at: i64,
    pub scope: String,
}

impl Tokens {
    /// The pair 개별인증-002 (or 통합인증-002) issued at `now`.
    pub fn issued(answer: &TokenAnswer, now: i64) -> Option<Tokens> {
        Some(Tokens {
            access_token: answer.access_token.clone(),
            access_expires_at: now + answer.expires_in,
            refresh_token: answer.refresh_token.clone()?,
            refresh_expires_at: now + answer.refresh_token_expires_in?,
            scope: answer.scope.clone().unwrap_or_default(),
        })
    }

    /// These tokens after a refresh at `now`: a new access token, and a new refresh token only if
    /// the provider rotated it.
    fn renewed(&self, answer: &TokenAnswer, now: i64) -> Tokens {
        let (refresh_token, refresh_expires_at) = match (&answer.refresh_token, answer.refresh_token_expires_in) {
            (Some(token), Some(secs)) => (token.clone(), now + secs),
            (Some(token), None) => (token.clone(), self.refresh_expires_at),
            _ => (self.refresh_token.clone(), self.refresh_expires_at),
        };
        Tokens {
            access_token: answer.access_token.clone(),
            access_expires_at: now + answer.expires_in,
            refresh_token,
            refresh_expires_at,
            scope: answer.scope.clone().unwrap_or_else(|| self.scope.clone()),
        }
    }
}

/// Why collection for a consent stopped for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// The provider no longer honours the tokens: the customer withdrew the consent (40101 after a
    /// refresh, or `invalid_grant` on the refresh itself).
    Revoked { detail: String },
    /// The consent's end date passed (40106).
    ConsentEnded,
    /// The refresh token expired; only a new consent yields new tokens (ch.2.2: at most one year).
    RefreshExpired,
}

impl StopReason {
    /// A stable label for the database and summaries.
    pub fn code(&self) -> &'static str {
        match self {
            StopReason::Revoked { .. } => "revoked",
            StopReason::ConsentEnded => "consent-ended",
            StopReason::RefreshExpired => "refresh-expired",
        }
    }

    /// What the stop means to the customer, in Korean.
    pub fn korean(&self) -> &'static str {
        match self {
            StopReason::Revoked { .. } => "전송요구 철회",
            StopReason::ConsentEnded => "전송요구 기간 종료",
            StopReason::RefreshExpired => "인증 만료 (다시 전송요구 필요)",
        }
    }

    /// [`StopReason::korean`] of the stop recorded under `code` ([`StopReason::code`]); `None` for a
    /// code no stop records.
    pub fn korean_of(code: &str) -> Option<&'static str> {
        [StopReason::Revoked { detail: String::new() }, StopReason::ConsentEnded, StopReason::RefreshExpired]
            .into_iter()
            .find(|reason| reason.code() == code)
            .map(|reason| reason.korean())
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Revoked { detail } => write!(f, "the consent was revoked ({detail})"),
            StopReason::ConsentEnded => f.write_str("the consent's end date passed (40106)"),
            StopReason::RefreshExpired => f.write_str("the refresh token expired"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("collection stopped: {0}")]
    Stopped(StopReason),
    /// The refresh could not be completed now (the provider did not answer); the consent stands.
    #[error("refreshing the token failed: {0}")]
    Refresh(#[source] ClientError),
    #[error("saving the tokens failed: {0}")]
    Sink(String),
}

/// Where the manager keeps what it learns, so that a crash never loses a rotated token or a stop.
#[async_trait]
pub trait TokenSink: Send + Sync {
    async fn tokens_refreshed(&self, tokens: &Tokens) -> Result<(), String>;
    async fn stopped(&self, reason: &StopReason) -> Result<(), String>;
}

/// When to refresh and how hard to retry.
#[derive(Debug, Clone, Copy)]
pub struct RefreshPolicy {
    /// Refresh when the access token expires within this many seconds.
    pub margin_secs: i64,
    /// Further attempts with the same refresh token after a refresh got no answer: the provider
    /// answers a repeated refresh within its grace window, so the consent is not lost.
    pub retries: u32,
    pub retry_delay: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy { margin_secs: 3600, retries: 3, retry_delay: Duration::from_millis(500) }
    }
}

/// Where the consent's tokens are refreshed.
#[derive(Debug, Clone)]
pub struct TokenEndpoint {
    pub base_url: String,
    /// The provider's org_code.
    pub org_code: String,
    pub credentials: Credentials,
}

#[derive(Debug)]
enum State {
    Live(Tokens),
    Stopped(StopReason),
}

/// One consent's tokens. Safe to share between tasks: refreshes are serialized.
pub struct TokenManager {
    client: Client,
    endpoint: TokenEndpoint,
    policy: RefreshPolicy,
    sink: Arc<dyn TokenSink>,
    state: Mutex<State>,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl TokenManager {
    pub fn new(
        client: Client,
        endpoint: TokenEndpoint,
        tokens: Tokens,
        policy: RefreshPolicy,
        sink: Arc<dyn TokenSink>,
    ) -> TokenManager {
        TokenManager { client, endpoint, policy, sink, state: Mutex::new(State::Live(tokens)) }
    }

    /// The current tokens, or why there are none.
    pub async fn tokens(&self) -> Result<Tokens, StopReason> {
        match &*self.state.lock().await {
            State::Live(tokens) => Ok(tokens.clone()),
            State::Stopped(reason) => Err(reason.clone()),
        }
    }

    /// An access token valid for at least the policy's margin, refreshing first if needed.
    pub async fn access_token(&self) -> Result<String, TokenError> {
        let mut state = self.state.lock().await;
        match &*state {
            State::Stopped(reason) => Err(TokenError::Stopped(reason.clone())),
            State::Live(tokens) if tokens.access_expires_at > now() + self.policy.margin_secs => {
                Ok(tokens.access_token.clone())
            }
            State::Live(_) => self.refresh_locked(&mut state).await,
        }
    }

    /// Reacts to an information API's rejection of `used_token`: 40106 stops collection; 40101 is
    /// answered by one refresh (the access token may have been replaced or expired early), and a
    /// refused refresh then stops collection. Returns the token to retry with.
    pub async fn rejected(&self, used_token: &str, error: &ClientError) -> Result<String, TokenError> {
        let mut state = self.state.lock().await;
        let current = match &*state {
            State::Stopped(reason) => return Err(TokenError::Stopped(reason.clone())),
            State::Live(tokens) => tokens.access_token.clone(),
        };
        match error.rsp_code() {
            Some(RspCode::ConsentEnded) => Err(self.stop(&mut state, StopReason::ConsentEnded).await),
            // Another task already refreshed since this token was used.
            Some(RspCode::InvalidToken) if current != used_token => Ok(current),
            Some(RspCode::InvalidToken) => self.refresh_locked(&mut state).await,
            _ => Ok(current),
        }
    }

    /// The customer withdrew: revoke at the provider (개별인증-004) and stop.
    pub async fn revoke(&self) -> Result<(), TokenError> {
        let mut state = self.state.lock().await;
        if let State::Live(tokens) = &*state {
            let e = &self.endpoint;
            self.client
                .revoke(&e.base_url, &e.org_code, &e.credentials, &tokens.access_token)
                .await
                .map_err(TokenError::Refresh)?;
            self.stop(&mut state, StopReason::Revoked { detail: "withdrawn by the customer".into() }).await;
        }
        Ok(())
    }

    async fn stop(&self, state: &mut State, reason: StopReason) -> TokenError {
        tracing::info!(org_code = %self.endpoint.org_code, reason = %reason, "collection stopped for a consent");
        if let Err(e) = self.sink.stopped(&reason).await {
            return TokenError::Sink(e);
        }
        *state = State::Stopped(reason.clone());
        TokenError::Stopped(reason)
    }

    async fn refresh_locked(&self, state: &mut State) -> Result<String, TokenError> {
        let State::Live(tokens) = &*state else { unreachable!("callers hold a live state") };
        let tokens = tokens.clone();
        if tokens.refresh_expires_at <= now() {
            return Err(self.stop(state, StopReason::RefreshExpired).await);
        }
        let e = &self.endpoint;
        let mut attempt = 0;
        loop {
            match self.client.refresh(&e.base_url, &e.org_code, &e.credentials, &tokens.refresh_token).await {
                Ok(answer) => {
                    let renewed = tokens.renewed(&answer, now());
                    self.sink.tokens_refreshed(&renewed).await.map_err(TokenError::Sink)?;
                    let access = renewed.access_token.clone();
                    *state = State::Live(renewed);
                    return Ok(access);
                }
                Err(error) if error.is_transient() && attempt < self.policy.retries => {
                    attempt += 1;
                    tracing::warn!(org_code = %e.org_code, attempt, %error, "token refresh got no answer; retrying with the same refresh token");
                    tokio::time::sleep(self.policy.retry_delay * attempt).await;
                }
                Err(ClientError::OAuth { error, description, .. }) if error == "invalid_grant" => {
                    let detail = if description.is_empty() { error } else { format!("{error}: {description}") };
                    return Err(self.stop(state, StopReason::Revoked { detail }).await);
                }
                Err(error) => return Err(TokenError::Refresh(error)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StopReason;

    #[test]
    fn every_recorded_stop_reads_in_korean_by_its_code() {
        let revoked = StopReason::Revoked { detail: "withdrawn by the customer".into() };
        for reason in [revoked, StopReason::ConsentEnded, StopReason::RefreshExpired] {
            assert_eq!(StopReason::korean_of(reason.code()), Some(reason.korean()), "{reason}");
        }
        assert_eq!(StopReason::korean_of("no-such-stop"), None);
    }
}
