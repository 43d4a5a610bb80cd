//! Counts of the upstream calls really sent, per operation, read by tests and the benchmark.
//!
//! Operations are named `<service>:<Operation>` with the service as AWS's endpoint prefix names
//! it (`cognito-idp`, `cognito-identity`, `s3`, `dynamodb`), the way the local stack's own call counter names
//! them, so one name ([`op`]) serves both counts.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The operations counted, by the name both counters use.
pub mod op {
    /// `cognito-identity:GetId`
    pub const GET_ID: &str = "cognito-identity:GetId";
    /// `cognito-identity:GetCredentialsForIdentity`
    pub const EXCHANGE: &str = "cognito-identity:GetCredentialsForIdentity";
    /// `cognito-idp:AdminGetUser`
    pub const USER_CHECK: &str = "cognito-idp:AdminGetUser";
    /// `s3:GetObject`
    pub const GET_OBJECT: &str = "s3:GetObject";
    /// `s3:HeadObject`
    pub const HEAD_OBJECT: &str = "s3:HeadObject";
    /// `s3:PutObject`
    pub const PUT_OBJECT: &str = "s3:PutObject";
    /// `s3:ListObjectsV2`
    pub const LIST_OBJECTS: &str = "s3:ListObjectsV2";
    /// `s3:DeleteObject`
    pub const DELETE_OBJECT: &str = "s3:DeleteObject";
    /// `s3:DeleteObjects`
    pub const DELETE_OBJECTS: &str = "s3:DeleteObjects";
    /// `s3:CopyObject`
    pub const COPY_OBJECT: &str = "s3:CopyObject";
    /// `s3:CreateMultipartUpload`
    pub const CREATE_UPLOAD: &str = "s3:CreateMultipartUpload";
    /// `s3:UploadPart` (sent by clients through signed URLs, never by the function)
    pub const UPLOAD_PART: &str = "s3:UploadPart";
    /// `s3:UploadPartCopy`
    pub const UPLOAD_PART_COPY: &str = "s3:UploadPartCopy";
    /// `s3:ListParts`
    pub const LIST_PARTS: &str = "s3:ListParts";
    /// `s3:CompleteMultipartUpload`
    pub const COMPLETE_UPLOAD: &str = "s3:CompleteMultipartUpload";
    /// `s3:AbortMultipartUpload`
    pub const ABORT_UPLOAD: &str = "s3:AbortMultipartUpload";
    /// The user pool's JWKS (not an SDK operation).
    pub const JWKS: &str = "jwks:GetSigningKeys";
    /// `dynamodb:GetItem` (the shared tier: a verdict or a session slot)
    pub const TABLE_GET: &str = "dynamodb:GetItem";
    /// `dynamodb:BatchGetItem` (the shared tier: a session slot and the IdentityId at once)
    pub const TABLE_BATCH_GET: &str = "dynamodb:BatchGetItem";
    /// `dynamodb:PutItem` (the shared tier: sealed keys, an IdentityId)
    pub const TABLE_PUT: &str = "dynamodb:PutItem";
    /// `dynamodb:UpdateItem` (the shared tier: a verdict, its lease; revocations)
    pub const TABLE_UPDATE: &str = "dynamodb:UpdateItem";
    /// `dynamodb:Query` (revocations: a user's sealed keys)
    pub const TABLE_QUERY: &str = "dynamodb:Query";
    /// `dynamodb:DeleteItem` (revocations: a user's sealed keys)
    pub const TABLE_DELETE: &str = "dynamodb:DeleteItem";
    /// A table call that failed (throttled, slow, unreachable, refused) and counted as a miss;
    /// not an SDK operation.
    pub const TABLE_FAULT: &str = "session-table:Fault";
}

/// An SDK interceptor that counts every attempt put on the wire, by `service:Operation`.
#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl CallCounter {
    /// Counts one call that did not go through an SDK client (the JWKS fetch).
    pub fn record(&self, name: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry(name.to_owned()).or_default() += 1;
    }

    /// Calls so far, by operation.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Calls so far, all operations together.
    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Presigning runs the same steps up to here and then hands the URL out: no call was made.
        // Only presigned requests carry their signature in the query string.
        if context.request().uri().contains("X-Amz-Signature=") {
            return Ok(());
        }
        let name = cfg
            .load::<Metadata>()
            .map(|m| format!("{}:{}", endpoint_prefix(m.service()), m.name()))
            .unwrap_or_else(|| "unknown".to_owned());
        self.record(&name);
        Ok(())
    }
}

/// The endpoint prefix of a service as the SDK names it (`Cognito Identity Provider` ->
/// `cognito-idp`); other names lowercased with dashes.
fn endpoint_prefix(service: &str) -> String {
    match service {
        "Cognito Identity Provider" => "cognito-idp".to_owned(),
        "Cognito Identity" => "cognito-identity".to_owned(),
        other => other.to_ascii_lowercase().replace(' ', "-"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn services_are_named_by_their_endpoint_prefix() {
        assert_eq!(
            super::endpoint_prefix("Cognito Identity Provider"),
            "cognito-idp"
        );
        assert_eq!(
            super::endpoint_prefix("Cognito Identity"),
            "cognito-identity"
        );
        assert_eq!(super::endpoint_prefix("S3"), "s3");
        assert_eq!(super::endpoint_prefix("DynamoDB"), "dynamodb");
        assert_eq!(super::endpoint_prefix("jwks"), "jwks");
    }
}
