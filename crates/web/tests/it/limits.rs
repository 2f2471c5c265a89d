//! Oversize uploads sent without a `Content-Length` (chunked, as a streaming client sends them):
//! every upload route answers 413 with the limit named, and stops reading long before the end.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use http_body::Frame;
use shuangshi_store::{Actor, Role};

use crate::school::{PNG, open_batch, pair, partner};
use crate::support::{Client, TestApp};

const BOUNDARY: &str = "----shuangshi-chunked-7d93";
const CHUNK: usize = 64 * 1024;

/// A multipart body with one `file` part of `size` bytes, made chunk by chunk as it is read (so a
/// 100 MB upload never exists in memory), counting what the server has taken.
struct Streamed {
    head: Option<Bytes>,
    left: usize,
    tail: Option<Bytes>,
    sent: Arc<AtomicUsize>,
}

impl Streamed {
    fn body(file_name: &str, size: usize, csrf: &str) -> (Body, Arc<AtomicUsize>) {
        let mut head = String::new();
        if !csrf.is_empty() {
            head.push_str(&format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n"
            ));
        }
        head.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; \
             filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        ));
        let sent = Arc::new(AtomicUsize::new(0));
        let body = Streamed {
            head: Some(Bytes::from(head)),
            left: size,
            tail: Some(Bytes::from(format!("\r\n--{BOUNDARY}--\r\n"))),
            sent: sent.clone(),
        };
        (Body::new(body), sent)
    }
}

impl http_body::Body for Streamed {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        let next = if let Some(head) = this.head.take() {
            Some(head)
        } else if this.left > 0 {
            let n = this.left.min(CHUNK);
            this.left -= n;
            // PNG-looking bytes, so a route that sniffs the start sees a plausible scan.
            let mut chunk = vec![b'x'; n];
            if this.sent.load(Ordering::Relaxed) < 1024 {
                let k = PNG.len().min(n);
                chunk[..k].copy_from_slice(&PNG[..k]);
            }
            Some(Bytes::from(chunk))
        } else {
            this.tail.take()
        };
        Poll::Ready(next.map(|b| {
            this.sent.fetch_add(b.len(), Ordering::Relaxed);
            Ok(Frame::data(b))
        }))
    }

    // No exact size hint: the request goes out as a chunked one, without Content-Length.
}

async fn post_streamed(
    c: &mut Client,
    uri: &str,
    size: usize,
    csrf: &str,
) -> (crate::support::Resp, usize) {
    let (body, sent) = Streamed::body("大文件.xlsx", size, csrf);
    let mut request = Request::post(uri).header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={BOUNDARY}"),
    );
    if !c.csrf.is_empty() {
        request = request.header("x-csrf-token", &c.csrf);
    }
    let request = request.body(body).unwrap();
    assert!(request.headers().get(header::CONTENT_LENGTH).is_none());
    let r = c.send(request).await;
    (r, sent.load(Ordering::Relaxed))
}

const HUNDRED_MB: usize = 100 * 1024 * 1024;

#[tokio::test]
async fn chunked_oversize_uploads_are_413_naming_the_limit_on_every_upload_route() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "庚", "中职").await;
    let fid = partner(&app, &batch, &p).await;
    let limit_mb = shuangshi_web::security::DEFAULT_BODY_LIMIT / (1024 * 1024);

    let (_, token) = app
        .store()
        .create_token(p.school_user.id, "t", &Actor::system())
        .await
        .unwrap();
    let mut api = app.anon();
    api.bearer = Some(token);
    for uri in [
        format!("/api/v1/forms/{fid}/upload"),
        "/api/v1/check".to_owned(),
        format!("/api/v1/forms/{fid}/scans"),
    ] {
        let (r, sent) = post_streamed(&mut api, &uri, HUNDRED_MB, "").await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}: {}", r.body);
        let error = r.json()["error"].as_str().unwrap().to_owned();
        assert!(
            error.contains("MB") && error.contains("上限"),
            "{uri}: {error}"
        );
        assert!(sent < 30 * 1024 * 1024, "{uri}: read {sent} bytes");
    }
    // The whole-body limit is the one named where no smaller per-file limit applies.
    let (r, _) = post_streamed(&mut api, "/api/v1/check", HUNDRED_MB, "").await;
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains(&format!("{limit_mb} MB")),
        "{}",
        r.body
    );

    let mut school = app.login_as(&p.school_user, crate::support::PASSWORD).await;
    let csrf = school.csrf.clone();
    for uri in [format!("/forms/{fid}/import"), format!("/forms/{fid}/scan")] {
        let (r, sent) = post_streamed(&mut school, &uri, HUNDRED_MB, &csrf).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}: {}", r.body);
        assert!(r.body.contains("MB") && r.body.contains("上限"), "{uri}");
        assert!(sent < 30 * 1024 * 1024, "{uri}: read {sent} bytes");
    }

    let mut admin = app.login(Role::Admin).await;
    let csrf = admin.csrf.clone();
    let (r, _) = post_streamed(&mut admin, "/admin/orgs/import", HUNDRED_MB, &csrf).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body.contains(&format!("{limit_mb} MB")), "{}", r.body);
    let (mut admin_api, _) = app.api_client(Role::Admin).await;
    let (r, _) = post_streamed(&mut admin_api, "/api/v1/orgs/import", HUNDRED_MB, "").await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains(&format!("{limit_mb} MB"))
    );
}

#[tokio::test]
async fn a_chunked_body_under_a_small_limit_passes_and_one_byte_more_is_413() {
    let config = shuangshi_web::WebConfig {
        body_limit: 64 * 1024,
        ..shuangshi_web::WebConfig::default()
    };
    let app = TestApp::with_config(config).await;
    let (mut api, _) = app.api_client(Role::Admin).await;
    // The multipart framing takes a few hundred bytes of the limit.
    let (r, sent) = post_streamed(&mut api, "/api/v1/check", 60 * 1024, "").await;
    assert_ne!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(sent > 60 * 1024);
    let (r, _) = post_streamed(&mut api, "/api/v1/check", 64 * 1024, "").await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(
        r.json()["error"].as_str().unwrap().contains("64 KB"),
        "{}",
        r.body
    );
}
