-- The periodic allowance is per customer and asset (ch.3.3.1 "고객별/자산별"), for each operator's
-- service, not per consent: a consent changed or given again does not start it afresh. Windows are
-- now Sunday-to-Saturday weeks (`2026-11-29w`), days and months; the counts of the ISO-week windows
-- before are not carried over (they name windows no call falls in any more).
DROP TABLE periodic_calls;
CREATE TABLE periodic_transmissions (
    org_code TEXT NOT NULL,
    client_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    api_id TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    cycle_window TEXT NOT NULL,
    -- Transmissions delivered with 00000 in the window (the pages of one count once).
    calls BIGINT NOT NULL,
    PRIMARY KEY (org_code, client_id, customer_id, api_id, subject_key, cycle_window)
);
