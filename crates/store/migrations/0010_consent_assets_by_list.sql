-- An asset is its list and its key (ch.2.1: each asset list is its own API): one institution may list
-- one number as two assets, an IRP and a bank account, and a consent to one is no consent to the
-- other. Existing consents keep every asset their keys named: a key the customer held in two lists
-- is carried over as both, which is what the consent granted before; a key no list holds any more
-- named nothing and is left out.
CREATE TABLE consent_assets_by_list (
    consent_id TEXT NOT NULL REFERENCES consents (consent_id),
    list_api TEXT NOT NULL,
    asset_key TEXT NOT NULL,
    PRIMARY KEY (consent_id, list_api, asset_key)
);
INSERT INTO consent_assets_by_list (consent_id, list_api, asset_key)
SELECT DISTINCT ca.consent_id, a.list_api, ca.asset_key
FROM consent_assets ca
JOIN consents c ON c.consent_id = ca.consent_id
JOIN assets a ON a.org_code = c.org_code AND a.customer_id = c.customer_id AND a.asset_key = ca.asset_key;
DROP TABLE consent_assets;
ALTER TABLE consent_assets_by_list RENAME TO consent_assets;
