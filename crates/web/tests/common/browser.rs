//! A browser as the staff pages see it: the session cookie, the anti-forgery token its pages
//! carry, and forms posted from our own origin.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use enamel_domain::Role;

use super::{Answer, Harness};

pub const SESSION: &str = "__Host-enamel_session";
pub const PENDING: &str = "__Host-enamel_pending";

/// A cookie's value from an answer's `Set-Cookie` headers.
pub fn set_cookie(answer: &Answer, name: &str) -> String {
    answer
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", answer.headers))
        .to_string()
}

pub fn form_body(pairs: &[(&str, &str)]) -> String {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A browser's session: its cookie and the anti-forgery token its pages carry.
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

impl Browser {
    pub async fn sign_in(h: &Harness, role: Role) -> Browser {
        let a = h.account(role);
        let body = form_body(&[("username", &a.username), ("password", &a.password)]);
        let one = h
            .call_with(
                "POST",
                "/sign-in",
                None,
                Some(body),
                &[("content-type", "application/x-www-form-urlencoded")],
            )
            .await;
        assert_eq!(one.status, StatusCode::SEE_OTHER, "{}", one.text);
        let pending = format!("{PENDING}={}", set_cookie(&one, PENDING));
        let code = h.fresh_code(&a.secret);
        let two = h
            .call_with(
                "POST",
                "/sign-in/code",
                None,
                Some(form_body(&[("code", &code)])),
                &[
                    ("content-type", "application/x-www-form-urlencoded"),
                    ("cookie", &pending),
                ],
            )
            .await;
        assert_eq!(two.status, StatusCode::SEE_OTHER, "{}", two.text);
        let cookie = format!("{SESSION}={}", set_cookie(&two, SESSION));
        let mut browser = Browser {
            cookie,
            csrf: String::new(),
        };
        let home = browser.get(h, "/").await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.text);
        let marker = "name=\"csrf\" value=\"";
        let start = home.text.find(marker).expect("a csrf input") + marker.len();
        let end = start + home.text[start..].find('"').unwrap();
        browser.csrf = home.text[start..end].to_string();
        browser
    }

    pub async fn get(&self, h: &Harness, path: &str) -> Answer {
        h.call_with("GET", path, None, None, &[("cookie", &self.cookie)])
            .await
    }

    /// Posts a form as a page of this origin would.
    pub async fn post(&self, h: &Harness, path: &str, pairs: &[(&str, &str)]) -> Answer {
        self.post_from(h, path, pairs, "same-origin").await
    }

    pub async fn post_from(
        &self,
        h: &Harness,
        path: &str,
        pairs: &[(&str, &str)],
        site: &str,
    ) -> Answer {
        let request = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &self.cookie)
            .header("sec-fetch-site", site)
            .body(Body::from(form_body(pairs)))
            .unwrap();
        h.send(request).await
    }
}
