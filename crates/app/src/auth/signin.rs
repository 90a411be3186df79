//! Password, then second factor, then a fresh session. The half-signed-in state between the
//! two steps is a short-lived session row of its own (stage `password` or `enroll`), deleted
//! when it is exchanged, so neither its token nor the password step can be replayed.

use enamel_crypto::{OpaqueToken, TotpSecret};
use enamel_domain::{AccessMethod, AuditAction, AuditSubject, Outcome, PracticeId, RecordKind};
use enamel_store::{ResolvedSession, SessionRow, UserRow};
use zeroize::Zeroizing;

use super::throttle::Reservation;
use super::{ms, normalize_username};
use crate::access::SessionKind;
use crate::kernel::{Entries, Unaudited, no_entries, seal};
use crate::{App, AppError, AuditDraft, RequestOrigin};
use enamel_store::SealedColumn;
use enamel_store::specs::USERS;

pub(crate) const SESSION_PREFIX: &str = "ens_";
const PENDING_PREFIX: &str = "enp_";
const TOTP_SECRET: SealedColumn = USERS.column("totp_secret");
const TOTP_PENDING: SealedColumn = USERS.column("totp_pending");
const RECOVERY_CODES: usize = 10;

/// Password accepted; the second factor is next. The token is shown to the client once.
#[derive(Clone)]
pub struct PendingSignIn {
    pub token: Zeroizing<String>,
    /// The account has no second factor yet: it must enroll one now.
    pub enroll: bool,
    pub expires_in_secs: i64,
}

impl std::fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSignIn")
            .field("enroll", &self.enroll)
            .finish_non_exhaustive()
    }
}

/// A full session: the token goes into a cookie or an `Authorization: Bearer` header.
#[derive(Clone)]
pub struct NewSession {
    pub token: Zeroizing<String>,
    pub session_id: String,
    pub kind: SessionKind,
    /// Seconds of inactivity after which the session ends.
    pub idle_secs: i64,
    /// Seconds until the session ends whatever happens.
    pub absolute_secs: i64,
    /// Recovery codes, only right after enrollment: shown once.
    pub recovery_codes: Vec<String>,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("session_id", &self.session_id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// What an enrolling person needs to set up their authenticator app.
#[derive(Clone)]
pub struct Enrollment {
    pub secret_base32: Zeroizing<String>,
    pub otpauth_uri: Zeroizing<String>,
    pub qr_svg: String,
}

impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrollment { .. }")
    }
}

fn sign_in_audit(
    origin: &RequestOrigin,
    user: Option<&UserRow>,
    action: AuditAction,
    outcome: Outcome,
) -> AuditDraft {
    AuditDraft {
        practice_id: user.map(|u| u.practice_id.clone()),
        actor_id: user.map(|u| u.id.clone()),
        actor_role: None,
        patient_id: None,
        record_type: None,
        record_id: None,
        action,
        outcome,
        client_ip: origin.client_ip.clone(),
        user_agent: origin.user_agent.clone(),
        access_method: origin.method,
        reason: None,
    }
}

fn kind_of(origin: &RequestOrigin) -> SessionKind {
    match origin.method {
        AccessMethod::Api => SessionKind::Api,
        _ => SessionKind::Web,
    }
}

impl App {
    pub(crate) async fn open_user_secret(
        &self,
        user: &UserRow,
        column: SealedColumn,
        sealed: &[u8],
    ) -> Result<TotpSecret, AppError> {
        let practice_id: PracticeId = user
            .practice_id
            .parse()
            .map_err(|_| AppError::Internal("stored practice id is malformed".into()))?;
        let bytes = self
            .with_keys(practice_id, |keys| {
                seal::open(keys, column, &user.id, sealed)
            })
            .await?;
        Ok(TotpSecret::from_bytes(bytes.to_vec())?)
    }

    /// Step one: the password. Answers identically (body, status, and the cost of one
    /// Argon2id verification) for a wrong password, an unknown user and a disabled account.
    pub async fn sign_in_password(
        &self,
        username: &str,
        password: &str,
        origin: &RequestOrigin,
    ) -> Result<PendingSignIn, AppError> {
        let username = normalize_username(username);
        let mut keys = vec![self.account_key(&username)];
        keys.extend(self.client_key(origin.client_ip.as_deref()));
        // Counted before the hash is checked: parallel guesses get no more tries than serial.
        let attempt = self.throttle_reserve(&keys).await?;

        let user = if username.is_empty() || username.len() > 254 {
            None
        } else {
            self.db().user_by_username(&username).await?
        };
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let verified = self.password_pool().verify(hash, password).await;
        let (matches, attempt) = self.judged(attempt, verified).await?;
        let usable = user.as_ref().filter(|u| u.status == "active");
        let Some(user) = usable.filter(|_| matches) else {
            let failure = sign_in_audit(
                origin,
                user.as_ref(),
                AuditAction::SignInFailed,
                Outcome::Denied,
            );
            let locked = user.as_ref().map(|user| {
                sign_in_audit(
                    origin,
                    Some(user),
                    AuditAction::AccountLocked,
                    Outcome::Denied,
                )
            });
            self.throttle_failed(attempt, failure, locked).await?;
            return Err(AppError::SignInFailed);
        };
        self.throttle_release(attempt).await?;

        let enroll = user.totp_secret.is_none();
        let now = self.clock().now_ms();
        let (token, hash) = OpaqueToken::generate(PENDING_PREFIX)?;
        let lifetime = ms(self.auth_settings().pending_lifetime);
        let row = SessionRow {
            token_hash: hash.to_vec(),
            id: uuid::Uuid::new_v4().to_string(),
            practice_id: user.practice_id.clone(),
            user_id: user.id.clone(),
            kind: kind_of(origin).as_str().into(),
            stage: if enroll { "enroll" } else { "password" }.into(),
            created_ms: now,
            last_seen_ms: now,
            idle_ms: lifetime,
            expires_ms: now + lifetime,
            mfa_ms: None,
            mfa_failures: 0,
            revoked_ms: None,
            client_ip: origin.client_ip.clone(),
            user_agent: origin.user_agent.clone(),
        };
        let mut tx = self.begin_write().await?;
        tx.insert_session(&row).await?;
        tx.commit_unaudited(Unaudited::PendingSignIn).await?;
        Ok(PendingSignIn {
            token: Zeroizing::new(token),
            enroll,
            expires_in_secs: lifetime / 1000,
        })
    }

    /// The half-finished sign-in behind a pending token, if it is still usable.
    async fn pending(
        &self,
        token: &str,
        stage: &str,
    ) -> Result<(ResolvedSession, [u8; 32]), AppError> {
        let hash = OpaqueToken::hash(token);
        let now = self.clock().now_ms();
        let found = self.db().session_by_token(&hash).await?;
        match found {
            Some(s)
                if s.session.stage == stage
                    && s.session.revoked_ms.is_none()
                    && s.session.expires_ms > now
                    && s.user_status == "active" =>
            {
                Ok((s, hash))
            }
            _ => Err(AppError::Unauthenticated),
        }
    }

    /// Checks a TOTP code (single use: the time step is claimed atomically) or, failing that,
    /// an unused recovery code (used up by this call).
    pub(crate) async fn check_second_factor(
        &self,
        user: &UserRow,
        code: &str,
    ) -> Result<bool, AppError> {
        let Some(sealed) = &user.totp_secret else {
            return Ok(false);
        };
        let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.len() == 6 && compact.chars().all(|c| c.is_ascii_digit()) {
            let secret = self.open_user_secret(user, TOTP_SECRET, sealed).await?;
            let now_secs = u64::try_from(self.clock().now_ms() / 1000).unwrap_or(0);
            let last = user.totp_last_step.and_then(|s| u64::try_from(s).ok());
            let Some(step) = enamel_crypto::verify_totp(&secret, &compact, now_secs, last) else {
                return Ok(false);
            };
            let step = i64::try_from(step).unwrap_or(i64::MAX);
            return Ok(self
                .db()
                .claim_totp_step(&user.practice_id, &user.id, step)
                .await?);
        }
        if compact.len() > 64 {
            return Ok(false);
        }
        let hash = enamel_crypto::hash_recovery_code(&compact);
        Ok(self
            .db()
            .use_recovery_code(&user.practice_id, &user.id, &hash, self.clock().now_ms())
            .await?)
    }

    /// A wrong code on a half-finished sign-in: audited and counted (the attempt was reserved
    /// before the code was checked); the sign-in is thrown away after `max_code_failures`.
    async fn second_factor_failed(
        &self,
        attempt: Reservation,
        user: &UserRow,
        origin: &RequestOrigin,
    ) -> Result<AppError, AppError> {
        let failure = sign_in_audit(origin, Some(user), AuditAction::MfaFailed, Outcome::Denied);
        let locked = sign_in_audit(
            origin,
            Some(user),
            AuditAction::AccountLocked,
            Outcome::Denied,
        );
        self.throttle_failed(attempt, failure, Some(locked)).await?;
        Ok(AppError::SecondFactorFailed)
    }

    /// Step two: a TOTP or recovery code turns the pending sign-in into a fresh session.
    /// Refused while the account or the client is locked.
    pub async fn sign_in_second_factor(
        &self,
        pending_token: &str,
        code: &str,
        origin: &RequestOrigin,
    ) -> Result<NewSession, AppError> {
        let (pending, hash) = self.pending(pending_token, "password").await?;
        let user = self
            .db()
            .user(&pending.session.practice_id, &pending.session.user_id)
            .await?;
        let attempt = self
            .throttle_reserve_in_session(&hash, &user.username, origin)
            .await?;
        let (checked, attempt) = self
            .judged(attempt, self.check_second_factor(&user, code).await)
            .await?;
        if !checked {
            return Err(self.second_factor_failed(attempt, &user, origin).await?);
        }
        self.throttle_release(attempt).await?;
        self.start_session(&hash, &user, origin, Vec::new(), None)
            .await
    }

    /// First sign-in: makes (or shows again) the new TOTP secret for the authenticator app.
    pub async fn begin_enrollment(&self, pending_token: &str) -> Result<Enrollment, AppError> {
        let (pending, _) = self.pending(pending_token, "enroll").await?;
        let user = self
            .db()
            .user(&pending.session.practice_id, &pending.session.user_id)
            .await?;
        if user.totp_secret.is_some() {
            // Enrolled since this sign-in began (another sign-in finished first).
            return Err(AppError::Unauthenticated);
        }
        let secret = match &user.totp_pending {
            Some(sealed) => self.open_user_secret(&user, TOTP_PENDING, sealed).await?,
            None => {
                let secret = TotpSecret::generate()?;
                self.store_user_secrets(&user, None, Some(&secret)).await?;
                secret
            }
        };
        let issuer = self.auth_settings().totp_issuer.clone();
        let uri = enamel_crypto::otpauth_uri(&secret, &issuer, &user.username);
        Ok(Enrollment {
            qr_svg: enamel_crypto::qr_svg(&uri)?,
            secret_base32: Zeroizing::new(secret.to_base32()),
            otpauth_uri: Zeroizing::new(uri),
        })
    }

    /// Seals both TOTP columns under the active key version (a row has one version), only
    /// while the account has no confirmed second factor: once one is enrolled, this is
    /// `Unauthenticated` and nothing is written (checked in the writing statement itself, so
    /// two enrollments racing cannot both win).
    pub(crate) async fn store_user_secrets(
        &self,
        user: &UserRow,
        secret: Option<&TotpSecret>,
        pending: Option<&TotpSecret>,
    ) -> Result<(), AppError> {
        let practice_id: PracticeId = user
            .practice_id
            .parse()
            .map_err(|_| AppError::Internal("stored practice id is malformed".into()))?;
        let keys = self.keys_of(practice_id).await?;
        let seal_opt = |column, s: Option<&TotpSecret>| -> Result<Option<Vec<u8>>, AppError> {
            s.map(|s| seal::seal(&keys, column, &user.id, s.expose_bytes()))
                .transpose()
                .map_err(AppError::from)
        };
        let mut tx = self.begin_write().await?;
        let written = tx
            .set_user_totp_if_unenrolled(
                &user.practice_id,
                &user.id,
                i64::from(keys.active_version()),
                seal_opt(TOTP_SECRET, secret)?.as_deref(),
                seal_opt(TOTP_PENDING, pending)?.as_deref(),
                self.clock().now_ms(),
            )
            .await?;
        if !written {
            tx.rollback().await?;
            return Err(AppError::Unauthenticated);
        }
        tx.commit_unaudited(Unaudited::TotpEnrolmentStep).await?;
        Ok(())
    }

    /// Confirms enrollment with a first code from the app, hands out recovery codes (once)
    /// and starts the session.
    pub async fn finish_enrollment(
        &self,
        pending_token: &str,
        code: &str,
        origin: &RequestOrigin,
    ) -> Result<NewSession, AppError> {
        let (pending, hash) = self.pending(pending_token, "enroll").await?;
        let user = self
            .db()
            .user(&pending.session.practice_id, &pending.session.user_id)
            .await?;
        if user.totp_secret.is_some() {
            return Err(AppError::Unauthenticated);
        }
        let Some(sealed) = &user.totp_pending else {
            return Err(AppError::Refused(
                "Set up your authenticator app first, then enter its code.".into(),
            ));
        };
        let secret = self.open_user_secret(&user, TOTP_PENDING, sealed).await?;
        let now_secs = u64::try_from(self.clock().now_ms() / 1000).unwrap_or(0);
        let attempt = self
            .throttle_reserve_in_session(&hash, &user.username, origin)
            .await?;
        let Some(step) = enamel_crypto::verify_totp(&secret, code.trim(), now_secs, None) else {
            return Err(self.second_factor_failed(attempt, &user, origin).await?);
        };
        self.throttle_release(attempt).await?;
        self.store_user_secrets(&user, Some(&secret), None).await?;
        self.db()
            .claim_totp_step(
                &user.practice_id,
                &user.id,
                i64::try_from(step).unwrap_or(i64::MAX),
            )
            .await?;
        let codes = enamel_crypto::generate_recovery_codes(RECOVERY_CODES)?;
        let hashes: Vec<[u8; 32]> = codes
            .iter()
            .map(|c| enamel_crypto::hash_recovery_code(c))
            .collect();
        let enrolled = sign_in_audit(
            origin,
            Some(&user),
            AuditAction::MfaEnrolled,
            Outcome::Allowed,
        );
        self.start_session(&hash, &user, origin, hashes, Some(enrolled))
            .await
            .map(|mut s| {
                s.recovery_codes = codes;
                s
            })
    }

    /// Replaces the pending row by a fresh active session (a new token: no fixation), in one
    /// transaction with its audit entries.
    async fn start_session(
        &self,
        pending_hash: &[u8; 32],
        user: &UserRow,
        origin: &RequestOrigin,
        new_recovery_hashes: Vec<[u8; 32]>,
        extra_audit: Option<AuditDraft>,
    ) -> Result<NewSession, AppError> {
        let settings = self.session_settings_for(&user.practice_id).await?;
        let now = self.clock().now_ms();
        let (token, hash) = OpaqueToken::generate(SESSION_PREFIX)?;
        let kind = kind_of(origin);
        let row = SessionRow {
            token_hash: hash.to_vec(),
            id: uuid::Uuid::new_v4().to_string(),
            practice_id: user.practice_id.clone(),
            user_id: user.id.clone(),
            kind: kind.as_str().into(),
            stage: "active".into(),
            created_ms: now,
            last_seen_ms: now,
            idle_ms: settings.idle_secs * 1000,
            expires_ms: now + settings.absolute_secs * 1000,
            mfa_ms: Some(now),
            mfa_failures: 0,
            revoked_ms: None,
            client_ip: origin.client_ip.clone(),
            user_agent: origin.user_agent.clone(),
        };
        let mut entries: Vec<AuditDraft> = extra_audit.into_iter().collect();
        let mut signed_in =
            sign_in_audit(origin, Some(user), AuditAction::SignIn, Outcome::Allowed);
        signed_in.record_type = Some(AuditSubject::Record(RecordKind::Session));
        signed_in.record_id = Some(row.id.clone());
        entries.push(signed_in);
        let mut tx = self.begin_write().await?;
        if !tx.delete_session(pending_hash).await? {
            // Another request exchanged this pending sign-in first.
            tx.rollback().await?;
            return Err(AppError::Unauthenticated);
        }
        if !new_recovery_hashes.is_empty() {
            tx.replace_recovery_codes(&user.practice_id, &user.id, &new_recovery_hashes)
                .await?;
        }
        tx.insert_session(&row).await?;
        tx.commit(Entries::from_vec(entries).ok_or_else(no_entries)?)
            .await?;
        self.throttle_clear(&self.account_key(&user.username))
            .await?;
        Ok(NewSession {
            token: Zeroizing::new(token),
            session_id: row.id,
            kind,
            idle_secs: settings.idle_secs,
            absolute_secs: settings.absolute_secs,
            recovery_codes: Vec::new(),
        })
    }
}
