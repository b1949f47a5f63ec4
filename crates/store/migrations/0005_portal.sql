-- The integrated portal (종합포털) and the participants' side of the support APIs (지원-001..006, 101..104).
-- Portable SQL as in 0001: BIGINT 0/1 booleans, BIGINT Unix seconds, JSON kept as TEXT.

-- Portal: registered institutions. `body` holds the institution's 지원-002/006 fields as the wire has
-- them (strings), without op_type, which is derived from created_at/updated_at/deleted_at per request.
CREATE TABLE portal_orgs (
    org_code TEXT PRIMARY KEY,
    org_type TEXT NOT NULL,
    body TEXT NOT NULL,
    -- The "지원API 호출용 자격증명" the portal issued to this institution (지원-001).
    support_client_id TEXT UNIQUE,
    support_secret_hash TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX portal_orgs_by_change ON portal_orgs (updated_at);

-- Portal: MyData services of operators (지원-003), one per client_id.
CREATE TABLE portal_services (
    client_id TEXT PRIMARY KEY,
    org_code TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX portal_services_by_change ON portal_services (updated_at);

-- Portal: statistics received by 지원-004 (per client_id) and 지원-005 (per provider org_code).
-- A resend (after 지원-104) replaces the earlier report of the same key.
CREATE TABLE portal_statistics (
    api_id TEXT NOT NULL,
    sender_org_code TEXT NOT NULL,
    subject TEXT NOT NULL,
    stat_type TEXT NOT NULL,
    inquiry_date TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (api_id, sender_org_code, subject, stat_type, inquiry_date)
);

-- Participants: API calls answered (provider) or made (operator), aggregated per day and 첨부11 slot.
-- Sums, not averages, so that batches from several instances add up exactly.
CREATE TABLE api_call_stats (
    org_code TEXT NOT NULL,
    client_id TEXT NOT NULL,
    api_code TEXT NOT NULL,
    stat_type TEXT NOT NULL,
    stat_date TEXT NOT NULL,
    tm_slot TEXT NOT NULL,
    success_cnt BIGINT NOT NULL,
    fail_cnt BIGINT NOT NULL,
    rsp_total_ms BIGINT NOT NULL,
    rsp_square_total BIGINT NOT NULL,
    PRIMARY KEY (org_code, client_id, api_code, stat_type, stat_date, tm_slot)
);

-- Participants: the portal's registry as last received (지원-002), with each institution's fields.
CREATE TABLE registry_orgs (
    org_code TEXT PRIMARY KEY,
    org_type TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Small named values: support-token signing secrets, registry search_timestamps.
CREATE TABLE support_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
