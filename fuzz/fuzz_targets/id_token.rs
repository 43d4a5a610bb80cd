//! Fuzzes what an attacker controls first: the `idToken` header values, then the token they carry,
//! through the handler's header extraction and the full verifier (with a fixed key, no network).
//!
//! Input: the first byte picks the mode.
//! - even: raw header values, separated by `\n` (a byte no header value can hold);
//! - odd: a JWT built from parts: two big-endian u16 lengths, then header JSON, payload JSON and
//!   signature bytes, each base64url-encoded here, so mutations explore the JSON inside.

#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use lambda_http::http::{HeaderValue, Request};
use lambda_http::{Body, Request as LambdaRequest};
use libfuzzer_sys::fuzz_target;
use read_file::auth::token::{MAX_TOKEN_BYTES, TokenVerifier};
use read_file::auth::id_token;
use std::sync::OnceLock;

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_fuzz";
const CLIENT: &str = "fuzzclient";
/// The local stack's public signing key (moto's, `kid` "dummy"); the seeds are signed with it.
const JWKS: &str = include_str!("../jwks.json");
const NAMES: [&str; 4] = ["idToken", "idtoken", "IDTOKEN", "IdToken"];

struct Fixture {
    runtime: tokio::runtime::Runtime,
    verifier: TokenVerifier,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let keys: JwkSet = serde_json::from_str(JWKS).expect("JWKS");
        Fixture {
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime"),
            verifier: TokenVerifier::with_keys(ISSUER, &[CLIENT.to_owned()], &keys),
        }
    })
}

fn request(values: &[Vec<u8>]) -> LambdaRequest {
    let mut req = Request::builder()
        .uri("/read-file")
        .body(Body::Empty)
        .expect("request");
    for (i, value) in values.iter().enumerate() {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            req.headers_mut().append(NAMES[i % NAMES.len()], value);
        }
    }
    req
}

fn from_parts(data: &[u8]) -> Vec<u8> {
    let len = |at: usize| {
        data.get(at..at + 2)
            .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]) as usize)
    };
    let (header_len, payload_len) = (len(0), len(2));
    let rest = data.get(4..).unwrap_or_default();
    let (header, rest) = rest.split_at(header_len.min(rest.len()));
    let (payload, signature) = rest.split_at(payload_len.min(rest.len()));
    [header, payload, signature]
        .map(|part| URL_SAFE_NO_PAD.encode(part))
        .join(".")
        .into_bytes()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let values: Vec<Vec<u8>> = if mode % 2 == 0 {
        rest.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
    } else {
        vec![from_parts(rest)]
    };
    let req = request(&values);
    let headers = req.headers().get_all("idtoken").iter().count();

    let token = match id_token(&req) {
        Ok(token) => token,
        Err(err) => {
            assert!(err.status().is_client_error(), "{err:?}");
            assert!(
                matches!(
                    err.code(),
                    "missing_token" | "multiple_tokens" | "token_too_large" | "invalid_token"
                ),
                "{err:?}"
            );
            return;
        }
    };
    assert_eq!(headers, 1, "one header, or a refusal");
    assert!(!token.is_empty() && token.len() <= MAX_TOKEN_BYTES);
    assert!(!token.contains(','));

    let fixture = fixture();
    match fixture.runtime.block_on(fixture.verifier.verify(token)) {
        Ok(verified) => {
            assert!(!verified.sub().is_empty() && !verified.username().is_empty());
        }
        Err(err) => {
            let code = err.code();
            // A refetch for an unknown kid (at most every 10 s) has no URL here and fails.
            let fetch = matches!(code, "upstream_error" | "upstream_unavailable");
            assert!(
                matches!(code, "invalid_token" | "expired_token") || fetch,
                "{err:?}"
            );
            // No echo check on the message: its reasons are `&'static str` by type, and a token
            // may well be a piece of a fixed message (the fuzzer found one at once).
        }
    }
});
