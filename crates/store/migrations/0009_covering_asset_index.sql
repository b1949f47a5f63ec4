-- An asset list's change stamp (MAX(updated_at) of the customer's list, read with every list call)
-- comes from the index alone once the index carries updated_at: no lookup of each asset's row.
DROP INDEX assets_by_customer;
CREATE INDEX assets_by_customer ON assets (org_code, customer_id, list_api, sort_key, updated_at);
