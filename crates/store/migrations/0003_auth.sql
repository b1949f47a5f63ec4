-- The authorization server (개별인증-001..004, 통합인증-002). Secrets handed to callers (session
-- handles, authorization codes) are stored only as SHA-256 digests, so a database leak does not
-- let anyone finish a customer's consent or redeem a code.

-- 개별인증-001 in progress: the validated request, waiting for the customer on the consent page.
CREATE TABLE auth_sessions (
    session_digest TEXT PRIMARY KEY,
    org_code TEXT NOT NULL,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    state TEXT NOT NULL,
    app_scheme TEXT NOT NULL,
    tran_id TEXT NOT NULL,
    user_ci TEXT NOT NULL,
    -- Set once the customer signs in; the browser that signed in holds the cookie digested here.
    customer_id TEXT,
    browser_digest TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    closed_at BIGINT
);

-- Authorization codes: single use, minutes long. pair_id names the tokens a redemption issued, so a
-- second redemption can revoke them (RFC 6749 4.1.2).
CREATE TABLE authorization_codes (
    code_digest TEXT PRIMARY KEY,
    consent_id TEXT NOT NULL REFERENCES consents (consent_id),
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    redeemed_at BIGINT,
    pair_id TEXT
);

-- Access tokens issued by refreshing: lets a retried refresh get the same answer.
CREATE TABLE refresh_grants (
    access_jti TEXT PRIMARY KEY,
    refresh_jti TEXT NOT NULL,
    issued_at BIGINT NOT NULL
);
CREATE INDEX refresh_grants_by_refresh ON refresh_grants (refresh_jti, issued_at);

-- Replay protection of 통합인증-002: every nonce (and CA transaction id) a CA's customer signed, once.
CREATE TABLE used_nonces (
    ca_code TEXT NOT NULL,
    nonce TEXT NOT NULL,
    used_at BIGINT NOT NULL,
    PRIMARY KEY (ca_code, nonce)
);
