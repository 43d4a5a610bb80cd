//! One error type for the request path, turned into a status and a JSON body in one place.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use lambda_http::{Body, Response, http::StatusCode};
use serde_json::json;
use std::error::Error as StdError;
use std::sync::Arc;

/// Why an upstream call failed, kept for the log line; it never reaches the client.
///
/// Shared, so that an [`ApiError`] is `Clone`: concurrent requests waiting on one cached call
/// (moka's single flight hands them an `Arc<ApiError>`) each get the error back as their own.
/// Like `anyhow::Error`, it is not itself an `Error`, which lets any error or message convert into it.
#[derive(Clone)]
pub struct Cause(Arc<dyn StdError + Send + Sync>);

impl<E: Into<Box<dyn StdError + Send + Sync>>> From<E> for Cause {
    fn from(err: E) -> Self {
        Cause(Arc::from(err.into()))
    }
}

impl std::fmt::Debug for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.0, f)
    }
}

impl std::fmt::Display for Cause {
    /// The whole chain of causes, as the SDK's own display helper prints it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let err: &(dyn StdError + 'static) = &*self.0;
        write!(f, "{}", DisplayErrorContext(err))
    }
}

/// The outside system a failure came from, named in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    /// The user pool's JWKS endpoint.
    Jwks,
    /// `cognito-idp` (AdminGetUser).
    UserPool,
    /// `cognito-identity` (GetId, GetCredentialsForIdentity).
    IdentityPool,
    /// S3 with the user's own credentials.
    S3,
    /// The session table (DynamoDB), where it is an authority: the owners' share index.
    SessionTable,
}

impl std::fmt::Display for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Upstream::Jwks => "jwks",
            Upstream::UserPool => "cognito-idp",
            Upstream::IdentityPool => "cognito-identity",
            Upstream::S3 => "s3",
            Upstream::SessionTable => "dynamodb",
        })
    }
}

/// Everything that can end a request early. The `Display` text is what the client reads, so it
/// never carries a token, a key or an upstream message; causes are logged ([`ApiError::log`]).
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("the idToken header is required")]
    MissingToken,
    #[error("send exactly one idToken header")]
    MultipleTokens,
    #[error("the idToken header is too large")]
    TokenTooLarge,
    #[error("the ID token is invalid: {0}")]
    InvalidToken(&'static str),
    #[error("the ID token has expired")]
    ExpiredToken,
    #[error("the user does not exist")]
    UnknownUser,
    #[error("the user is disabled")]
    UserDisabled,
    #[error("Cognito did not accept the token")]
    NotAuthorized,
    #[error("the request was signed by another identity than the ID token's")]
    IdentityMismatch,
    #[error("the request must be signed with the user's identity-pool credentials")]
    SignerRequired,
    #[error("the file does not exist")]
    FileNotFound,
    #[error("invalid file name: {0}")]
    InvalidFileName(&'static str),
    #[error("a file of that name exists (If-None-Match: *)")]
    FileExists,
    #[error("no such unfinished upload")]
    UploadNotFound,
    #[error("no such share")]
    ShareNotFound,
    #[error(
        "no user of that name can receive shares here (it must exist, be enabled and have signed in once)"
    )]
    UnknownRecipient,
    #[error(
        "sharing needs the shared session tier (SESSION_TABLE), which this deployment does not have"
    )]
    SharingUnavailable,
    #[error(
        "the parts do not match what S3 received (a missing part, a wrong ETag, or a part under 5 MiB before the last)"
    )]
    InvalidParts,
    #[error("the body is larger than {0} bytes")]
    PayloadTooLarge(u64),
    #[error("invalid {0}: {1}")]
    InvalidParameter(&'static str, &'static str),
    #[error("access to the file was denied")]
    AccessDenied,
    #[error("the file is not a readable text file")]
    UnreadableFile,
    #[error("{0} is throttling requests; retry later")]
    Throttled(Upstream),
    #[error("{upstream} is unavailable; retry later")]
    Unavailable { upstream: Upstream, cause: Cause },
    #[error("{0} did not answer in time")]
    Timeout(Upstream),
    #[error("the request ran out of time")]
    OutOfTime,
    #[error("{upstream} failed")]
    Upstream { upstream: Upstream, cause: Cause },
    /// The identity's keys were refused as expired or unknown; answered only if fresh keys fail too.
    #[error("{upstream} failed")]
    StaleCredentials { upstream: Upstream, cause: Cause },
    /// The identity pool no longer knows the cached IdentityId; answered only if a new GetId
    /// does not help either.
    #[error("the service is misconfigured")]
    UnknownIdentity { cause: Cause },
    #[error("the service is misconfigured")]
    Misconfigured { upstream: Upstream, cause: Cause },
    #[error("no such route")]
    RouteNotFound,
    #[error("method not allowed; allowed: {0}")]
    MethodNotAllowed(&'static str),
}

/// Seconds a client should wait after a 503.
const RETRY_AFTER_SECONDS: &str = "1";

impl ApiError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        use ApiError::*;
        match self {
            MultipleTokens | InvalidFileName(_) | InvalidParameter(..) | InvalidParts => {
                StatusCode::BAD_REQUEST
            }
            FileExists => StatusCode::PRECONDITION_FAILED,
            PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            MissingToken | InvalidToken(_) | ExpiredToken | UnknownUser | NotAuthorized => {
                StatusCode::UNAUTHORIZED
            }
            TokenTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            UserDisabled | IdentityMismatch | SignerRequired | AccessDenied => {
                StatusCode::FORBIDDEN
            }
            FileNotFound | UploadNotFound | ShareNotFound | UnknownRecipient | RouteNotFound => {
                StatusCode::NOT_FOUND
            }
            SharingUnavailable => StatusCode::NOT_IMPLEMENTED,
            MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Throttled(_) | Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Timeout(_) | OutOfTime => StatusCode::GATEWAY_TIMEOUT,
            Upstream { .. } | StaleCredentials { .. } => StatusCode::BAD_GATEWAY,
            UnreadableFile | Misconfigured { .. } | UnknownIdentity { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// The stable snake_case code clients can match on.
    pub fn code(&self) -> &'static str {
        use ApiError::*;
        match self {
            MissingToken => "missing_token",
            MultipleTokens => "multiple_tokens",
            TokenTooLarge => "token_too_large",
            InvalidToken(_) => "invalid_token",
            ExpiredToken => "expired_token",
            UnknownUser => "unknown_user",
            UserDisabled => "user_disabled",
            NotAuthorized => "not_authorized",
            IdentityMismatch => "identity_mismatch",
            SignerRequired => "signer_required",
            FileNotFound => "file_not_found",
            InvalidFileName(_) => "invalid_file_name",
            FileExists => "file_exists",
            UploadNotFound => "upload_not_found",
            ShareNotFound => "share_not_found",
            UnknownRecipient => "unknown_recipient",
            SharingUnavailable => "sharing_unavailable",
            InvalidParts => "invalid_parts",
            PayloadTooLarge(_) => "payload_too_large",
            InvalidParameter(..) => "invalid_parameter",
            AccessDenied => "access_denied",
            UnreadableFile => "unreadable_file",
            Throttled(_) => "throttled",
            Unavailable { .. } => "upstream_unavailable",
            Timeout(_) | OutOfTime => "upstream_timeout",
            Upstream { .. } | StaleCredentials { .. } => "upstream_error",
            Misconfigured { .. } | UnknownIdentity { .. } => "internal_error",
            RouteNotFound => "not_found",
            MethodNotAllowed(_) => "method_not_allowed",
        }
    }

    /// The JSON error response; extra headers for 405 and 503.
    pub fn to_response(&self) -> Response<Body> {
        let body = json!({
            "status": "error",
            "error": { "code": self.code(), "message": self.to_string() },
        });
        let extra = match self {
            ApiError::MethodNotAllowed(allow) => Some(("allow", *allow)),
            ApiError::Throttled(_) | ApiError::Unavailable { .. } => {
                Some(("retry-after", RETRY_AFTER_SECONDS))
            }
            _ => None,
        };
        crate::response::json(self.status(), &body, extra)
    }

    /// Maps an SDK failure whose service error the caller did not recognise: transport problems,
    /// throttling and server errors are judged the same way for every operation.
    pub fn from_sdk<E>(upstream: Upstream, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        enum Kind {
            Timeout,
            Unavailable,
            Throttled,
            Failed,
            Misconfigured,
        }
        let kind = match &err {
            SdkError::TimeoutError(_) => Kind::Timeout,
            SdkError::DispatchFailure(f) if f.is_timeout() => Kind::Timeout,
            SdkError::DispatchFailure(f) if f.is_io() => Kind::Unavailable,
            SdkError::ServiceError(service) => {
                let code = service.err().code();
                if is_throttling(code) {
                    Kind::Throttled
                } else if service.raw().status().is_server_error()
                    || matches!(
                        code,
                        Some("InternalErrorException" | "ExternalServiceException")
                    )
                {
                    Kind::Failed
                } else {
                    // A 4xx the caller did not expect means our request or our setup is wrong.
                    Kind::Misconfigured
                }
            }
            SdkError::ConstructionFailure(_) => Kind::Misconfigured,
            _ => Kind::Failed,
        };
        let cause = Cause::from(err);
        match kind {
            Kind::Timeout => ApiError::Timeout(upstream),
            Kind::Unavailable => ApiError::Unavailable { upstream, cause },
            Kind::Throttled => ApiError::Throttled(upstream),
            Kind::Failed => ApiError::Upstream { upstream, cause },
            Kind::Misconfigured => ApiError::Misconfigured { upstream, cause },
        }
    }

    /// An upstream's answer that makes no sense, named by `what`.
    pub fn upstream(upstream: Upstream, what: impl Into<Cause>) -> Self {
        ApiError::Upstream {
            upstream,
            cause: what.into(),
        }
    }

    /// An upstream's refusal that means our request or our setup is wrong.
    pub fn misconfigured(upstream: Upstream, why: impl Into<Cause>) -> Self {
        ApiError::Misconfigured {
            upstream,
            cause: why.into(),
        }
    }

    /// Logs why the request ended, at the level its cause deserves: configuration problems as
    /// errors, upstream failures as warnings (with their cause chain), refusals of the client's
    /// request at debug. Never a token or key: causes are SDK errors and fixed messages.
    pub fn log(&self) {
        use ApiError::*;
        let (upstream, cause) = match self {
            Unavailable { upstream, cause }
            | Upstream { upstream, cause }
            | StaleCredentials { upstream, cause }
            | Misconfigured { upstream, cause } => (*upstream, cause),
            UnknownIdentity { cause } => (self::Upstream::IdentityPool, cause),
            _ => {
                tracing::debug!(code = self.code(), "request refused");
                return;
            }
        };
        if matches!(self, Misconfigured { .. } | UnknownIdentity { .. }) {
            tracing::error!(code = self.code(), %upstream, %cause, "configuration problem");
        } else {
            tracing::warn!(code = self.code(), %upstream, %cause, "upstream failure");
        }
    }
}

pub(crate) fn is_throttling(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "TooManyRequestsException"
                | "LimitExceededException"
                | "ThrottlingException"
                | "Throttling"
                | "SlowDown"
                | "RequestLimitExceeded"
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::operation::get_object::GetObjectError;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn service(code: &str, status: u16) -> SdkError<GetObjectError, HttpResponse> {
        let err = GetObjectError::generic(ErrorMetadata::builder().code(code).build());
        let raw = HttpResponse::new(status.try_into().unwrap(), SdkBody::empty());
        SdkError::service_error(err, raw)
    }

    fn mapped(err: SdkError<GetObjectError, HttpResponse>) -> (u16, &'static str) {
        let err = ApiError::from_sdk(Upstream::S3, err);
        (err.status().as_u16(), err.code())
    }

    #[test]
    fn sdk_failures_map_to_gateway_statuses() {
        assert_eq!(mapped(service("SlowDown", 503)), (503, "throttled"));
        assert_eq!(
            mapped(service("TooManyRequestsException", 400)),
            (503, "throttled")
        );
        assert_eq!(
            mapped(service("LimitExceededException", 400)),
            (503, "throttled")
        );
        assert_eq!(
            mapped(service("InternalError", 500)),
            (502, "upstream_error")
        );
        assert_eq!(
            mapped(service("InternalErrorException", 400)),
            (502, "upstream_error")
        );
        assert_eq!(
            mapped(service("ValidationException", 400)),
            (500, "internal_error")
        );
        let timeout = SdkError::timeout_error("operation timed out");
        assert_eq!(mapped(timeout), (504, "upstream_timeout"));
        let refused = SdkError::dispatch_failure(ConnectorError::io("connection refused".into()));
        assert_eq!(mapped(refused), (503, "upstream_unavailable"));
        let slow = SdkError::dispatch_failure(ConnectorError::timeout("read timed out".into()));
        assert_eq!(mapped(slow), (504, "upstream_timeout"));
        let garbled = SdkError::response_error(
            "unparseable body",
            HttpResponse::new(200.try_into().unwrap(), SdkBody::empty()),
        );
        assert_eq!(mapped(garbled), (502, "upstream_error"));
    }

    #[test]
    fn error_responses_are_json_with_their_extra_headers() {
        let response = ApiError::Throttled(Upstream::IdentityPool).to_response();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
        assert_eq!(response.headers()["content-type"], "application/json");
        let Body::Text(text) = response.body() else {
            panic!("text body")
        };
        let body: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(body["status"], "error");
        assert_eq!(body["error"]["code"], "throttled");
        assert_eq!(
            body["error"]["message"],
            "cognito-identity is throttling requests; retry later"
        );

        let response = ApiError::MethodNotAllowed("GET, PUT, DELETE").to_response();
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "GET, PUT, DELETE");
    }

    #[test]
    fn causes_stay_out_of_the_client_message() {
        let err = ApiError::Misconfigured {
            upstream: Upstream::IdentityPool,
            cause: "secret-bearing cause AKIA1234".into(),
        };
        assert_eq!(err.status(), 500);
        assert!(!err.to_string().contains("AKIA1234"));
    }
}
