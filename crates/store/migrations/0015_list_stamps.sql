-- An asset list's own change stamp (issue 20). A list's stamp is its newest asset's, but an import
-- that takes assets out of a list — or empties it — leaves no asset to carry the change; the list
-- then gets a row here, and the list's stamp is the later of the two.
CREATE TABLE list_stamps (
    org_code TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    list_api TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (org_code, customer_id, list_api)
);
