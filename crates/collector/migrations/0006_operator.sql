-- The MyData operator's own data (마이데이터사업자): the providers it collects from, each customer's
-- consent and tokens per provider, what it collected, and the journal that lets a collection resume.
-- Portable SQL as in 0001: BIGINT 0/1 booleans, BIGINT Unix seconds, JSON kept as TEXT.

-- Providers the operator collects from, with the service credentials it uses there.
CREATE TABLE op_providers (
    org_code TEXT PRIMARY KEY,
    industry TEXT NOT NULL,
    base_url TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One row per customer x provider: the consent's tokens (ch.2.2: one pair per consent) and, once
-- 공통-002 was read, its cycles and end date. `stop_reason` set means collection stopped for good.
CREATE TABLE op_links (
    customer_id TEXT NOT NULL,
    org_code TEXT NOT NULL,
    access_token TEXT NOT NULL,
    access_expires_at BIGINT NOT NULL,
    refresh_token TEXT NOT NULL,
    refresh_expires_at BIGINT NOT NULL,
    scope TEXT NOT NULL,
    is_scheduled BIGINT,
    fnd_cycle TEXT,
    add_cycle TEXT,
    end_date TEXT,
    -- Set by the first complete collection: later collections are scheduled (ch.3.3.1).
    first_collected_at BIGINT,
    stop_reason TEXT,
    stop_detail TEXT,
    stopped_at BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (customer_id, org_code)
);

-- Everything collected. One row per item: `item_key` is '' for a whole answer (detail APIs), the
-- asset key for asset lists, and a content hash (with an occurrence number) for history entries,
-- so that collecting the same data again overwrites instead of duplicating.
CREATE TABLE op_resources (
    customer_id TEXT NOT NULL,
    org_code TEXT NOT NULL,
    api_id TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    item_key TEXT NOT NULL,
    body TEXT NOT NULL,
    collected_at BIGINT NOT NULL,
    PRIMARY KEY (customer_id, org_code, api_id, subject_key, item_key)
);

-- Per resource: the search_timestamp last answered (ch.2.1) and the last day whose history is
-- complete, so that the next collection asks only for what may have changed.
CREATE TABLE op_cursors (
    customer_id TEXT NOT NULL,
    org_code TEXT NOT NULL,
    api_id TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    search_timestamp TEXT,
    collected_to TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (customer_id, org_code, api_id, subject_key)
);

-- Scheduled calls per resource and cycle window (ch.3.3.1: the allowance counts transmissions).
CREATE TABLE op_periodic_usage (
    customer_id TEXT NOT NULL,
    org_code TEXT NOT NULL,
    api_id TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    cycle_window TEXT NOT NULL,
    calls BIGINT NOT NULL,
    PRIMARY KEY (customer_id, org_code, api_id, subject_key, cycle_window)
);

-- Collection runs; a run without finished_at was interrupted and is resumed by the next one.
CREATE TABLE op_runs (
    run_id TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    summary TEXT
);

-- The journal of a run: one row per unit of work (one API about one subject), written in the same
-- transaction as the unit's data, so a resumed run skips exactly what was stored.
CREATE TABLE op_journal (
    run_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    org_code TEXT NOT NULL,
    api_id TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    -- done, skipped or failed; failed units are tried again when the run resumes.
    outcome TEXT NOT NULL,
    rsp_code TEXT,
    detail TEXT,
    calls BIGINT NOT NULL,
    rows_changed BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, customer_id, org_code, api_id, subject_key)
);
