-- 지원-003's app_scheme_list of each MyData service, as JSON text: 개별인증-001's app_scheme must be one
-- of them (ch.3 ③). NULL for a client registered locally (`mydata serve --client`), of which no
-- registry says anything.
ALTER TABLE clients ADD COLUMN app_schemes TEXT;
-- The services pulled before were stored without their app schemes, and an incremental pull names
-- only what changed: the next registry refresh pulls every service again (the sync's 지원-003
-- search_timestamp, support::sync SERVICES_TIMESTAMP, starts from 0).
DELETE FROM support_settings WHERE name = 'registry-services-search-timestamp';
