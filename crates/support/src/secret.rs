//! Client secrets are kept only as hashes: `sha256$<hex>`.
//!
//! The secrets this system handles are issued by the portal as long random strings, so a fast hash
//! is safe against guessing (there is no dictionary to try); the `sha256$` prefix names the scheme so
//! that a store can later hold other schemes beside it.

use rand::Rng;
use rand::distributions::Alphanumeric;
use sha2::{Digest, Sha256};

const SCHEME: &str = "sha256$";

/// The stored form of a client secret.
pub fn hash_client_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{SCHEME}{hex}")
}

/// Whether `secret` matches `stored` (compared in constant time, so timing reveals nothing).
pub fn verify_client_secret(secret: &str, stored: &str) -> bool {
    if !stored.starts_with(SCHEME) {
        return false;
    }
    let computed = hash_client_secret(secret);
    computed.len() == stored.len() && computed.bytes().zip(stored.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// A fresh secret in the 지원-001/003 form (aN(50)): 40 letters and digits.
pub fn generate_secret() -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(40).map(char::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_verifies_against_its_hash_only() {
        let secret = generate_secret();
        assert_eq!(secret.len(), 40);
        let stored = hash_client_secret(&secret);
        assert!(stored.starts_with("sha256$"));
        assert!(verify_client_secret(&secret, &stored));
        assert!(!verify_client_secret("other", &stored));
        assert!(!verify_client_secret(&secret, &secret), "a plain secret is never a hash");
    }
}
