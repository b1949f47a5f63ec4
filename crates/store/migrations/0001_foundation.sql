-- Foundation schema. Portable SQL: it runs unchanged on SQLite and PostgreSQL.
-- Booleans are BIGINT 0/1 and times are BIGINT Unix seconds, so both drivers decode them alike.

-- Institutions known to this server (the portal's registry, or a local seed).
CREATE TABLE orgs (
    org_code TEXT PRIMARY KEY,
    org_name TEXT NOT NULL,
    industry TEXT NOT NULL,
    org_type TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- OAuth clients (MyData services) allowed to call this server.
CREATE TABLE clients (
    client_id TEXT PRIMARY KEY,
    client_secret_hash TEXT NOT NULL,
    org_code TEXT NOT NULL,
    client_name TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Data subjects of a provider institution.
CREATE TABLE customers (
    org_code TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    ci TEXT NOT NULL,
    customer_name TEXT NOT NULL,
    reg_date TEXT NOT NULL,
    PRIMARY KEY (org_code, customer_id),
    UNIQUE (org_code, ci)
);

-- Transmission requests (전송요구).
CREATE TABLE consents (
    consent_id TEXT PRIMARY KEY,
    org_code TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    is_scheduled BIGINT NOT NULL,
    fnd_cycle TEXT,
    add_cycle TEXT,
    end_date TEXT NOT NULL,
    purpose TEXT NOT NULL,
    period TEXT NOT NULL,
    consent_trans_memo BIGINT NOT NULL,
    consent_merchant_name_regno BIGINT NOT NULL,
    consent_trans_category BIGINT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX consents_by_customer ON consents (org_code, customer_id, client_id);

CREATE TABLE consent_assets (
    consent_id TEXT NOT NULL REFERENCES consents (consent_id),
    asset_key TEXT NOT NULL,
    PRIMARY KEY (consent_id, asset_key)
);

-- Asset lists (은행-001, 카드-001, …): one row per asset, in the list API's order.
CREATE TABLE assets (
    org_code TEXT NOT NULL,
    list_api TEXT NOT NULL,
    asset_key TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    item TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_code, list_api, asset_key)
);
CREATE INDEX assets_by_customer ON assets (org_code, customer_id, list_api, sort_key);

-- One answer body per (API, subject): detail APIs by asset, customer-level APIs by customer id.
CREATE TABLE documents (
    org_code TEXT NOT NULL,
    api_id TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_code, api_id, subject_key)
);

-- Dated histories (transactions, approvals, bills): keyset-paged by sort_key, newest first.
CREATE TABLE history (
    org_code TEXT NOT NULL,
    api_id TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    occurred TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (org_code, api_id, subject_key, sort_key)
);
