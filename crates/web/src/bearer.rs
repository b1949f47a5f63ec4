//! The bearer secret of an API only the deployment's own systems call (the ingestion API, the
//! operator's read API): `Authorization: Bearer <secret>`, the secret given by configuration.

use axum::http::{HeaderMap, header};

/// Whether `headers` present `secret` as `Authorization: Bearer <secret>`. Every byte is compared
/// whatever the first difference, so that the time taken says nothing of the secret.
pub fn presents_secret(headers: &HeaderMap, secret: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    given.is_some_and(|given| {
        given.len() == secret.len() && given.bytes().zip(secret.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(authorization: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn only_the_secret_itself_as_a_bearer_passes() {
        const SECRET: &str = "admin-secret-0123456789";
        assert!(presents_secret(&with(Some("Bearer admin-secret-0123456789")), SECRET));
        for refused in [
            None,
            Some("Bearer admin-secret-012345678"),
            Some("Bearer admin-secret-01234567890"),
            Some("Bearer admin-secret-0123456788"),
            Some("bearer admin-secret-0123456789"),
            Some("Basic YWRtaW46eA=="),
            Some("admin-secret-0123456789"),
        ] {
            assert!(!presents_secret(&with(refused), SECRET), "{refused:?}");
        }
    }
}
