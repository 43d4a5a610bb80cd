//! Every rule of ID token verification, with keys generated in the test (no network).

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use read_file::auth::token::TokenVerifier;
use read_file::error::ApiError;
use serde_json::json;
use support::jwt::{TestKey, id_claims, now, segment, tamper};

const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool";
/// The same pool's `UPDATED` issuer form; the app trusts both (`Config::issuers`).
const UPDATED_ISSUER: &str =
    "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool";
const CLIENT: &str = "client1";

type ClaimsEdit = Box<dyn Fn(&mut serde_json::Value)>;
type HeaderEdit = Box<dyn Fn(&mut Header)>;

fn verifier(key: &TestKey) -> TokenVerifier {
    TokenVerifier::with_keys(
        &[ISSUER.to_owned(), UPDATED_ISSUER.to_owned()],
        &[CLIENT.to_owned(), "client2".to_owned()],
        &key.jwks(),
    )
}

fn claims() -> serde_json::Value {
    id_claims(ISSUER, CLIENT, "sub-1", "alice")
}

#[tokio::test]
async fn either_issuer_form_of_the_pool_verifies_and_nothing_else() {
    let key = TestKey::generate("k1");
    let verifier = verifier(&key);
    for iss in [ISSUER, UPDATED_ISSUER] {
        let token = key.sign(&id_claims(iss, CLIENT, "sub-1", "alice"));
        assert_eq!(
            verifier.verify(&token).await.unwrap().sub(),
            "sub-1",
            "{iss}"
        );
    }
    for iss in [
        "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other",
        "https://issuer-cognito-idp.eu-west-2.amazonaws.com/eu-west-1_TestPool",
        "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool/",
        "http://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool",
    ] {
        let token = key.sign(&id_claims(iss, CLIENT, "sub-1", "alice"));
        let (code, message) = rejection(&verifier, &token).await;
        assert_eq!(code, "invalid_token", "{iss}: {message}");
    }
}

async fn rejection(verifier: &TokenVerifier, token: &str) -> (&'static str, String) {
    let err = verifier
        .verify(token)
        .await
        .expect_err("the token must be rejected");
    (err.code(), err.to_string())
}

#[tokio::test]
async fn a_valid_id_token_yields_its_verified_claims() {
    let key = TestKey::generate("k1");
    let verified = verifier(&key).verify(&key.sign(&claims())).await.unwrap();
    assert_eq!(verified.sub(), "sub-1");
    assert_eq!(verified.username(), "alice");
}

#[tokio::test]
async fn any_configured_client_is_an_accepted_audience() {
    let key = TestKey::generate("k1");
    let token = key.sign(&id_claims(ISSUER, "client2", "sub-2", "bob"));
    assert_eq!(
        verifier(&key).verify(&token).await.unwrap().username(),
        "bob"
    );
}

#[tokio::test]
async fn an_expired_token_is_reported_as_expired() {
    let key = TestKey::generate("k1");
    let mut c = claims();
    c["exp"] = json!(now() - 5);
    let (code, _) = rejection(&verifier(&key), &key.sign(&c)).await;
    assert_eq!(code, "expired_token");
}

#[tokio::test]
async fn a_token_is_expired_from_the_second_of_its_exp_on() {
    let key = TestKey::generate("k1");
    let mut c = claims();
    c["exp"] = json!(now());
    let (code, _) = rejection(&verifier(&key), &key.sign(&c)).await;
    assert_eq!(
        code, "expired_token",
        "exp == now is not accepted (no leeway)"
    );
}

#[tokio::test]
async fn a_token_is_valid_from_the_second_of_its_nbf_on() {
    let key = TestKey::generate("k1");
    let mut c = claims();
    c["nbf"] = json!(now());
    let verified = verifier(&key).verify(&key.sign(&c)).await;
    assert!(verified.is_ok(), "nbf == now is accepted: {verified:?}");
}

#[tokio::test]
async fn each_broken_claim_is_refused_with_its_reason() {
    let key = TestKey::generate("k1");
    let v = verifier(&key);
    let cases: Vec<(&str, ClaimsEdit)> = vec![
        (
            "wrong issuer",
            Box::new(|c| {
                c["iss"] = json!("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other")
            }),
        ),
        (
            "wrong audience",
            Box::new(|c| c["aud"] = json!("someone-else")),
        ),
        (
            "not an ID token",
            Box::new(|c| c["token_use"] = json!("access")),
        ),
        ("not valid yet", Box::new(|c| c["nbf"] = json!(now() + 600))),
        (
            "missing or malformed claims",
            Box::new(|c| {
                c.as_object_mut().unwrap().remove("exp");
            }),
        ),
        (
            "missing or malformed claims",
            Box::new(|c| {
                c.as_object_mut().unwrap().remove("sub");
            }),
        ),
        (
            "missing or malformed claims",
            Box::new(|c| {
                c.as_object_mut().unwrap().remove("cognito:username");
            }),
        ),
        (
            "missing or malformed claims",
            Box::new(|c| {
                c.as_object_mut().unwrap().remove("token_use");
            }),
        ),
        (
            "missing or malformed claims",
            Box::new(|c| c["exp"] = json!("tomorrow")),
        ),
    ];
    for (reason, edit) in cases {
        let mut c = claims();
        edit(&mut c);
        let (code, message) = rejection(&v, &key.sign(&c)).await;
        assert_eq!(code, "invalid_token", "{reason}");
        assert!(message.contains(reason), "{reason}: got {message}");
    }
}

#[tokio::test]
async fn a_signature_by_another_key_under_the_same_kid_is_refused() {
    let trusted = TestKey::generate("k1");
    let attacker = TestKey::generate("k1");
    let (code, message) = rejection(&verifier(&trusted), &attacker.sign(&claims())).await;
    assert_eq!(code, "invalid_token");
    assert!(message.contains("bad signature"), "{message}");
}

#[tokio::test]
async fn an_altered_payload_under_a_valid_signature_is_refused() {
    let key = TestKey::generate("k1");
    let token = tamper(&key.sign(&claims()), |c| {
        c["cognito:username"] = json!("admin")
    });
    let (code, message) = rejection(&verifier(&key), &token).await;
    assert_eq!(code, "invalid_token");
    assert!(message.contains("bad signature"), "{message}");
}

#[tokio::test]
async fn an_unknown_kid_is_refused_without_a_key_source() {
    let trusted = TestKey::generate("k1");
    let other = TestKey::generate("k2");
    let (code, message) = rejection(&verifier(&trusted), &other.sign(&claims())).await;
    assert_eq!(code, "invalid_token");
    assert!(message.contains("unknown signing key"), "{message}");
}

#[tokio::test]
async fn only_rs256_is_accepted() {
    let key = TestKey::generate("k1");
    let v = verifier(&key);
    // alg "none": a header and payload with an empty signature.
    let none = format!(
        "{}.{}.",
        segment(&json!({"alg": "none", "kid": "k1"})),
        segment(&claims())
    );
    assert_eq!(rejection(&v, &none).await.0, "invalid_token");
    // HS256 keyed with something public (the classic key-confusion attack).
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".into());
    let hs = jsonwebtoken::encode(
        &header,
        &claims(),
        &EncodingKey::from_secret(b"public").unwrap(),
    )
    .unwrap();
    let (code, message) = rejection(&v, &hs).await;
    assert_eq!(code, "invalid_token");
    assert!(message.contains("algorithm not allowed"), "{message}");
    // Another RSA algorithm with the right key is still not RS256.
    let mut header = Header::new(Algorithm::RS512);
    header.kid = Some("k1".into());
    let (code, _) = rejection(&v, &key.sign_with(header, &claims())).await;
    assert_eq!(code, "invalid_token");
}

#[tokio::test]
async fn headers_that_pick_keys_or_demand_extensions_are_refused() {
    let key = TestKey::generate("k1");
    let v = verifier(&key);
    let edits: Vec<HeaderEdit> = vec![
        Box::new(|h| h.jku = Some("https://evil.example/jwks.json".into())),
        Box::new(|h| h.x5u = Some("https://evil.example/cert.pem".into())),
        Box::new(|h| h.x5c = Some(vec!["MIIB".into()])),
        Box::new(|h| h.crit = Some(vec!["exp".into()])),
        Box::new(|h| h.kid = None),
        Box::new(|h| h.kid = Some(String::new())),
    ];
    for edit in edits {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("k1".into());
        edit(&mut header);
        let token = key.sign_with(header, &claims());
        assert_eq!(rejection(&v, &token).await.0, "invalid_token");
    }
}

#[tokio::test]
async fn shapes_that_are_not_a_signed_jwt_are_refused() {
    let key = TestKey::generate("k1");
    let v = verifier(&key);
    let valid = key.sign(&claims());
    let (head, rest) = valid.split_once('.').unwrap();
    let (payload, _signature) = rest.split_once('.').unwrap();
    let cases = [
        String::new(),
        "garbage".into(),
        format!("{head}.{payload}"),
        format!("{head}.{payload}."),
        valid[..valid.len() / 2].to_owned(),
        format!("{valid}.extra.parts"),
        format!(" {valid}"),
        format!("{valid} "),
        format!("Bearer {valid}"),
        format!("{head}.{payload}.!!notbase64!!"),
        format!("{}.{payload}.sig", segment(&json!("not an object"))),
        "e30.e30.e30".into(),
    ];
    for token in cases {
        let (code, _) = rejection(&v, &token).await;
        assert_eq!(code, "invalid_token", "{token:.40}");
    }
}

#[tokio::test]
async fn rejections_never_echo_the_token() {
    let key = TestKey::generate("k1");
    let mut c = claims();
    c["aud"] = json!("someone-else");
    let token = key.sign(&c);
    let err: ApiError = verifier(&key).verify(&token).await.unwrap_err();
    let signature = token.rsplit('.').next().unwrap();
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(signature), "{text}");
        assert!(!text.contains(&token[..20]), "{text}");
    }
}
