//! What can go wrong calling another institution, classified the way an operator must react to it.

use mydata_spec::RspCode;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The provider answered with a 첨부1 error code (`rsp_code` in the body).
    #[error("{api} answered HTTP {status} rsp_code {rsp_code}: {rsp_msg}")]
    Api { api: &'static str, status: u16, rsp_code: String, rsp_msg: String },
    /// A token endpoint answered with an RFC 6749/7009 error.
    #[error("{api} answered HTTP {status} {error}: {description}")]
    OAuth { api: &'static str, status: u16, error: String, description: String },
    /// No answer: connection refused, reset, timed out. The request may or may not have been processed.
    #[error("{api}: no answer ({source})")]
    Transport {
        api: &'static str,
        #[source]
        source: reqwest::Error,
    },
    /// An answer that is not what the standard describes (not JSON, no rsp_code, …).
    #[error("{api}: malformed answer: {problem}")]
    Malformed { api: &'static str, problem: String },
    /// The provider sent a `next_page` it had already sent for this query: following it would loop.
    #[error("{api}: next_page {cursor:?} repeats an earlier page; paging stopped")]
    RepeatingCursor { api: &'static str, cursor: String },
    /// More pages than the configured cap: a provider that never ends its list.
    #[error("{api}: more than {cap} pages; paging stopped")]
    PageCap { api: &'static str, cap: u32 },
    /// The request cannot be built (a path parameter missing, an API the industry does not serve).
    #[error("{api}: {problem}")]
    Request { api: &'static str, problem: String },
}

impl ClientError {
    /// The 첨부1 code when the provider sent one.
    pub fn rsp_code(&self) -> Option<RspCode> {
        match self {
            ClientError::Api { rsp_code, .. } => RspCode::from_code(rsp_code),
            _ => None,
        }
    }

    /// A short label for summaries and failure records: the rsp_code, the OAuth error, or the kind.
    pub fn code_label(&self) -> String {
        match self {
            ClientError::Api { rsp_code, .. } => rsp_code.clone(),
            ClientError::OAuth { error, .. } => error.clone(),
            ClientError::Transport { .. } => "transport".into(),
            ClientError::Malformed { .. } => "malformed".into(),
            ClientError::RepeatingCursor { .. } => "repeating-cursor".into(),
            ClientError::PageCap { .. } => "page-cap".into(),
            ClientError::Request { .. } => "request".into(),
        }
    }

    /// Whether calling again later may succeed (ch.3.3.2 allows re-calling until the first success).
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Transport { .. } => true,
            ClientError::Api { status, rsp_code, .. } => *status >= 500 || rsp_code == RspCode::LimitExceeded.code(),
            ClientError::OAuth { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

pub type ClientResult<T> = Result<T, ClientError>;
