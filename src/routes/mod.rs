//! The route table: which use case a request reaches, matched on API Gateway's resource.

pub mod files;
pub mod read_file;

use crate::error::ApiError;
use crate::storage::FileName;
use files::{ListQuery, Upload, UploadAsk};
use lambda_http::http::Method;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use std::time::Duration;

/// The API's resources, as API Gateway names them (`resource`, `requestContext.resourcePath`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// `/read-file`
    ReadFile,
    /// `/files`
    Files,
    /// `/files/{name+}`
    File,
    /// `/upload-urls`
    UploadUrls,
}

impl Resource {
    /// Every resource with its API Gateway path and the methods it accepts.
    pub const ALL: [(Resource, &'static str, &'static str); 4] = [
        (Resource::ReadFile, "/read-file", "GET"),
        (Resource::Files, "/files", "GET"),
        (Resource::File, "/files/{name+}", "GET, PUT, DELETE"),
        (Resource::UploadUrls, "/upload-urls", "POST"),
    ];

    fn from_resource_path(path: &str) -> Option<Resource> {
        Self::ALL
            .iter()
            .find(|(_, p, _)| *p == path)
            .map(|(r, _, _)| *r)
    }

    /// The `Allow` header value of this resource.
    pub fn allow(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(r, _, _)| *r == self)
            .map_or("", |(_, _, allow)| allow)
    }
}

/// Limits on request input, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest body of `PUT /files/{name+}`.
    pub max_upload_bytes: u64,
    /// Largest size a signed upload URL may be asked for.
    pub max_presigned_upload_bytes: u64,
}

/// One use case with its parsed input. Everything is parsed before authentication, so a
/// malformed request is refused without an upstream call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'r> {
    /// `GET /read-file`
    ReadFile,
    /// `GET /files`
    ListFiles(ListQuery),
    /// `GET /files/{name+}`
    GetFile(FileName, Duration),
    /// `PUT /files/{name+}`
    PutFile(FileName, Upload<'r>),
    /// `DELETE /files/{name+}`
    DeleteFile(FileName),
    /// `POST /upload-urls`
    CreateUploadUrl(UploadAsk),
}

impl<'r> Route<'r> {
    /// The route's name in the request log line.
    pub fn name(&self) -> &'static str {
        match self {
            Route::ReadFile => "read-file",
            Route::ListFiles(_) => "list-files",
            Route::GetFile(..) => "get-file",
            Route::PutFile(..) => "put-file",
            Route::DeleteFile(_) => "delete-file",
            Route::CreateUploadUrl(_) => "create-upload-url",
        }
    }

    /// The route of `req`: 404 for an unknown resource, 405 (with `Allow`) for another method,
    /// 400 or 413 for bad input. Nothing here costs an upstream call.
    pub fn of(req: &'r Request, limits: Limits) -> Result<Route<'r>, ApiError> {
        let (resource, name) = locate(req).ok_or(ApiError::RouteNotFound)?;
        let name = || FileName::parse(name.as_deref().unwrap_or_default());
        let method = req.method();
        Ok(match resource {
            Resource::ReadFile if method == Method::GET => Route::ReadFile,
            Resource::Files if method == Method::GET => Route::ListFiles(ListQuery::parse(req)?),
            Resource::File if method == Method::GET => {
                Route::GetFile(name()?, files::url_lifetime(req)?)
            }
            Resource::File if method == Method::PUT => {
                Route::PutFile(name()?, Upload::parse(req, limits.max_upload_bytes)?)
            }
            Resource::File if method == Method::DELETE => Route::DeleteFile(name()?),
            Resource::UploadUrls if method == Method::POST => {
                Route::CreateUploadUrl(UploadAsk::parse(req, limits.max_presigned_upload_bytes)?)
            }
            other => return Err(ApiError::MethodNotAllowed(other.allow())),
        })
    }
}

/// The resource and the decoded `{name+}` of `req`. REST API (v1) events name their resource;
/// other events (function URL, HTTP API) are matched on the path without their stage.
fn locate(req: &Request) -> Option<(Resource, Option<String>)> {
    let path = req.uri().path();
    let stage = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) => {
            if let Some(resource) = ctx.resource_path.as_deref() {
                let resource = Resource::from_resource_path(resource)?;
                // API Gateway decodes path parameters before it builds the event.
                let name = req
                    .path_parameters_ref()
                    .and_then(|p| p.first("name"))
                    .map(str::to_owned);
                return Some((resource, name));
            }
            ctx.stage.as_deref()
        }
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.stage.as_deref(),
        _ => None,
    };
    let path = match stage {
        Some(stage) if stage != "$default" => path
            .strip_prefix('/')
            .and_then(|p| p.strip_prefix(stage))
            .filter(|rest| rest.starts_with('/'))
            .unwrap_or(path),
        _ => path,
    };
    match path {
        "/read-file" => Some((Resource::ReadFile, None)),
        "/files" => Some((Resource::Files, None)),
        "/upload-urls" => Some((Resource::UploadUrls, None)),
        _ => {
            let raw = path.strip_prefix("/files/")?;
            // Undecodable names still reach the route, and are refused there as invalid.
            let name = percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| "\0".to_owned());
            Some((Resource::File, Some(name)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_upload_bytes: 10,
        max_presigned_upload_bytes: 10,
    };

    fn request(method: &str, path: &str) -> Request {
        lambda_http::http::Request::builder()
            .method(method)
            .uri(path)
            .body(lambda_http::Body::Empty)
            .unwrap()
    }

    fn route(method: &str, path: &str) -> Result<&'static str, String> {
        match Route::of(&request(method, path), LIMITS) {
            Ok(route) => Ok(route.name()),
            Err(e) => Err(format!("{} {}", e.status().as_u16(), e.code())),
        }
    }

    fn name_of(method: &str, path: &str) -> FileName {
        match Route::of(&request(method, path), LIMITS).unwrap() {
            Route::GetFile(name, _) | Route::PutFile(name, _) | Route::DeleteFile(name) => name,
            other => panic!("{other:?}"),
        }
    }

    fn file(name: &str) -> FileName {
        FileName::parse(name).unwrap()
    }

    #[test]
    fn each_resource_and_method_reaches_its_use_case() {
        assert_eq!(route("GET", "/read-file"), Ok("read-file"));
        assert_eq!(route("GET", "/files"), Ok("list-files"));
        assert_eq!(route("GET", "/files/a/b.txt"), Ok("get-file"));
        assert_eq!(route("PUT", "/files/a%20b"), Ok("put-file"));
        assert_eq!(route("DELETE", "/files/x"), Ok("delete-file"));
        assert_eq!(
            route("POST", "/upload-urls"),
            Err("400 invalid_parameter".into())
        );
        assert_eq!(name_of("GET", "/files/a/b.txt"), file("a/b.txt"));
        assert_eq!(name_of("PUT", "/files/a%20b"), file("a b"));
        assert_eq!(name_of("DELETE", "/files/%C3%A9t%C3%A9"), file("été"));
    }

    #[test]
    fn other_paths_are_404_and_other_methods_405() {
        for path in [
            "/",
            "/read-file/",
            "/read-files",
            "/v1/read-file",
            "/files/read-file/x/../",
            "/READ-FILE",
            "/upload-urls/x",
        ] {
            let got = route("GET", path);
            assert!(
                got == Err("404 not_found".into()) || got == Err("400 invalid_file_name".into()),
                "{path}: {got:?}"
            );
        }
        assert_eq!(route("GET", "/v1/read-file"), Err("404 not_found".into()));
        assert_eq!(
            route("POST", "/read-file"),
            Err("405 method_not_allowed".into())
        );
        assert_eq!(
            route("POST", "/files/x"),
            Err("405 method_not_allowed".into())
        );
        assert_eq!(
            route("GET", "/upload-urls"),
            Err("405 method_not_allowed".into())
        );
    }

    #[test]
    fn encoded_traversal_and_bad_encodings_are_invalid_names() {
        for path in [
            "/files/%2e%2e/x",
            "/files/..%2Fx",
            "/files/a//b",
            "/files/a%00b",
            "/files/%FF",
            "/files/a%5Cb",
            "/files/",
        ] {
            assert_eq!(
                route("GET", path),
                Err("400 invalid_file_name".into()),
                "{path}"
            );
        }
    }

    #[test]
    fn allow_lists_the_resources_methods() {
        assert_eq!(Resource::File.allow(), "GET, PUT, DELETE");
        assert_eq!(Resource::ReadFile.allow(), "GET");
        assert_eq!(Resource::UploadUrls.allow(), "POST");
    }
}
