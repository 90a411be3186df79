//! A practice with one signed-up account per staff role, a clock the test moves, and the real
//! router called in-process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

pub mod browser;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use enamel_app::auth::NewUser;
use enamel_app::{App, AuthSettings, FixedClock, NewPractice, RequestOrigin};
use enamel_crypto::TotpSecret;
use enamel_domain::{PracticeId, Role};
use enamel_web::{WebSettings, router};
use tower::ServiceExt;

pub const START_MS: i64 = 1_790_000_000_000;

pub struct Account {
    pub user_id: String,
    pub username: String,
    pub password: String,
    pub secret: TotpSecret,
}

pub struct Harness {
    pub t: enamel_testkit::TestDb,
    pub app: App,
    pub clock: Arc<FixedClock>,
    pub router: Router,
    pub practice: PracticeId,
    pub accounts: HashMap<Role, Account>,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub json: serde_json::Value,
    pub text: String,
}

pub fn test_settings() -> AuthSettings {
    AuthSettings {
        slow_down_step: Duration::ZERO,
        hashing_permits: 2,
        ..AuthSettings::default()
    }
}

impl Harness {
    pub async fn new() -> Harness {
        Harness::with(test_settings(), WebSettings::default()).await
    }

    pub async fn with(settings: AuthSettings, web: WebSettings) -> Harness {
        let t = enamel_testkit::fresh_db().await;
        t.db.migrate(START_MS).await.unwrap();
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let provider = enamel_crypto::EnvKeyProvider::from_base64("TEST_KEK", &key).unwrap();
        let clock = Arc::new(FixedClock::new(START_MS));
        let app = App::with_settings(t.db.clone(), Arc::new(provider), clock.clone(), settings);
        let practice = app
            .create_practice(
                &NewPractice {
                    display_name: "Test Dental (synthetic)".into(),
                    time_zone: enamel_domain::PracticeTz::utc(),
                },
                RequestOrigin::cli(),
            )
            .await
            .unwrap();
        let router = router(app.clone(), &web);
        let mut h = Harness {
            t,
            app,
            clock,
            router,
            practice,
            accounts: HashMap::new(),
        };
        for role in Role::STAFF {
            let account = h.add_user(practice, role.as_str(), &[*role]).await;
            h.accounts.insert(*role, account);
        }
        // The neutral demo codes, as `enamel import procedure-codes` would load a list.
        #[allow(clippy::disallowed_methods)] // test set-up loads data as the CLI would
        h.app
            .system_bypassing_policy(
                practice,
                enamel_app::SystemReason::Import,
                RequestOrigin::cli(),
            )
            .chart()
            .import_codes(&enamel_domain::clinical::demo_codes(), false)
            .await
            .unwrap();
        h
    }

    /// A second practice on the same server, with one enrolled account of the given role: for
    /// tests that ids, names and records never cross the practice boundary.
    pub async fn other_practice(&self, role: Role) -> (PracticeId, Account) {
        let other = self
            .app
            .create_practice(
                &NewPractice {
                    display_name: "Other Dental (synthetic)".into(),
                    time_zone: enamel_domain::PracticeTz::utc(),
                },
                RequestOrigin::cli(),
            )
            .await
            .unwrap();
        let account = self
            .add_user(other, &format!("other-{}", role.as_str()), &[role])
            .await;
        (other, account)
    }

    /// An enrolled account in `practice` with the given roles.
    #[allow(clippy::disallowed_methods)] // test set-up creates accounts as `enamel init` would
    pub async fn add_user(&self, practice: PracticeId, name: &str, roles: &[Role]) -> Account {
        let username = format!("{}-{}", name.replace('_', "-"), &practice.to_string()[..8]);
        let password = format!("synthetic pass {name} 2026");
        let secret = TotpSecret::generate().unwrap();
        let created = self
            .app
            .create_user_as_system(
                practice,
                &NewUser {
                    username: username.clone(),
                    display_name: format!("Test {name}"),
                    roles: roles.to_vec(),
                },
                Some(&password),
                Some(&secret),
            )
            .await
            .unwrap();
        Account {
            user_id: created.user_id,
            username,
            password,
            secret,
        }
    }

    pub fn account(&self, role: Role) -> &Account {
        &self.accounts[&role]
    }

    pub fn now_secs(&self) -> u64 {
        u64::try_from(enamel_app::Clock::now_ms(self.clock.as_ref()) / 1000).unwrap()
    }

    /// The current TOTP code; moves the clock to a fresh 30-second step first, because a code
    /// is single-use and tests sign the same person in more than once.
    pub fn fresh_code(&self, secret: &TotpSecret) -> String {
        self.clock.advance_ms(30_000);
        enamel_crypto::totp_code(secret, self.now_secs())
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 16 << 20).await.unwrap();
        Answer {
            status: parts.status,
            headers: parts.headers,
            json: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Answer {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(json) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json.to_string()))
                .unwrap(),
            None => builder.body(Body::empty()).unwrap(),
        };
        self.send(request).await
    }

    /// Like [`Harness::call`], with extra headers (`If-Match`, `Content-Type`).
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = match body {
            Some(text) => builder.body(Body::from(text)).unwrap(),
            None => builder.body(Body::empty()).unwrap(),
        };
        self.send(request).await
    }

    pub async fn login_step_one(&self, username: &str, password: &str) -> Answer {
        self.call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(serde_json::json!({"username": username, "password": password})),
        )
        .await
    }

    /// Signs in through the API and returns the bearer token.
    pub async fn login(&self, role: Role) -> String {
        let a = self.account(role);
        self.login_account(a).await
    }

    pub async fn login_account(&self, a: &Account) -> String {
        let one = self.login_step_one(&a.username, &a.password).await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.text);
        assert_eq!(one.json["mfa_required"], true);
        let code = self.fresh_code(&a.secret);
        let two = self
            .call(
                "POST",
                "/api/v1/auth/mfa",
                None,
                Some(serde_json::json!({"mfa_token": one.json["mfa_token"], "code": code})),
            )
            .await;
        assert_eq!(two.status, StatusCode::OK, "{}", two.text);
        two.json["access_token"].as_str().unwrap().to_string()
    }

    /// Audit entries of this practice, oldest first.
    pub async fn audit(&self) -> Vec<enamel_audit::Entry> {
        self.t
            .db
            .audit_entries(&enamel_store::AuditQuery {
                practice_id: Some(self.practice.to_string()),
                actor_id: None,
                patient_id: None,
                action: None,
                outcome: None,
                from_ms: None,
                to_ms: None,
                after_seq: None,
                limit: 1_000_000,
            })
            .await
            .unwrap()
    }

    /// A procedure charted on `patient` by the system (a planned two-surface filling on tooth 3
    /// with a note); returns its id.
    #[allow(clippy::disallowed_methods)] // test set-up seeds data as the CLI would
    pub async fn procedure(&self, patient: &str) -> String {
        let view = self
            .app
            .system_bypassing_policy(
                self.practice,
                enamel_app::SystemReason::DemoData,
                RequestOrigin::cli(),
            )
            .chart()
            .create(
                patient.parse().unwrap(),
                &enamel_domain::clinical::ProcedureDraft {
                    code: "X2120".into(),
                    tooth: Some("3".into()),
                    surfaces: Some("MO".into()),
                    note: Some("Synthetic note: watch the distal margin.".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        view.id.to_string()
    }

    /// A synthetic patient created by the system; returns its id.
    #[allow(clippy::disallowed_methods)] // test set-up seeds data as the CLI would
    pub async fn patient(&self) -> String {
        let id = self
            .app
            .system_bypassing_policy(
                self.practice,
                enamel_app::SystemReason::DemoData,
                RequestOrigin::cli(),
            )
            .patients()
            .create(&enamel_domain::PatientDraft {
                family_name: "Molar".into(),
                given_name: "Testy".into(),
                birth_date: "1980-02-03".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        id.to_string()
    }
}
