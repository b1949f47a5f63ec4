-- Information APIs: scheduled-call counters (ch.3.3.1) and indexes for bulk test data.

-- Scheduled (x-api-type: scheduled) transmissions per consent, API and subject within one cycle
-- window (e.g. the ISO week for `1/w`). One row per window; `calls` counts transmissions, not pages.
CREATE TABLE periodic_calls (
    consent_id TEXT NOT NULL,
    api_id TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    cycle_window TEXT NOT NULL,
    calls BIGINT NOT NULL,
    PRIMARY KEY (consent_id, api_id, subject_key, cycle_window)
);
