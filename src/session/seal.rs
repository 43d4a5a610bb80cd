//! Keys sealed with the ID token that earned them.
//!
//! A token's slot is named by a hash of the token (`keys#<base64url(SHA-256(token))>`), never
//! the token. What it holds is encrypted with AES-256-GCM under a key derived by HKDF-SHA256 from
//! the token's signature: only a holder of that very token can derive it, and the token's
//! signature never leaves the request. The slot's full key (partition and sort key: the user's
//! `sub` and the token's hash) is the associated data, so an entry copied into another slot or
//! under another user fails to open. Whoever reads the table without the token learns the user's
//! `sub` and the keys' expiry, nothing usable.
//!
//! The crypto is aws-lc's (`aws-lc-rs`), the library the binary already links for TLS and the
//! token's RS256 signature.

use crate::auth::token::VerifiedIdToken;
use crate::identity::{IdentityId, ScopedCredentials};
use aws_credential_types::Credentials;
use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::{digest, hkdf};
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};

/// The format's version, the first byte of every sealed value.
const VERSION: u8 = 1;
/// HKDF's salt: fixed, so that the same token yields the same key in every environment.
const SALT: &[u8] = b"read-file/session-tier/sealed-keys";
/// HKDF's info: what the key is for.
const INFO: &[u8] = b"aes-256-gcm/v1";
/// A signature shorter than this cannot be a real RS256 signature (256 bytes for RSA-2048); no
/// key is derived from it.
const MIN_SIGNATURE_BYTES: usize = 64;

/// The sort key of a token's slot: a hash of the whole token.
pub fn slot(token: &VerifiedIdToken) -> String {
    let hash = digest::digest(&digest::SHA256, token.raw().expose().as_bytes());
    format!(
        "keys#{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hash.as_ref())
    )
}

/// What a slot holds once opened: the identity the keys belong to, and the keys.
#[derive(Debug, Clone)]
pub struct Session {
    /// The identity Cognito gave the keys for, with this very token.
    pub identity: IdentityId,
    /// The keys.
    pub credentials: ScopedCredentials,
}

/// The plaintext, serialized. Its `Debug` is never derived: it holds the secret key.
#[derive(Serialize, Deserialize)]
struct Plain {
    identity_id: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: u64,
}

/// The token's key; `None` if the token has no usable signature.
fn key(token: &VerifiedIdToken) -> Option<RandomizedNonceKey> {
    let signature = token.signature();
    if signature.len() < MIN_SIGNATURE_BYTES {
        return None;
    }
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, SALT).extract(&signature);
    let mut bytes = [0u8; 32];
    prk.expand(&[INFO], &AES_256_GCM)
        .ok()?
        .fill(&mut bytes)
        .ok()?;
    RandomizedNonceKey::new(&AES_256_GCM, &bytes).ok()
}

/// `session` sealed for `token`, bound to `slot_key` (the slot's partition and sort key).
pub fn seal(token: &VerifiedIdToken, slot_key: &[u8], session: &Session) -> Option<Vec<u8>> {
    let creds = &session.credentials.credentials;
    let plain = Plain {
        identity_id: session.identity.as_str().to_owned(),
        access_key_id: creds.access_key_id().to_owned(),
        secret_access_key: creds.secret_access_key().to_owned(),
        session_token: creds.session_token()?.to_owned(),
        expiration: session
            .credentials
            .expires_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .ok()?
            .as_secs(),
    };
    let mut data = serde_json::to_vec(&plain).ok()?;
    let nonce = key(token)?
        .seal_in_place_append_tag(Aad::from(slot_key), &mut data)
        .ok()?;
    let mut sealed = Vec::with_capacity(1 + NONCE_LEN + data.len());
    sealed.push(VERSION);
    sealed.extend_from_slice(nonce.as_ref());
    sealed.extend_from_slice(&data);
    Some(sealed)
}

/// The session sealed in `sealed` for `token` at `slot_key`; `None` if it does not open (another
/// token, another slot, tampered, or not a sealed value at all).
pub fn open(token: &VerifiedIdToken, slot_key: &[u8], sealed: &[u8]) -> Option<Session> {
    let (&version, rest) = sealed.split_first()?;
    if version != VERSION || rest.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut data = ciphertext.to_vec();
    let plain = key(token)?
        .open_in_place(nonce, Aad::from(slot_key), &mut data)
        .ok()?;
    let plain: Plain = serde_json::from_slice(plain).ok()?;
    let expires_at = SystemTime::UNIX_EPOCH + Duration::from_secs(plain.expiration);
    Some(Session {
        identity: IdentityId::from_table(&plain.identity_id)?,
        credentials: ScopedCredentials {
            credentials: Credentials::new(
                plain.access_key_id,
                plain.secret_access_key,
                Some(plain.session_token),
                Some(expires_at),
                "session-table",
            ),
            expires_at,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token-shaped string whose signature is `fill` repeated (256 bytes, as RS256's).
    fn token(sub: &str, fill: u8) -> VerifiedIdToken {
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([fill; 256]);
        VerifiedIdToken::for_tests(
            sub,
            &format!("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.{signature}"),
        )
    }

    fn session() -> Session {
        let expires_at = SystemTime::now() + Duration::from_secs(3600);
        Session {
            identity: IdentityId::for_tests("us-east-1:00000001-0000-4000-8000-000000000000"),
            credentials: ScopedCredentials {
                credentials: Credentials::new(
                    "ASIAEXAMPLE",
                    "secret-key-value",
                    Some("session-token-value".into()),
                    Some(expires_at),
                    "test",
                ),
                expires_at,
            },
        }
    }

    #[test]
    fn only_the_same_token_at_the_same_slot_opens_what_was_sealed() {
        let alice = token("alice", 7);
        // One session: two would straddle a second boundary now and then.
        let session = session();
        let sealed = seal(&alice, b"user#alice/keys#a", &session).expect("sealed");
        let opened = open(&alice, b"user#alice/keys#a", &sealed).expect("opens");
        assert_eq!(opened.identity, session.identity);
        assert_eq!(
            opened.credentials.credentials.secret_access_key(),
            "secret-key-value"
        );
        assert_eq!(
            opened
                .credentials
                .expires_at
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            session
                .credentials
                .expires_at
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        );

        // Another token of the same user, the same token at another slot or user, a flipped bit.
        assert!(open(&token("alice", 8), b"user#alice/keys#a", &sealed).is_none());
        assert!(open(&alice, b"user#alice/keys#b", &sealed).is_none());
        assert!(open(&alice, b"user#bob/keys#a", &sealed).is_none());
        for i in [0, 1, 13, sealed.len() - 1] {
            let mut tampered = sealed.clone();
            tampered[i] ^= 1;
            assert!(
                open(&alice, b"user#alice/keys#a", &tampered).is_none(),
                "byte {i}"
            );
        }
        assert!(open(&alice, b"user#alice/keys#a", &[]).is_none());
    }

    #[test]
    fn nothing_secret_is_readable_in_a_sealed_value_and_each_seal_differs() {
        let alice = token("alice", 7);
        let one = seal(&alice, b"k", &session()).unwrap();
        let two = seal(&alice, b"k", &session()).unwrap();
        assert_ne!(one, two, "a fresh nonce each time");
        let text = String::from_utf8_lossy(&one);
        for secret in [
            "ASIAEXAMPLE",
            "secret-key-value",
            "session-token-value",
            "us-east-1:",
        ] {
            assert!(!text.contains(secret), "{secret} in the clear");
        }
    }

    #[test]
    fn a_token_without_a_real_signature_seals_nothing() {
        let bare = VerifiedIdToken::for_tests("alice", "a.b.c");
        assert!(seal(&bare, b"k", &session()).is_none());
    }

    #[test]
    fn slots_are_named_by_a_hash_of_the_token_not_the_token() {
        let alice = token("alice", 7);
        let slot = slot(&alice);
        assert!(slot.starts_with("keys#") && slot.len() == 5 + 43, "{slot}");
        assert!(!slot.contains(alice.raw().expose()));
        assert_ne!(slot, super::slot(&token("alice", 8)));
    }
}
