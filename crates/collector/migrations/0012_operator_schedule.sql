-- The long-running operator's schedule (issue 21): one row per consent (customer x provider) and
-- cycle window, due at its own moment of the window, leased by one process at a time. A row with
-- done_at is never collected again in its window; a lease that expired (its process died) is taken
-- over by another process, which resumes from the journal (run_id = the row's key).
CREATE TABLE op_schedule (
    customer_id TEXT NOT NULL,
    org_code TEXT NOT NULL,
    -- 'first@<consented_at>' for a consent's first collection, else the cycle window ('W20261206').
    cycle_window TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    leased_by TEXT,
    lease_until BIGINT,
    attempts BIGINT NOT NULL,
    done_at BIGINT,
    PRIMARY KEY (customer_id, org_code, cycle_window)
);
CREATE INDEX op_schedule_due ON op_schedule (due_at) WHERE done_at IS NULL;
