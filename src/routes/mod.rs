//! The route table: one row per route (method, the API's path as `infra/api/api.json` writes it,
//! the route's name, its input parser), one [`Route`] variant and one use-case function each.
//! A REST API (v1) event's row is found by the resource API Gateway names; other events (function
//! URL, HTTP API) by matching their path, without the stage, against the rows' paths.

pub mod files;
pub mod folders;
pub mod read_file;
pub mod shares;
pub mod transfers;
pub mod uploads;

use crate::auth::Caller;
use crate::config::Limits;
use crate::error::ApiError;
use crate::response::Reply;
use crate::storage::{FileName, Share};
use files::{FileById, GetFile, ListQuery, PutFile, UploadAsk};
use lambda_http::http::Method;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use shares::{GetShare, NewShare};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use transfers::Transfer;
use uploads::{Completion, NewUpload, PartsAsk, UploadHandle, UploadsQuery};

/// One route: how it is reached and how its input is read.
pub struct Row {
    /// The HTTP method.
    pub method: Method,
    /// The path as API Gateway names the resource: literal segments, `{param}` for one segment,
    /// `{param+}` (last) for the rest.
    pub path: &'static str,
    /// The route's name in the request log line.
    pub name: &'static str,
    parse: for<'r> fn(&Input<'r>) -> Result<Route<'r>, ApiError>,
}

/// The routes. Every input is parsed before authentication, so a malformed request is refused
/// without an upstream call.
pub static TABLE: [Row; 21] = [
    Row {
        method: Method::GET,
        path: "/read-file",
        name: "read-file",
        parse: |_| Ok(Route::ReadFile),
    },
    Row {
        method: Method::GET,
        path: "/files",
        name: "list-files",
        parse: |input| ListQuery::parse(input.req).map(Route::ListFiles),
    },
    Row {
        method: Method::DELETE,
        path: "/files",
        name: "delete-file-by-id",
        parse: |input| FileById::parse(input.req).map(Route::DeleteFileById),
    },
    Row {
        method: Method::GET,
        path: "/files/{name+}",
        name: "get-file",
        parse: |input| GetFile::parse(input).map(Route::GetFile),
    },
    Row {
        method: Method::PUT,
        path: "/files/{name+}",
        name: "put-file",
        parse: |input| PutFile::parse(input).map(Route::PutFile),
    },
    Row {
        method: Method::DELETE,
        path: "/files/{name+}",
        name: "delete-file",
        parse: |input| input.file_name().map(Route::DeleteFile),
    },
    Row {
        method: Method::POST,
        path: "/upload-urls",
        name: "create-upload-url",
        parse: |input| UploadAsk::parse(input).map(Route::CreateUploadUrl),
    },
    Row {
        method: Method::POST,
        path: "/uploads",
        name: "create-upload",
        parse: |input| NewUpload::parse(input).map(Route::CreateUpload),
    },
    Row {
        method: Method::GET,
        path: "/uploads",
        name: "list-uploads",
        parse: |input| UploadsQuery::parse(input.req).map(Route::ListUploads),
    },
    Row {
        method: Method::GET,
        path: "/uploads/{upload}",
        name: "get-upload",
        parse: |input| UploadHandle::parse(input.param("upload")).map(Route::GetUpload),
    },
    Row {
        method: Method::DELETE,
        path: "/uploads/{upload}",
        name: "abort-upload",
        parse: |input| UploadHandle::parse(input.param("upload")).map(Route::AbortUpload),
    },
    Row {
        method: Method::POST,
        path: "/uploads/{upload}/parts",
        name: "sign-upload-parts",
        parse: |input| PartsAsk::parse(input).map(Route::SignUploadParts),
    },
    Row {
        method: Method::POST,
        path: "/uploads/{upload}/complete",
        name: "complete-upload",
        parse: |input| Completion::parse(input).map(Route::CompleteUpload),
    },
    Row {
        method: Method::PUT,
        path: "/folders/{path+}",
        name: "create-folder",
        parse: |input| folders::folder_of(input).map(Route::CreateFolder),
    },
    Row {
        method: Method::DELETE,
        path: "/folders/{path+}",
        name: "delete-folder",
        parse: |input| folders::folder_of(input).map(Route::DeleteFolder),
    },
    Row {
        method: Method::POST,
        path: "/copies",
        name: "copy-file",
        parse: |input| Transfer::parse(input).map(Route::CopyFile),
    },
    Row {
        method: Method::POST,
        path: "/moves",
        name: "move-file",
        parse: |input| Transfer::parse(input).map(Route::MoveFile),
    },
    Row {
        method: Method::POST,
        path: "/shares",
        name: "create-share",
        parse: |input| NewShare::parse(input).map(Route::CreateShare),
    },
    Row {
        method: Method::GET,
        path: "/shares",
        name: "list-shares",
        parse: |_| Ok(Route::ListShares),
    },
    Row {
        method: Method::GET,
        path: "/shares/{id}",
        name: "get-share",
        parse: |input| GetShare::parse(input).map(Route::GetShare),
    },
    Row {
        method: Method::DELETE,
        path: "/shares/{id}",
        name: "revoke-share",
        parse: |input| shares::share_of(input).map(Route::RevokeShare),
    },
];

/// One use case with its parsed input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'r> {
    /// `GET /read-file`
    ReadFile,
    /// `GET /files`
    ListFiles(ListQuery),
    /// `DELETE /files?id=`
    DeleteFileById(FileById),
    /// `GET /files/{name+}`
    GetFile(GetFile),
    /// `PUT /files/{name+}`
    PutFile(PutFile<'r>),
    /// `DELETE /files/{name+}`
    DeleteFile(FileName),
    /// `POST /upload-urls`
    CreateUploadUrl(UploadAsk),
    /// `POST /uploads`
    CreateUpload(NewUpload),
    /// `GET /uploads`
    ListUploads(UploadsQuery),
    /// `GET /uploads/{upload}`
    GetUpload(UploadHandle),
    /// `DELETE /uploads/{upload}`
    AbortUpload(UploadHandle),
    /// `POST /uploads/{upload}/parts`
    SignUploadParts(PartsAsk),
    /// `POST /uploads/{upload}/complete`
    CompleteUpload(Completion),
    /// `PUT /folders/{path+}`
    CreateFolder(FileName),
    /// `DELETE /folders/{path+}`
    DeleteFolder(FileName),
    /// `POST /copies`
    CopyFile(Transfer),
    /// `POST /moves`
    MoveFile(Transfer),
    /// `POST /shares`
    CreateShare(NewShare),
    /// `GET /shares`
    ListShares,
    /// `GET /shares/{id}`
    GetShare(GetShare),
    /// `DELETE /shares/{id}`
    RevokeShare(Share),
}

impl Route<'_> {
    /// The request's row and parsed input: 404 for an unknown path, 405 (with `Allow`) for
    /// another method, 400 or 413 for bad input. Nothing here costs an upstream call.
    pub fn of(req: &Request, limits: Limits) -> Result<(&'static Row, Route<'_>), ApiError> {
        let (path, params) = locate(req).ok_or(ApiError::RouteNotFound)?;
        let row = TABLE
            .iter()
            .find(|row| row.path == path && row.method == req.method())
            .ok_or_else(|| ApiError::MethodNotAllowed(allow(path)))?;
        let input = Input {
            req,
            params,
            limits,
        };
        Ok((row, (row.parse)(&input)?))
    }

    /// Runs the use case for `caller`.
    pub async fn run(&self, caller: &Caller<'_>) -> Result<Reply, ApiError> {
        match self {
            Route::ReadFile => read_file::handle(caller).await,
            Route::ListFiles(query) => files::list(caller, query).await,
            Route::DeleteFileById(file) => files::delete_by_id(caller, file).await,
            Route::GetFile(get) => files::get(caller, get).await,
            Route::PutFile(put) => files::put(caller, put).await,
            Route::DeleteFile(name) => files::delete(caller, name).await,
            Route::CreateUploadUrl(ask) => files::create_upload_url(caller, ask).await,
            Route::CreateUpload(new) => uploads::create(caller, new).await,
            Route::ListUploads(query) => uploads::list(caller, query).await,
            Route::GetUpload(handle) => uploads::get(caller, handle).await,
            Route::AbortUpload(handle) => uploads::cancel(caller, handle).await,
            Route::SignUploadParts(ask) => uploads::sign_parts(caller, ask).await,
            Route::CompleteUpload(done) => uploads::complete(caller, done).await,
            Route::CreateFolder(name) => folders::create(caller, name).await,
            Route::DeleteFolder(name) => folders::delete(caller, name).await,
            Route::CopyFile(t) => transfers::copy(caller, t).await,
            Route::MoveFile(t) => transfers::move_file(caller, t).await,
            Route::CreateShare(new) => shares::create(caller, new).await,
            Route::ListShares => shares::list(caller).await,
            Route::GetShare(get) => shares::get(caller, get).await,
            Route::RevokeShare(share) => shares::delete(caller, share).await,
        }
    }
}

/// What a row's parser reads: the request, its path parameters (decoded), the limits.
pub struct Input<'r> {
    /// The request.
    pub req: &'r Request,
    params: BTreeMap<String, String>,
    /// Limits on request input.
    pub limits: Limits,
}

impl Input<'_> {
    /// The path parameter `name`, decoded (empty when absent).
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map_or("", String::as_str)
    }

    /// The `{name+}` parameter as a file name.
    pub fn file_name(&self) -> Result<FileName, ApiError> {
        FileName::parse(self.param("name"))
    }
}

/// The `Allow` header value of `path`: its rows' methods, in table order.
pub fn allow(path: &str) -> &'static str {
    static ALLOW: LazyLock<BTreeMap<&'static str, String>> = LazyLock::new(|| {
        let mut allow = BTreeMap::<&str, Vec<&str>>::new();
        for row in &TABLE {
            allow.entry(row.path).or_default().push(row.method.as_str());
        }
        allow.into_iter().map(|(p, m)| (p, m.join(", "))).collect()
    });
    ALLOW.get(path).map_or("", String::as_str)
}

/// The table path `req` reaches and its decoded path parameters. REST API (v1) events name their
/// resource (API Gateway decodes path parameters before it builds the event); other events are
/// matched on the path without their stage.
fn locate(req: &Request) -> Option<(&'static str, BTreeMap<String, String>)> {
    let stage = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) => {
            if let Some(resource) = ctx.resource_path.as_deref() {
                let row = TABLE.iter().find(|row| row.path == resource)?;
                let params = req.path_parameters_ref();
                let params = params
                    .map(|p| {
                        p.iter()
                            .map(|(k, v)| (k.to_owned(), v.to_owned()))
                            .collect()
                    })
                    .unwrap_or_default();
                return Some((row.path, params));
            }
            ctx.stage.as_deref()
        }
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.stage.as_deref(),
        _ => None,
    };
    let path = req.uri().path();
    let path = match stage {
        Some(stage) if stage != "$default" => path
            .strip_prefix('/')
            .and_then(|p| p.strip_prefix(stage))
            .filter(|rest| rest.starts_with('/'))
            .unwrap_or(path),
        _ => path,
    };
    // Literal paths first: `/files/read-file` is a file, `/files` is not a file named "".
    let mut rows: Vec<&Row> = TABLE.iter().collect();
    rows.sort_by_key(|row| row.path.contains('{'));
    rows.iter()
        .find_map(|row| Some((row.path, match_path(row.path, path)?)))
}

/// Matches `path` against a table path, decoding each parameter. A greedy `{param+}` takes the
/// rest of the path, `/` included (and nothing, so that `/files/` reaches the route and is
/// refused there as an invalid name). A value that does not decode to UTF-8 becomes `"\0"`, which
/// no parser accepts.
fn match_path(template: &str, path: &str) -> Option<BTreeMap<String, String>> {
    let decode = |raw: &str| {
        percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_or_else(|_| "\0".to_owned(), |n| n.into_owned())
    };
    let mut params = BTreeMap::new();
    let mut rest = path.strip_prefix('/')?;
    let mut segments = template.strip_prefix('/')?.split('/').peekable();
    while let Some(segment) = segments.next() {
        let (here, after) = rest
            .split_once('/')
            .map_or((rest, None), |(h, a)| (h, Some(a)));
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(greedy) if greedy.ends_with('+') && segments.peek().is_none() => {
                params.insert(greedy.trim_end_matches('+').to_owned(), decode(rest));
                return Some(params);
            }
            Some(name) if !here.is_empty() => {
                params.insert(name.to_owned(), decode(here));
            }
            Some(_) => return None,
            None if segment == here => {}
            None => return None,
        }
        match (after, segments.peek()) {
            (Some(after), Some(_)) => rest = after,
            (None, None) => return Some(params),
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;

    const LIMITS: Limits = Limits {
        max_upload_bytes: 10,
        max_presigned_upload_bytes: 10,
        max_single_copy_bytes: 10,
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
            Ok((row, _)) => Ok(row.name),
            Err(e) => Err(format!("{} {}", e.status().as_u16(), e.code())),
        }
    }

    fn name_of(method: &str, path: &str) -> FileName {
        let req = request(method, path);
        match Route::of(&req, LIMITS).unwrap().1 {
            Route::GetFile(get) => get.name().clone(),
            Route::PutFile(put) => put.name().clone(),
            Route::DeleteFile(name) => name,
            other => panic!("{other:?}"),
        }
    }

    fn file(name: &str) -> FileName {
        FileName::parse(name).unwrap()
    }

    #[test]
    fn each_path_and_method_reaches_its_use_case() {
        assert_eq!(route("GET", "/read-file"), Ok("read-file"));
        assert_eq!(route("GET", "/files"), Ok("list-files"));
        assert_eq!(route("GET", "/files/a/b.txt"), Ok("get-file"));
        assert_eq!(route("GET", "/files/read-file"), Ok("get-file"));
        assert_eq!(route("PUT", "/files/a%20b"), Ok("put-file"));
        assert_eq!(route("DELETE", "/files/x"), Ok("delete-file"));
        assert_eq!(
            route("DELETE", "/files"),
            Err("400 invalid_parameter".into())
        );
        assert_eq!(
            route("POST", "/upload-urls"),
            Err("400 invalid_parameter".into())
        );
        assert_eq!(route("GET", "/shares"), Ok("list-shares"));
        assert_eq!(
            route("POST", "/shares"),
            Err("400 invalid_parameter".into())
        );
        assert_eq!(route("GET", "/shares/x/y"), Err("404 not_found".into()));
        assert_eq!(
            route("DELETE", "/shares/bm8"),
            Err("400 invalid_parameter".into())
        );
        assert_eq!(
            route("PUT", "/shares/bm8"),
            Err("405 method_not_allowed".into())
        );
        assert_eq!(name_of("GET", "/files/a/b.txt"), file("a/b.txt"));
        assert_eq!(name_of("PUT", "/files/a%20b"), file("a b"));
        assert_eq!(name_of("DELETE", "/files/%C3%A9t%C3%A9"), file("été"));
        assert_eq!(name_of("GET", "/files/a%2Fb"), file("a/b"));
    }

    #[test]
    fn other_paths_are_404_and_other_methods_405() {
        for path in [
            "/",
            "/read-file/",
            "/read-files",
            "/v1/read-file",
            "/READ-FILE",
            "/upload-urls/x",
            "/filesx",
            "//files",
        ] {
            assert_eq!(route("GET", path), Err("404 not_found".into()), "{path}");
        }
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
            "/files/read-file/x/../",
        ] {
            assert_eq!(
                route("GET", path),
                Err("400 invalid_file_name".into()),
                "{path}"
            );
        }
    }

    #[test]
    fn allow_lists_each_paths_methods_in_table_order() {
        assert_eq!(allow("/files/{name+}"), "GET, PUT, DELETE");
        assert_eq!(allow("/files"), "GET, DELETE");
        assert_eq!(allow("/read-file"), "GET");
        assert_eq!(allow("/upload-urls"), "POST");
        assert_eq!(allow("/nope"), "");
    }

    #[test]
    fn paths_match_literals_single_and_greedy_parameters() {
        let m = |t, p| match_path(t, p).map(|m| m.into_iter().collect::<Vec<_>>());
        let one = |k: &str, v: &str| Some(vec![(k.to_owned(), v.to_owned())]);
        assert_eq!(m("/files", "/files"), Some(vec![]));
        assert_eq!(m("/files", "/files/"), None);
        assert_eq!(m("/files/{name+}", "/files/a/b"), one("name", "a/b"));
        assert_eq!(m("/files/{name+}", "/files/"), one("name", ""));
        assert_eq!(m("/files/{name+}", "/files"), None);
        assert_eq!(m("/u/{id}/parts", "/u/x%20y/parts"), one("id", "x y"));
        assert_eq!(m("/u/{id}/parts", "/u//parts"), None);
        assert_eq!(m("/u/{id}/parts", "/u/x/parts/"), None);
        assert_eq!(m("/u/{id}", "/u/x/y"), None);
        assert_eq!(m("/u/{id}", "/u/%FF"), one("id", "\0"));
    }

    /// The API's one source (the CDK app and the local gateway build the API from it) and this
    /// table name the same routes.
    #[test]
    fn the_table_is_the_apis_route_list() {
        let api: serde_json::Value =
            serde_json::from_str(include_str!("../../infra/api/api.json")).unwrap();
        let mut declared: Vec<(String, String)> = api["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["method"].as_str().unwrap().to_owned(),
                    r["path"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let mut served: Vec<(String, String)> = TABLE
            .iter()
            .map(|row| (row.method.to_string(), row.path.to_owned()))
            .collect();
        declared.sort();
        served.sort();
        assert_eq!(served, declared);
    }
}
