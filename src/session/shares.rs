//! Sharing's records in the session table: where a username's IdentityId is found, the owners'
//! index of what they shared, and the username of each owner. Unlike the cache entries of the
//! tier, these are answers, not hints: a table that does not answer fails the request (503), it
//! is not a miss.
//!
//! Items:
//! - `user#<sub>` / `identity` (written by [`super::keys`]): the directory, username → `sub`
//!   (AdminGetUser) → IdentityId. Every user who signed in with the deployment in the last 30
//!   days has one.
//! - `user#<owner sub>` / `share#<share id>`: one share the owner made (`name`, `with`,
//!   `recipient`, `shared_at`), for the owner's own listing. The copy in S3 is the share; this
//!   is its index.
//! - `identity#<IdentityId>` / `directory`: the username of an owner, written from the owner's
//!   verified token when they share, so a recipient sees who shared (the IdentityId in the key is
//!   IAM's attribution; this names it).

use super::keys::{IDENTITY, stored_identity};
use super::{Item, PARTITION_KEY, SORT_KEY, SessionTable, n, number, string};
use crate::auth::user::sub_of;
use crate::error::{ApiError, Upstream};
use crate::identity::IdentityId;
use crate::metrics::op;
use crate::storage::Share;
use aws_sdk_cognitoidentityprovider::Client as UserPool;
use aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, ReturnValue};
use std::collections::HashMap;
use std::sync::Arc;

/// The sort key prefix of an owner's shares.
const SHARE: &str = "share#";
/// The sort key of an owner's username entry.
const DIRECTORY: &str = "directory";
/// BatchGetItem's most keys per call.
const BATCH_GET: usize = 100;

/// One share as its owner's index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRecord {
    /// The share.
    pub share: Share,
    /// The recipient's username, as the owner gave it.
    pub with: String,
    /// When it was made (or last made again), ms since the epoch.
    pub shared_at: u64,
}

/// Sharing's records in the session table, and the user pool for usernames.
pub struct Directory {
    table: Arc<SessionTable>,
    users: UserPool,
    user_pool_id: String,
}

impl Directory {
    /// Records in `table`; usernames resolved in `user_pool_id` through `users`.
    pub fn new(table: Arc<SessionTable>, users: UserPool, user_pool_id: String) -> Self {
        Directory {
            table,
            users,
            user_pool_id,
        }
    }

    /// The `sub` and IdentityId of the enabled user `username` who signed in here: 404
    /// `unknown_recipient` for a username that does not exist, a disabled user and a user with
    /// no IdentityId on record alike.
    pub async fn recipient(&self, username: &str) -> Result<(String, IdentityId), ApiError> {
        let answer = self
            .users
            .admin_get_user()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .send()
            .await;
        let user = match answer {
            Ok(user) => user,
            Err(err) => {
                return Err(match err.as_service_error() {
                    Some(
                        AdminGetUserError::UserNotFoundException(_)
                        | AdminGetUserError::InvalidParameterException(_),
                    ) => ApiError::UnknownRecipient,
                    Some(AdminGetUserError::ResourceNotFoundException(_)) => {
                        ApiError::misconfigured(Upstream::UserPool, err)
                    }
                    _ => ApiError::from_sdk(Upstream::UserPool, err),
                });
            }
        };
        let Some(sub) = sub_of(&user).filter(|_| user.enabled()).map(str::to_owned) else {
            return Err(ApiError::UnknownRecipient);
        };
        let read = self.table.client().get_item().table_name(self.table.name());
        let read = read.set_key(Some(SessionTable::key(&sub, IDENTITY)));
        let out = self.answer(op::TABLE_GET, read.send()).await?;
        let identity = out
            .item
            .as_ref()
            .and_then(|item| stored_identity(&self.table, &sub, item))
            .ok_or(ApiError::UnknownRecipient)?;
        Ok((sub, identity))
    }

    /// Records `record` in `owner_sub`'s index, and the owner's username for recipients to see.
    /// Whether the share was on record already.
    pub async fn record(
        &self,
        owner_sub: &str,
        owner_username: &str,
        owner: &IdentityId,
        record: &ShareRecord,
    ) -> Result<bool, ApiError> {
        let mut item = SessionTable::key(owner_sub, &share_sort_key(&record.share));
        let s = |v: &str| AttributeValue::S(v.to_owned());
        item.insert("name".into(), s(record.share.name().as_str()));
        item.insert("with".into(), s(&record.with));
        item.insert("recipient".into(), s(record.share.recipient()));
        item.insert("shared_at".into(), n(record.shared_at));
        let write = self.table.client().put_item().table_name(self.table.name());
        let write = write
            .set_item(Some(item))
            .return_values(ReturnValue::AllOld);
        let mut entry = HashMap::from([
            (PARTITION_KEY.to_owned(), s(&owner_key(owner.as_str()))),
            (SORT_KEY.to_owned(), s(DIRECTORY)),
        ]);
        entry.insert("username".into(), s(owner_username));
        entry.insert("sub".into(), s(owner_sub));
        let name = self.table.client().put_item().table_name(self.table.name());
        let name = name.set_item(Some(entry));
        let (written, named) = tokio::join!(
            self.answer(op::TABLE_PUT, write.send()),
            self.answer(op::TABLE_PUT, name.send())
        );
        named?;
        Ok(written?.attributes.is_some_and(|old| !old.is_empty()))
    }

    /// Removes `share` from `owner_sub`'s index (nothing to remove is no error).
    pub async fn forget(&self, owner_sub: &str, share: &Share) -> Result<(), ApiError> {
        let delete = self
            .table
            .client()
            .delete_item()
            .table_name(self.table.name());
        let delete = delete.set_key(Some(SessionTable::key(owner_sub, &share_sort_key(share))));
        self.answer(op::TABLE_DELETE, delete.send()).await?;
        Ok(())
    }

    /// The shares `owner_sub` made and that `owner` is the owner of, newest first.
    pub async fn mine(
        &self,
        owner_sub: &str,
        owner: &IdentityId,
    ) -> Result<Vec<ShareRecord>, ApiError> {
        let (mut records, mut start) = (Vec::new(), None);
        loop {
            let query = self.table.client().query().table_name(self.table.name());
            let query = query
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :share)")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_names("#sk", SORT_KEY)
                .expression_attribute_values(":pk", AttributeValue::S(super::user_key(owner_sub)))
                .expression_attribute_values(":share", AttributeValue::S(SHARE.to_owned()))
                .set_exclusive_start_key(start.take());
            let out = self.answer(op::TABLE_QUERY, query.send()).await?;
            records.extend(out.items().iter().filter_map(|item| {
                let record = share_record(item)?;
                // An identity deleted and given again leaves the former one's shares behind.
                record.share.is_from(owner).then_some(record)
            }));
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        records.sort_by_key(|r| std::cmp::Reverse(r.shared_at));
        Ok(records)
    }

    /// The usernames of the owners among `owners` that shared through the API; the others
    /// (and all of them if the table does not answer) are left out.
    pub async fn usernames(&self, owners: &[&str]) -> HashMap<String, String> {
        let mut names = HashMap::new();
        let mut unique: Vec<&str> = owners.to_vec();
        unique.sort_unstable();
        unique.dedup();
        for chunk in unique.chunks(BATCH_GET) {
            let mut keys = KeysAndAttributes::builder();
            for owner in chunk {
                keys = keys.keys(HashMap::from([
                    (
                        PARTITION_KEY.to_owned(),
                        AttributeValue::S(owner_key(owner)),
                    ),
                    (SORT_KEY.to_owned(), AttributeValue::S(DIRECTORY.to_owned())),
                ]));
            }
            let Ok(keys) = keys.build() else { break };
            let read = self.table.client().batch_get_item();
            let read = read.request_items(self.table.name(), keys);
            let Ok(Ok(out)) = self.table.call(op::TABLE_BATCH_GET, read.send()).await else {
                break;
            };
            // Keys DynamoDB left unprocessed are shown without a name rather than waited for.
            for item in out
                .responses
                .and_then(|mut r| r.remove(self.table.name()))
                .unwrap_or_default()
            {
                let owner = string(&item, PARTITION_KEY).and_then(|pk| pk.strip_prefix(OWNER));
                if let (Some(owner), Some(name)) = (owner, string(&item, "username")) {
                    names.insert(owner.to_owned(), name.to_owned());
                }
            }
        }
        names
    }

    /// The username of one owner, if they shared through the API.
    pub async fn username(&self, owner: &str) -> Option<String> {
        self.usernames(&[owner]).await.remove(owner)
    }

    /// A table call whose failure fails the request.
    async fn answer<T, E>(
        &self,
        operation: &'static str,
        call: impl Future<
            Output = Result<
                T,
                aws_smithy_runtime_api::client::result::SdkError<
                    E,
                    aws_smithy_runtime_api::client::orchestrator::HttpResponse,
                >,
            >,
        > + Send,
    ) -> Result<T, ApiError>
    where
        T: Send,
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
    {
        match self.table.call(operation, call).await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(err)) => Err(ApiError::upstream(Upstream::SessionTable, err.to_string())),
            Err(_) => Err(ApiError::Unavailable {
                upstream: Upstream::SessionTable,
                cause: "the session table did not answer (logged above)".into(),
            }),
        }
    }
}

/// The partition key prefix of an owner's username entry.
const OWNER: &str = "identity#";

/// The partition key of the username entry of the owner `owner` (an IdentityId).
fn owner_key(owner: &str) -> String {
    format!("{OWNER}{owner}")
}

/// The sort key of a share in its owner's index.
fn share_sort_key(share: &Share) -> String {
    format!("{SHARE}{}", share.id())
}

/// A share from its index entry, if the entry is whole.
fn share_record(item: &Item) -> Option<ShareRecord> {
    let id = string(item, SORT_KEY)?.strip_prefix(SHARE)?;
    let share = Share::from_id(id).ok()?;
    (string(item, "name")? == share.name().as_str()).then_some(())?;
    Some(ShareRecord {
        share,
        with: string(item, "with")?.to_owned(),
        shared_at: number(item, "shared_at")?,
    })
}
