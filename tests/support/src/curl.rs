//! `curl`, an independent HTTP client, on URLs the API signed: what a browser does with them.

use std::process::Command;

/// `curl` on `url` with extra `args`: status and body bytes.
pub fn curl(url: &str, args: &[&str]) -> (u16, Vec<u8>) {
    let out = Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "60"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl runs");
    let text = out.stdout;
    let split = text.iter().rposition(|b| *b == b'\n').expect("status line");
    let status = String::from_utf8_lossy(&text[split + 1..])
        .parse()
        .expect("status");
    (status, text[..split].to_vec())
}

/// `PUT body` to a signed URL with `headers` (as the API listed them): status, the ETag S3
/// answered (if any) and the body (S3's error document on failure).
pub fn put(url: &str, headers: &[(String, String)], body: &[u8]) -> (u16, Option<String>, String) {
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir();
    let file = dir.join(format!("curl-put-{}-{seq}.bin", std::process::id()));
    let head = dir.join(format!("curl-put-{}-{seq}.head", std::process::id()));
    std::fs::write(&file, body).expect("temp file");
    let mut args = vec![
        "-X".to_owned(),
        "PUT".to_owned(),
        "--data-binary".to_owned(),
        format!("@{}", file.display()),
        "-D".to_owned(),
        head.display().to_string(),
    ];
    for (name, value) in headers {
        args.extend(["-H".to_owned(), format!("{name}: {value}")]);
    }
    // Without a signed type, send none, as a browser sends a Blob slice (curl would send a form type).
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type")) {
        args.extend(["-H".to_owned(), "content-type:".to_owned()]);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, reply) = curl(url, &refs);
    let etag = std::fs::read_to_string(&head)
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("etag")
                .then(|| value.trim().to_owned())
        });
    std::fs::remove_file(&file).ok();
    std::fs::remove_file(&head).ok();
    (status, etag, String::from_utf8_lossy(&reply).into_owned())
}
