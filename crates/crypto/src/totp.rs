//! The second factor: RFC 6238 TOTP (HMAC-SHA-1, 6 digits, 30-second steps, one step of
//! clock skew either way), computed by the `totp-rs` crate, and the enrollment material an
//! authenticator app scans (an `otpauth://` URI drawn as a QR code).

use std::fmt;

use totp_rs::{Algorithm, Builder, Secret, Totp};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::CryptoError;
use crate::secret::fill_random;

const DIGITS: u8 = 6;
const STEP_SECS: u64 = 30;
const SKEW_STEPS: u16 = 1;
/// RFC 4226 recommends 160 bits.
const SECRET_BYTES: usize = 20;

/// A user's TOTP shared secret. Wiped on drop; `Debug` never shows it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct TotpSecret(Vec<u8>);

impl TotpSecret {
    pub fn generate() -> Result<Self, CryptoError> {
        let mut bytes = vec![0u8; SECRET_BYTES];
        fill_random(&mut bytes)?;
        Ok(TotpSecret(bytes))
    }

    /// A stored secret (after it was opened from its sealed column). At least 128 bits.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, CryptoError> {
        if bytes.len() < 16 {
            return Err(CryptoError::Malformed("the TOTP secret is too short"));
        }
        Ok(TotpSecret(bytes))
    }

    /// A secret as [`TotpSecret::to_base32`] wrote it (what `enamel demo` keeps in
    /// `demo-accounts.json`). At least 128 bits.
    pub fn from_base32(text: &str) -> Result<Self, CryptoError> {
        let secret = Secret::try_from_base32(text.trim())
            .map_err(|_| CryptoError::Malformed("the TOTP secret is not base32"))?;
        TotpSecret::from_bytes(secret.as_bytes().to_vec())
    }

    /// The raw secret, for sealing it or handing it to an authenticator.
    pub fn expose_bytes(&self) -> &[u8] {
        &self.0
    }

    /// RFC 4648 base32 without padding: what a person types into an authenticator app.
    pub fn to_base32(&self) -> String {
        Secret::from(self.0.as_slice()).to_base32()
    }

    fn totp(&self) -> Option<Totp> {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_skew(SKEW_STEPS)
            .with_step_duration(STEP_SECS)
            .with_secret(self.0.as_slice())
            .build()
            .ok()
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(..redacted..)")
    }
}

/// The code an authenticator shows at `unix_secs`.
pub fn totp_code(secret: &TotpSecret, unix_secs: u64) -> String {
    secret
        .totp()
        .map(|t| t.generate(unix_secs).to_string())
        .unwrap_or_default()
}

/// Checks `code` at `unix_secs` (one step of skew either way) and returns the time step it
/// belongs to. A step at or before `last_used_step` is refused, so a code works once; the
/// caller must then record the returned step atomically.
pub fn verify_totp(
    secret: &TotpSecret,
    code: &str,
    unix_secs: u64,
    last_used_step: Option<u64>,
) -> Option<u64> {
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = secret.totp()?.check(code, unix_secs)?;
    match last_used_step {
        Some(last) if step <= last => None,
        _ => Some(step),
    }
}

/// The Key URI an authenticator app understands:
/// `otpauth://totp/Issuer:account?secret=…&issuer=Issuer&algorithm=SHA1&digits=6&period=30`.
pub fn otpauth_uri(secret: &TotpSecret, issuer: &str, account: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        account = percent_encode(account),
        secret = secret.to_base32(),
    )
}

/// RFC 3986: everything but the unreserved characters is percent-encoded (a colon in an
/// issuer or account name would otherwise split the label).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `text` as a QR code in SVG (black modules on white, with the standard four-module quiet
/// zone), for the enrollment page. Medium error correction.
pub fn qr_svg(text: &str) -> Result<String, CryptoError> {
    use qrcodegen::{QrCode, QrCodeEcc};
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|_| CryptoError::Malformed("the text is too long for a QR code"))?;
    const QUIET: i32 = 4;
    let size = qr.size();
    let total = size + 2 * QUIET;
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + QUIET, y + QUIET));
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {total} {total}\" \
         shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code for your authenticator app\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\
         <path d=\"{path}\" fill=\"#000000\"/></svg>"
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B: the SHA-1 seed "12345678901234567890"; the eight-digit codes
    /// there end in these six digits.
    const RFC_VECTORS: [(u64, &str); 6] = [
        (59, "287082"),
        (1_111_111_109, "081804"),
        (1_111_111_111, "050471"),
        (1_234_567_890, "005924"),
        (2_000_000_000, "279037"),
        (20_000_000_000, "353130"),
    ];

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap()
    }

    #[test]
    fn rfc_6238_vectors() {
        let secret = rfc_secret();
        for (t, code) in RFC_VECTORS {
            assert_eq!(totp_code(&secret, t), code, "t = {t}");
            assert_eq!(verify_totp(&secret, code, t, None), Some(t / 30), "t = {t}");
        }
    }

    #[test]
    fn one_step_of_skew_either_way_and_no_more() {
        let secret = rfc_secret();
        let t = 1_234_567_890;
        let code = totp_code(&secret, t);
        assert!(verify_totp(&secret, &code, t + 30, None).is_some());
        assert!(verify_totp(&secret, &code, t - 30, None).is_some());
        assert!(verify_totp(&secret, &code, t + 60, None).is_none());
        assert!(verify_totp(&secret, &code, t - 60, None).is_none());
    }

    #[test]
    fn a_used_step_is_refused() {
        let secret = rfc_secret();
        let t = 1_234_567_890;
        let code = totp_code(&secret, t);
        let step = verify_totp(&secret, &code, t, None).unwrap();
        assert_eq!(verify_totp(&secret, &code, t, Some(step)), None);
        assert_eq!(verify_totp(&secret, &code, t, Some(step + 1)), None);
        assert_eq!(verify_totp(&secret, &code, t, Some(step - 1)), Some(step));
    }

    #[test]
    fn malformed_codes_are_refused() {
        let secret = rfc_secret();
        for code in ["", "00592", "0059244", "0059a4", " 005924", "+05924"] {
            assert_eq!(
                verify_totp(&secret, code, 1_234_567_890, None),
                None,
                "{code:?}"
            );
        }
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(TotpSecret::from_bytes(vec![1; 15]).is_err());
        assert!(TotpSecret::from_bytes(vec![1; 16]).is_ok());
    }

    #[test]
    fn base32_and_uri() {
        let secret = rfc_secret();
        assert_eq!(secret.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            otpauth_uri(&secret, "Enamel: Demo", "front-desk@x"),
            "otpauth://totp/Enamel%3A%20Demo:front-desk%40x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Enamel%3A%20Demo&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn base32_reads_back_what_it_wrote() {
        let secret = TotpSecret::generate().unwrap();
        let again = TotpSecret::from_base32(&secret.to_base32()).unwrap();
        assert_eq!(again.expose_bytes(), secret.expose_bytes());
        let rfc = TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        assert_eq!(totp_code(&rfc, 59), "287082");
        assert!(TotpSecret::from_base32("not base32!").is_err());
        // 15 bytes: shorter than the 128 bits a secret needs.
        assert!(TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBV").is_err());
    }

    #[test]
    fn debug_is_redacted() {
        let secret = rfc_secret();
        let shown = format!("{secret:?}");
        assert!(
            !shown.contains("12345") && !shown.contains("GEZD"),
            "{shown}"
        );
    }

    #[test]
    fn qr_is_an_svg_with_modules() {
        let svg = qr_svg("otpauth://totp/Enamel:x?secret=GEZDGNBVGY3TQOJQ").unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.matches("h1v1h-1z").count() > 100);
        assert!(qr_svg(&"x".repeat(5000)).is_err());
    }
}
