//! File names as users give them, and the S3 keys built from them.

use crate::error::ApiError;
use crate::identity::IdentityId;

/// S3's limit on a whole object key, in bytes.
const MAX_KEY_BYTES: usize = 1024;

/// A user's file name, relative to their own folder: 1-1024 bytes of UTF-8, `/`-separated
/// segments, none empty, `.` or `..`, no control character and no `\`.
///
/// Only [`FileName::parse`] builds one, so every name in the program passed these rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    /// Longest name accepted, in bytes (the object key adds the prefix and IdentityId).
    pub const MAX_BYTES: usize = 1024;

    /// Checks `name` (already percent-decoded) against the rules above.
    pub fn parse(name: &str) -> Result<Self, ApiError> {
        let invalid = ApiError::InvalidFileName;
        if name.is_empty() {
            return Err(invalid("the name is empty"));
        }
        if name.len() > Self::MAX_BYTES {
            return Err(invalid("the name is longer than 1024 bytes"));
        }
        if name.chars().any(|c| c.is_control() || c == '\\') {
            return Err(invalid("the name contains a control character or '\\'"));
        }
        if name
            .split('/')
            .any(|segment| segment.is_empty() || segment == "." || segment == "..")
        {
            return Err(invalid(
                "empty, '.' and '..' segments (and leading or trailing '/') are not allowed",
            ));
        }
        Ok(FileName(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for FileName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A name as S3 listed it below a user's folder: whatever the user's own keys stored there,
/// including names [`FileName::parse`] refuses (`a//b`, `a/../b`, control characters), which
/// direct uploads with the identity's keys can create. S3 keys are literal: such a name is
/// still inside the folder, it is only unreachable through a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredName(String);

impl StoredName {
    /// A name as S3 gave it.
    pub fn new(name: &str) -> Self {
        StoredName(name.to_owned())
    }

    /// The name decoded from [`StoredName::id`]: 1-1024 bytes of UTF-8 (S3's key limit).
    pub fn from_id(id: &str) -> Result<Self, ApiError> {
        use base64::Engine;
        let invalid = || ApiError::InvalidParameter("id", "a file id from a listing");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(id)
            .map_err(|_| invalid())?;
        let name = String::from_utf8(bytes).map_err(|_| invalid())?;
        if name.is_empty() || name.len() > MAX_KEY_BYTES {
            return Err(invalid());
        }
        Ok(StoredName(name))
    }

    /// The name as text (it may hold control characters: escape it wherever it is shown).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as the API addresses it, if it follows the rules.
    pub fn file_name(&self) -> Option<FileName> {
        FileName::parse(&self.0).ok()
    }

    /// An opaque id for the name (unpadded base64url of its bytes), which `DELETE /files?id=`
    /// takes for names a path cannot carry.
    pub fn id(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&self.0)
    }
}

/// `<prefix>/<IdentityId>/<name>`: buildable only from an [`IdentityId`] and a [`FileName`] (or
/// a [`StoredName`] S3 listed there), so every key is inside its identity's own folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// The key of `name` in `id`'s folder; refused when the whole key would exceed S3's 1024 bytes.
    pub fn file(prefix: &str, id: &IdentityId, name: &FileName) -> Result<Self, ApiError> {
        let key = format!("{}{name}", folder(prefix, id));
        if key.len() > MAX_KEY_BYTES {
            return Err(ApiError::InvalidFileName(
                "the name is too long for this user's folder (S3 keys are at most 1024 bytes)",
            ));
        }
        Ok(ObjectKey(key))
    }

    /// The key of a name stored in `id`'s folder, as S3 listed it (or its [`StoredName::id`]).
    /// The folder is a literal prefix and S3 does not resolve `..`, so the key stays inside it.
    pub fn stored(prefix: &str, id: &IdentityId, name: &StoredName) -> Self {
        ObjectKey(format!("{}{}", folder(prefix, id), name.as_str()))
    }

    /// The zero-byte marker of the folder `name` (`<prefix>/<IdentityId>/<name>/`, as the S3
    /// console makes them), which lists the folder while it holds nothing else.
    pub fn folder_marker(prefix: &str, id: &IdentityId, name: &FileName) -> Result<Self, ApiError> {
        let key = format!("{}{name}/", folder(prefix, id));
        if key.len() > MAX_KEY_BYTES {
            return Err(ApiError::InvalidFileName(
                "the name is too long for this user's folder (S3 keys are at most 1024 bytes)",
            ));
        }
        Ok(ObjectKey(key))
    }

    /// The record of an unfinished upload of `size` bytes with S3's `upload_id`:
    /// `<prefix>/<IdentityId>/` + [`UPLOAD_RECORDS`] + `<size>.<base64url(upload_id)>`, a zero-byte
    /// object in a part of the folder no [`FileName`] reaches (its first segment is empty).
    pub fn upload_record(prefix: &str, id: &IdentityId, size: u64, upload_id: &str) -> Self {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(upload_id);
        ObjectKey(format!("{}{size}.{encoded}", records_prefix(prefix, id)))
    }

    /// The data file `GET /read-file` returns: `<prefix>/<IdentityId>/data.txt`.
    pub fn data_file(prefix: &str, id: &IdentityId) -> Self {
        ObjectKey(format!("{}data.txt", folder(prefix, id)))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A share: the copy of the owner's file `name` made for the recipient, at
/// `<prefix>-shared/<recipient IdentityId>/<owner IdentityId>/<name>`. The identity pool's role
/// (`infra/policies/user-shares.json`) lets a recipient read and list only below
/// `<prefix>-shared/<own IdentityId>/`, and an owner write and delete only where the segment
/// after the recipient's is the owner's own IdentityId: who shared what with whom is IAM's to
/// say, whatever this type holds.
///
/// Its id (unpadded base64url of `<recipient>/<owner>/<name>`) is what clients hold; the
/// identities in an id a client sent are only checked for shape, and used only as the other
/// party of a key whose own party is the caller's confirmed identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    recipient: String,
    owner: String,
    name: FileName,
}

impl Share {
    /// The share of `owner`'s `name` with `recipient`.
    pub fn new(recipient: &IdentityId, owner: &IdentityId, name: FileName) -> Self {
        Share {
            recipient: recipient.to_string(),
            owner: owner.to_string(),
            name,
        }
    }

    /// The share an id names: 400 `invalid_parameter` unless it decodes to two well-formed
    /// IdentityIds and a file name.
    pub fn from_id(id: &str) -> Result<Self, ApiError> {
        use base64::Engine;
        let invalid = || ApiError::InvalidParameter("id", "a share id from GET /shares");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(id)
            .map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (recipient, rest) = text.split_once('/').ok_or_else(invalid)?;
        let (owner, name) = rest.split_once('/').ok_or_else(invalid)?;
        Self::from_parts(recipient, owner, name).ok_or_else(invalid)
    }

    /// The share a key listed below `recipient`'s inbox names (`<owner>/<name>` after the
    /// inbox), if its owner segment is an IdentityId and its name one the API addresses.
    pub fn received(recipient: &IdentityId, rest: &str) -> Option<Self> {
        let (owner, name) = rest.split_once('/')?;
        Self::from_parts(recipient.as_str(), owner, name)
    }

    fn from_parts(recipient: &str, owner: &str, name: &str) -> Option<Self> {
        let well_formed = crate::identity::well_formed;
        (well_formed(recipient) && well_formed(owner)).then_some(())?;
        Some(Share {
            recipient: recipient.to_owned(),
            owner: owner.to_owned(),
            name: FileName::parse(name).ok()?,
        })
    }

    /// The id clients hold.
    pub fn id(&self) -> String {
        use base64::Engine;
        let text = format!("{}/{}/{}", self.recipient, self.owner, self.name);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
    }

    /// The copy's key; refused when it would exceed S3's 1024 bytes.
    pub fn key(&self, prefix: &str) -> Result<ObjectKey, ApiError> {
        let (root, recipient, owner) = (shared_root(prefix), &self.recipient, &self.owner);
        let key = format!("{root}{recipient}/{owner}/{}", self.name);
        if key.len() > MAX_KEY_BYTES {
            return Err(ApiError::InvalidFileName(
                "the name is too long to share (S3 keys are at most 1024 bytes)",
            ));
        }
        Ok(ObjectKey(key))
    }

    /// Whether `id` is the recipient.
    pub fn is_for(&self, id: &IdentityId) -> bool {
        self.recipient == id.as_str()
    }

    /// Whether `id` is the owner.
    pub fn is_from(&self, id: &IdentityId) -> bool {
        self.owner == id.as_str()
    }

    /// The owner's IdentityId, as text.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The recipient's IdentityId, as text.
    pub fn recipient(&self) -> &str {
        &self.recipient
    }

    /// The shared file's name (the owner's name for it).
    pub fn name(&self) -> &FileName {
        &self.name
    }
}

/// `<prefix>-shared/`: below it, every share, by recipient.
pub fn shared_root(prefix: &str) -> String {
    format!("{prefix}-shared/")
}

/// `<prefix>-shared/<IdentityId>/`: what is shared with `id`.
pub fn inbox(prefix: &str, id: &IdentityId) -> String {
    format!("{}{id}/", shared_root(prefix))
}

/// Where the API records a user's unfinished uploads, relative to the user's folder. S3 cannot list
/// in-progress multipart uploads by prefix under IAM (`s3:ListBucketMultipartUploads` takes no
/// `s3:prefix` condition), so `GET /uploads` lists these records instead. The leading `/` makes an
/// empty first segment, which [`FileName::parse`] refuses: no file, folder, copy or move of the
/// API can reach them, and listings leave them out ([`is_reserved`]).
pub const UPLOAD_RECORDS: &str = "/uploads/";

/// `<prefix>/<IdentityId>//uploads/`, the prefix of `id`'s upload records.
pub fn records_prefix(prefix: &str, id: &IdentityId) -> String {
    format!("{}{UPLOAD_RECORDS}", folder(prefix, id))
}

/// The size and S3 upload id a record's name (relative to the records' prefix) carries.
pub fn parse_record(name: &str) -> Option<(u64, String)> {
    use base64::Engine;
    let (size, encoded) = name.split_once('.')?;
    let size = size.parse().ok()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .ok()?;
    Some((size, String::from_utf8(bytes).ok()?))
}

/// Whether a name relative to a user's folder is the API's own (an upload record, or the empty-named
/// folder that holds them), which listings do not show.
pub fn is_reserved(name: &str) -> bool {
    name.starts_with(UPLOAD_RECORDS) || name == "/"
}

/// `<prefix>/<IdentityId>/`, the folder every key of `id` starts with.
pub fn folder(prefix: &str, id: &IdentityId) -> String {
    format!("{prefix}/{id}/")
}

/// The folder of `sub` in `id`'s folder, for listing: `<prefix>/<IdentityId>/[<sub>/]`.
pub fn list_prefix(prefix: &str, id: &IdentityId, sub: Option<&FileName>) -> String {
    match sub {
        Some(sub) => format!("{}{sub}/", folder(prefix, id)),
        None => folder(prefix, id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: &str = "us-east-1:11111111-2222-3333-4444-555555555555";
    const O: &str = "us-east-1:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

    fn share(name: &str) -> Share {
        let id = |s: &str| IdentityId::from_table(s).unwrap();
        Share::new(&id(R), &id(O), FileName::parse(name).unwrap())
    }

    #[test]
    fn a_share_is_recipient_owner_name_and_its_id_names_it_back() {
        let s = share("docs/q3 été.pdf");
        assert_eq!(
            s.key("cognito-test").unwrap().as_str(),
            format!("cognito-test-shared/{R}/{O}/docs/q3 été.pdf")
        );
        assert_eq!(Share::from_id(&s.id()).unwrap(), s);
        let (r, o) = (
            IdentityId::from_table(R).unwrap(),
            IdentityId::from_table(O).unwrap(),
        );
        assert!(s.is_for(&r) && !s.is_for(&o));
        assert!(s.is_from(&o) && !s.is_from(&r));
        assert_eq!(inbox("p", &r), format!("p-shared/{R}/"));
        assert_eq!(
            Share::received(&r, &format!("{O}/docs/q3 été.pdf")),
            Some(s)
        );
    }

    #[test]
    fn ids_and_listed_keys_that_do_not_name_a_share_are_refused() {
        use base64::Engine;
        let encode = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        for text in [
            "",
            "no-slashes",
            &format!("{R}/{O}"),
            &format!("{R}/{O}/"),
            &format!("{R}/{O}/a//b"),
            &format!("{R}/{O}/../x"),
            &format!("not-an-id/{O}/x"),
            &format!("{R}/not:an id/x"),
            &format!("{R}/{O}/x\u{1}"),
        ] {
            let err = Share::from_id(&encode(text)).unwrap_err();
            assert_eq!(err.code(), "invalid_parameter", "{text:?}");
        }
        assert!(Share::from_id("not base64!").is_err());
        let r = IdentityId::from_table(R).unwrap();
        for rest in ["x.txt", &format!("{O}/"), &format!("{O}/a//b"), "owner/x"] {
            assert_eq!(Share::received(&r, rest), None, "{rest:?}");
        }
        let long = "n".repeat(1000);
        assert_eq!(
            share(&long).key("cognito-test").unwrap_err().code(),
            "invalid_file_name"
        );
    }

    #[test]
    fn ordinary_names_are_accepted_as_they_are() {
        for name in [
            "data.txt",
            "a b.txt",
            "docs/2026/report.pdf",
            "été/日本語.md",
            "..hidden",
            "a..b",
            ".profile",
            "x",
            "%2e%2e",
        ] {
            assert_eq!(FileName::parse(name).unwrap().as_str(), name);
        }
        assert!(FileName::parse(&"n".repeat(1024)).is_ok());
    }

    #[test]
    fn hostile_names_are_refused() {
        for name in [
            "", "/", "/a", "a/", "a//b", ".", "..", "../a", "a/../b", "a/./b", "a/..", "a\\b",
            "..\\a", "a\0b", "a\nb", "a\tb", "\u{7f}", "\u{85}",
        ] {
            assert!(FileName::parse(name).is_err(), "{name:?}");
        }
        assert!(FileName::parse(&"n".repeat(1025)).is_err());
    }

    const ID: &str = "us-east-1:0f6e1c4a-2b3d-4e5f-8a9b-0c1d2e3f4a5b";

    #[test]
    fn keys_are_the_folder_plus_the_name_within_s3s_limit() {
        let id = IdentityId::for_tests(ID);
        let name = FileName::parse("a/b.txt").unwrap();
        assert_eq!(
            ObjectKey::file("cognito-test", &id, &name)
                .unwrap()
                .as_str(),
            format!("cognito-test/{ID}/a/b.txt")
        );
        assert_eq!(
            ObjectKey::data_file("cognito-test", &id),
            ObjectKey::file("cognito-test", &id, &FileName::parse("data.txt").unwrap()).unwrap()
        );
        let room = 1024 - format!("cognito-test/{ID}/").len();
        assert!(
            ObjectKey::file(
                "cognito-test",
                &id,
                &FileName::parse(&"n".repeat(room)).unwrap()
            )
            .is_ok()
        );
        assert!(
            ObjectKey::file(
                "cognito-test",
                &id,
                &FileName::parse(&"n".repeat(room + 1)).unwrap()
            )
            .is_err()
        );
    }

    #[test]
    fn stored_names_round_trip_through_their_id_and_stay_in_the_folder() {
        let id = IdentityId::for_tests(ID);
        for raw in ["a//b", "a/../b", "x\ny", "../../other", "ok.txt", "été"] {
            let name = StoredName::new(raw);
            assert_eq!(name.file_name().is_some(), FileName::parse(raw).is_ok());
            let back = StoredName::from_id(&name.id()).unwrap();
            assert_eq!(back, name);
            let key = ObjectKey::stored("cognito-test", &id, &back);
            assert_eq!(key.as_str(), format!("cognito-test/{ID}/{raw}"));
        }
        for bad in ["", "!!", "_w", &"QQ".repeat(700)] {
            assert!(StoredName::from_id(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(4096))]

        /// Whatever the input, a key is either refused or inside the identity's own folder, and
        /// no segment after the folder can climb out of it.
        #[test]
        fn no_name_yields_a_key_outside_the_identitys_folder(
            name in proptest::prop_oneof![
                proptest::string::string_regex("[./\\a%\\x00-\\x1f\\u{7f}-\\u{9f}é日]{0,40}").unwrap(),
                proptest::string::string_regex("(\\.\\.?/|/|[a-z]{1,3}/?){0,12}").unwrap(),
                proptest::prelude::any::<String>(),
            ]
        ) {
            let id = IdentityId::for_tests(ID);
            let folder = format!("cognito-test/{ID}/");
            if let Ok(parsed) = FileName::parse(&name) {
                proptest::prop_assert_eq!(parsed.as_str(), name.as_str());
                if let Ok(key) = ObjectKey::file("cognito-test", &id, &parsed) {
                    let rest = key.as_str().strip_prefix(&folder);
                    proptest::prop_assert!(rest.is_some());
                    let rest = rest.unwrap();
                    proptest::prop_assert!(!rest.is_empty() && key.as_str().len() <= 1024);
                    proptest::prop_assert!(rest.split('/').all(|s| !s.is_empty() && s != "." && s != ".."));
                    proptest::prop_assert!(!rest.contains('\\') && !rest.chars().any(char::is_control));
                }
            }
        }
    }
}
