//! The caller's identity and keys in the shared table, for [`crate::auth::Keys`]: each token's
//! sealed keys (GetCredentialsForIdentity once per token for the account) and each user's
//! IdentityId (GetId once per user for the account).
//!
//! A slot that opens with the request's token says that Cognito matched this very token to the
//! identity in it (the keys were sealed only after GetCredentialsForIdentity accepted the pair),
//! so it confirms an attested signer as an exchange would.

use super::seal::{self, Session};
use super::{Item, SessionTable, TTL_ATTRIBUTE, Unavailable, n, now_ms, number, string};
use crate::auth::token::VerifiedIdToken;
use crate::identity::{IdentityId, ScopedCredentials};
use crate::metrics::op;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The sort key of a user's IdentityId.
pub const IDENTITY: &str = "identity";
/// How long a stored IdentityId lives (an identity changes only if it is deleted; then Cognito
/// refuses it and GetId is asked again, which overwrites it).
const IDENTITY_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// The attribute holding a sealed session.
const SEALED: &str = "sealed";

/// Sealed sessions and IdentityIds in the table.
pub struct SharedKeys {
    table: Arc<SessionTable>,
    /// Keys with less than this left are not handed out (`CREDENTIALS_REFRESH_MARGIN_SECONDS`).
    margin: Duration,
}

impl SharedKeys {
    /// Sessions in `table`, handed out while their keys have more than `margin` left.
    pub fn new(table: Arc<SessionTable>, margin: Duration) -> Self {
        SharedKeys { table, margin }
    }

    /// The token's session, if one was stored and its keys still have more than the margin left.
    pub async fn session(&self, token: &VerifiedIdToken) -> Option<Session> {
        let slot = seal::slot(token);
        let read = self.table.client().get_item().table_name(self.table.name());
        let read = read.set_key(Some(SessionTable::key(token.sub(), &slot)));
        let item = self
            .table
            .call(op::TABLE_GET, read.send())
            .await
            .ok()?
            .ok()?;
        self.open(token, &slot, item.item.as_ref()?)
    }

    /// The token's session and the user's stored IdentityId, in one round trip.
    pub async fn session_and_identity(
        &self,
        token: &VerifiedIdToken,
    ) -> (Option<Session>, Option<IdentityId>) {
        let slot = seal::slot(token);
        let keys = KeysAndAttributes::builder()
            .keys(SessionTable::key(token.sub(), &slot))
            .keys(SessionTable::key(token.sub(), IDENTITY))
            .build();
        let Ok(keys) = keys else {
            return (None, None);
        };
        let read = self.table.client().batch_get_item();
        let read = read.request_items(self.table.name(), keys);
        let Ok(Ok(out)) = self.table.call(op::TABLE_BATCH_GET, read.send()).await else {
            return (None, None);
        };
        let items = out
            .responses
            .and_then(|mut r| r.remove(self.table.name()))
            .unwrap_or_default();
        let find = |sk: &str| {
            items
                .iter()
                .find(|item| string(item, super::SORT_KEY) == Some(sk))
        };
        let session = find(&slot).and_then(|item| self.open(token, &slot, item));
        let identity =
            find(IDENTITY).and_then(|item| stored_identity(&self.table, token.sub(), item));
        (session, identity)
    }

    /// Stores the keys Cognito just gave `identity` for `token`, sealed with the token.
    pub async fn store_session(
        &self,
        token: &VerifiedIdToken,
        identity: &IdentityId,
        credentials: &ScopedCredentials,
    ) {
        let slot = seal::slot(token);
        let session = Session {
            identity: identity.clone(),
            credentials: credentials.clone(),
        };
        let Some(sealed) = seal::seal(token, &slot_key(token.sub(), &slot), &session) else {
            return;
        };
        let expires = credentials
            .expires_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut item = SessionTable::key(token.sub(), &slot);
        item.insert(SEALED.to_owned(), AttributeValue::B(Blob::new(sealed)));
        item.insert(TTL_ATTRIBUTE.to_owned(), n(expires));
        self.put(item).await;
    }

    /// Stores the IdentityId GetId just answered for the user `sub`.
    pub async fn store_identity(&self, sub: &str, identity: &IdentityId) {
        let mut item = SessionTable::key(sub, IDENTITY);
        item.insert(
            "identity_id".to_owned(),
            AttributeValue::S(identity.to_string()),
        );
        item.insert("sub".to_owned(), AttributeValue::S(sub.to_owned()));
        let expires = (now_ms() + IDENTITY_TTL.as_millis() as u64) / 1000;
        item.insert(TTL_ATTRIBUTE.to_owned(), n(expires));
        self.put(item).await;
    }

    async fn put(&self, item: Item) {
        let write = self.table.client().put_item().table_name(self.table.name());
        let write = write.set_item(Some(item));
        let _: Result<_, Unavailable> = self.table.call(op::TABLE_PUT, write.send()).await;
    }

    /// The session sealed in `item`, if it opens with `token` at its slot and its keys have more
    /// than the margin left.
    fn open(&self, token: &VerifiedIdToken, slot: &str, item: &Item) -> Option<Session> {
        let sealed = item.get(SEALED)?.as_b().ok()?;
        let Some(session) = seal::open(token, &slot_key(token.sub(), slot), sealed.as_ref()) else {
            self.table
                .unusable("sealed keys that do not open with the token");
            return None;
        };
        let left = session
            .credentials
            .expires_at
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        (left > self.margin).then_some(session)
    }
}

/// The IdentityId in `item` (a user's `identity` entry), if it is bound to `sub` and not
/// expired; an entry bound to another user is counted as unusable.
pub(crate) fn stored_identity(table: &SessionTable, sub: &str, item: &Item) -> Option<IdentityId> {
    if number(item, TTL_ATTRIBUTE).is_none_or(|at| at * 1000 <= now_ms()) {
        return None;
    }
    if string(item, "sub") != Some(sub) {
        table.unusable("an IdentityId not bound to its user");
        return None;
    }
    IdentityId::from_table(string(item, "identity_id")?)
}

/// The associated data of the slot `slot` of the user `sub`: the slot's full key.
pub fn slot_key(sub: &str, slot: &str) -> Vec<u8> {
    format!("{}\n{slot}", super::user_key(sub)).into_bytes()
}
