-- 통합인증-002: the certification authorities (통합인증기관) whose certificates this provider trusts,
-- by their org code (ca_code). The certificate is DER, Base64.
CREATE TABLE certificate_authorities (
    ca_code TEXT PRIMARY KEY,
    certificate TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
