//! E-mail, when the operator configured an SMTP server (`serve --smtp-url`): the commission's
//! reminders go to the accounts of the unit that is behind. Without a server nothing is mailed and
//! the reminder still shows on the unit's 工作台.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Mailboxes};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// An SMTP relay and the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    url_shown: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.url_shown)
            .field("from", &self.from.to_string())
            .finish()
    }
}

/// The URL without its password, for logs and pages.
fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

impl Mailer {
    /// A mailer for `url` (`smtp://host:25`, `smtp://host:587?tls=required`,
    /// `smtps://user:password@host:465`) sending as `from`; a Chinese message saying what is
    /// accepted when either cannot be read.
    pub fn new(url: &str, from: &str) -> Result<Mailer, String> {
        let shown = without_password(url);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| {
                format!(
                    "邮件服务器地址「{shown}」无法识别（{e}）；应形如 smtp://邮件服务器:25、\
                     smtp://邮件服务器:587?tls=required 或 smtps://用户名:密码@邮件服务器:465"
                )
            })?
            .timeout(Some(Duration::from_secs(15)))
            .build();
        let from: Mailbox = from.trim().parse().map_err(|_| {
            format!("发件人地址「{from}」格式不正确，应形如 双千双师 <noreply@example.com> 或 noreply@example.com")
        })?;
        Ok(Mailer {
            transport,
            from,
            url_shown: shown,
        })
    }

    /// The server as shown to people (no password).
    pub fn server(&self) -> &str {
        &self.url_shown
    }

    /// Sends one plain-text message to `to` (name, address); a Chinese message on failure.
    pub async fn send(
        &self,
        to: &[(String, String)],
        subject: &str,
        body: &str,
    ) -> Result<(), String> {
        let mut boxes = Mailboxes::new();
        for (name, address) in to {
            let addr = address
                .parse()
                .map_err(|_| format!("收件人地址「{address}」格式不正确"))?;
            boxes.push(Mailbox::new(Some(name.clone()), addr));
        }
        if boxes.iter().next().is_none() {
            return Err("没有收件人".to_owned());
        }
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(subject)
            .header(ContentType::TEXT_PLAIN);
        for b in boxes {
            builder = builder.to(b);
        }
        let message = builder
            .body(body.to_owned())
            .map_err(|e| format!("邮件无法生成：{e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("邮件服务器 {} 未能发送：{e}", self.url_shown))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_url_or_sender_is_refused_in_chinese_and_the_password_is_never_shown() {
        let e = Mailer::new("ftp://user:secret@mail.example.com", "a@example.com")
            .err()
            .unwrap_or_default();
        assert!(e.contains("无法识别"), "{e}");
        assert!(!e.contains("secret"), "{e}");
        let e = Mailer::new("smtp://127.0.0.1:2525", "not an address")
            .err()
            .unwrap_or_default();
        assert!(e.contains("发件人地址"), "{e}");
        let m = Mailer::new(
            "smtp://u:pw@127.0.0.1:2525",
            "双千双师 <noreply@example.com>",
        );
        assert_eq!(
            m.as_ref().map(|m| m.server().to_owned()),
            Ok("smtp://127.0.0.1:2525".to_owned())
        );
    }
}
