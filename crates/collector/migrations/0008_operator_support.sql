-- The support APIs' view of consents: the operator answers the portal's 지원-103 (a customer's live
-- consents, found by CI) and the provider reports 지원-005's consent counts (consent_new,
-- consent_revoke, consent_own). Portable SQL as in 0001: BIGINT Unix seconds, no engine-only types.

-- Operator: each customer's CI (연계정보), the identifier the portal asks 지원-103 with.
CREATE TABLE op_customers (
    customer_id TEXT PRIMARY KEY,
    ci TEXT NOT NULL UNIQUE,
    updated_at BIGINT NOT NULL
);

-- Operator: when the customer gave the consent a link holds (지원-103 consent_date). Its scope is the
-- tokens' `scope`, its end date 공통-002's `end_date` and its revocation `stopped_at` with
-- `stop_reason` 'revoked', all in 0006. Links made before this column get their last change.
ALTER TABLE op_links ADD COLUMN consented_at BIGINT;
UPDATE op_links SET consented_at = updated_at;

-- Provider: when a consent stopped being valid before its end date, and why: 'withdrawn' when the
-- customer withdrew it (개별인증-004, 지원-005 consent_revoke), 'replaced' when a new consent of the
-- same customer to the same service took its place (counted as that one's consent_new instead).
ALTER TABLE consents ADD COLUMN revoked_at BIGINT;
ALTER TABLE consents ADD COLUMN revocation TEXT;
