//! Signing test tokens: keys generated in the test, or the local stack's own pool key.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::JwkSet};
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

/// An RSA signing key with its `kid`.
pub struct TestKey {
    pub kid: String,
    encoding: EncodingKey,
    jwk: Option<Value>,
}

impl TestKey {
    /// A fresh 2048-bit RSA key, generated now.
    pub fn generate(kid: &str) -> Self {
        use aws_lc_rs::encoding::AsDer;
        use aws_lc_rs::signature::KeyPair as _;
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .expect("generate an RSA key");
        let der = pair.as_der().expect("PKCS#8 encoding");
        let pem = pem("PRIVATE KEY", der.as_ref());
        let public = pair.public_key();
        let jwk = json!({
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
            "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
        });
        TestKey {
            kid: kid.to_owned(),
            encoding: EncodingKey::from_rsa_pem(pem.as_bytes()).expect("PEM key"),
            jwk: Some(jwk),
        }
    }

    /// A key read from a PEM file (the local stack's pool key).
    pub fn from_pem_file(path: &str, kid: &str) -> Self {
        let pem = std::fs::read(path).unwrap_or_else(|e| panic!("read signing key {path}: {e}"));
        TestKey {
            kid: kid.to_owned(),
            encoding: EncodingKey::from_rsa_pem(&pem).expect("PEM key"),
            jwk: None,
        }
    }

    /// A JWKS holding this key's public half.
    pub fn jwks(&self) -> JwkSet {
        serde_json::from_value(json!({ "keys": [self.jwk.clone().expect("generated key")] }))
            .expect("JWKS")
    }

    /// Signs `claims` with RS256 and this key's `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        self.sign_with(header, claims)
    }

    /// Signs `claims` under a custom header (for hostile headers).
    pub fn sign_with(&self, header: Header, claims: &Value) -> String {
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("sign")
    }
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// The claims of a Cognito ID token valid for an hour.
pub fn id_claims(issuer: &str, client_id: &str, sub: &str, username: &str) -> Value {
    let now = now();
    json!({
        "sub": sub,
        "aud": client_id,
        "iss": issuer,
        "token_use": "id",
        "cognito:username": username,
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
    })
}

/// Encodes a JSON value as an unpadded base64url JWT segment.
pub fn segment(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Rewrites the payload of `token` without re-signing it.
pub fn tamper(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("base64")).expect("JSON");
    edit(&mut payload);
    format!("{}.{}.{}", parts[0], segment(&payload), parts[2])
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}
