use std::fmt;

use aws_lc_rs::hmac::{self, HMAC_SHA256};

use crate::{SecretKey32, normalize_for_search};

/// The longest prefix, in characters, that gets its own search token. Longer prefixes in a
/// query are cut to this length, so such a search may return extra rows.
pub const MAX_PREFIX_CHARS: usize = 16;

const TAG_EXACT: u8 = b'E';
const TAG_RAW: u8 = b'R';
const TAG_PREFIX: u8 = b'P';

/// Keyed tokens for searching encrypted columns (blind indexes).
///
/// A token is HMAC-SHA256 over a domain name (for example `"patients.family_name"`), a kind tag
/// and the value. The domain keeps tokens of one column from matching another column's; the
/// tag keeps an exact token from ever equalling a prefix token of the same text. Without the key
/// the tokens reveal only equality, which is what the database needs to search.
#[derive(Clone)]
pub struct BlindIndexKey {
    key: hmac::Key,
}

impl fmt::Debug for BlindIndexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlindIndexKey(..redacted..)")
    }
}

impl BlindIndexKey {
    pub fn new(secret: &SecretKey32) -> Self {
        Self {
            key: hmac::Key::new(HMAC_SHA256, secret.expose_secret_danger()),
        }
    }

    /// Token for exact search on text, after [`normalize_for_search`].
    pub fn exact(&self, domain: &str, text: &str) -> [u8; 32] {
        self.token(domain, TAG_EXACT, normalize_for_search(text).as_bytes())
    }

    /// Token for exact search on bytes taken as they are (dates, codes, identifiers).
    pub fn exact_raw(&self, domain: &str, bytes: &[u8]) -> [u8; 32] {
        self.token(domain, TAG_RAW, bytes)
    }

    /// Tokens to store for prefix search: one per prefix of the normalized text, from one
    /// character up to [`MAX_PREFIX_CHARS`].
    pub fn prefix_tokens(&self, domain: &str, text: &str) -> Vec<[u8; 32]> {
        let normalized = normalize_for_search(text);
        prefix_ends(&normalized)
            .map(|end| self.token(domain, TAG_PREFIX, &normalized.as_bytes()[..end]))
            .collect()
    }

    /// The token to look up for a typed prefix, or `None` when nothing searchable is left after
    /// normalization. A prefix longer than [`MAX_PREFIX_CHARS`] is cut to that length, so the
    /// caller must post-filter the decrypted results against the full prefix.
    pub fn prefix_query(&self, domain: &str, prefix: &str) -> Option<[u8; 32]> {
        let normalized = normalize_for_search(prefix);
        let end = prefix_ends(&normalized).last()?;
        Some(self.token(domain, TAG_PREFIX, &normalized.as_bytes()[..end]))
    }

    fn token(&self, domain: &str, tag: u8, value: &[u8]) -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(&self.key);
        // Saturating is unreachable for real domain names and keeps this free of panics.
        let domain_len = u32::try_from(domain.len()).unwrap_or(u32::MAX);
        ctx.update(&domain_len.to_be_bytes());
        ctx.update(domain.as_bytes());
        ctx.update(&[tag]);
        ctx.update(value);
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.sign().as_ref());
        out
    }
}

/// Byte offsets ending the first 1..=MAX_PREFIX_CHARS characters, so prefixes never split a
/// character.
fn prefix_ends(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .take(MAX_PREFIX_CHARS)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::secret::test_support::assert_no_key_in;

    const DOMAIN: &str = "patients.family_name";

    fn key(byte: u8) -> BlindIndexKey {
        BlindIndexKey::new(&SecretKey32::from_bytes([byte; 32]))
    }

    #[test]
    fn exact_ignores_case_accents_and_whitespace() {
        let k = key(1);
        let base = k.exact(DOMAIN, "José O'Brien");
        for variant in [
            "jose o'brien",
            "  JOSE   O'BRIEN ",
            "Jose\u{0301} O'Brien",
            "JOSÉ\to'brien",
        ] {
            assert_eq!(k.exact(DOMAIN, variant), base, "{variant:?}");
        }
        assert_ne!(k.exact(DOMAIN, "Jose OBrien"), base);
    }

    #[test]
    fn exact_differs_by_domain_key_and_kind() {
        let k = key(1);
        let t = k.exact(DOMAIN, "smith");
        assert_ne!(k.exact("patients.given_name", "smith"), t);
        assert_ne!(key(2).exact(DOMAIN, "smith"), t);
        assert_ne!(k.exact_raw(DOMAIN, b"smith"), t);
        assert_ne!(k.prefix_query(DOMAIN, "smith").unwrap(), t);
        // Length-prefixing the domain keeps domain/value boundaries from shifting.
        assert_ne!(k.exact("ab", "c"), k.exact("a", "bc"));
    }

    #[test]
    fn exact_matches_independent_hmac() {
        let k = key(1);
        let mut msg = (DOMAIN.len() as u32).to_be_bytes().to_vec();
        msg.extend_from_slice(DOMAIN.as_bytes());
        msg.push(b'E');
        msg.extend_from_slice(b"smith");
        let expected = hmac::sign(&hmac::Key::new(HMAC_SHA256, &[1; 32]), &msg);
        assert_eq!(k.exact(DOMAIN, " Smith "), expected.as_ref());
    }

    #[test]
    fn exact_raw_does_not_normalize() {
        let k = key(1);
        assert_ne!(k.exact_raw(DOMAIN, b"ABC"), k.exact_raw(DOMAIN, b"abc"));
        assert_eq!(
            k.exact_raw(DOMAIN, b"1980-02-01"),
            k.exact_raw(DOMAIN, b"1980-02-01")
        );
    }

    #[test]
    fn prefix_query_finds_stored_tokens() {
        let k = key(1);
        let tokens = k.prefix_tokens(DOMAIN, "Johnson");
        assert_eq!(tokens.len(), 7);
        for query in ["j", "jo", "JOH", "Johnson", " johnson "] {
            let q = k.prefix_query(DOMAIN, query).unwrap();
            assert!(tokens.contains(&q), "{query:?}");
        }
        assert!(!tokens.contains(&k.prefix_query(DOMAIN, "ja").unwrap()));
        assert!(!tokens.contains(&k.prefix_query(DOMAIN, "johnsons").unwrap()));
        assert!(!tokens.contains(&k.exact(DOMAIN, "johnson")));
        assert!(
            !k.prefix_tokens("other", "Johnson")
                .contains(&k.prefix_query(DOMAIN, "jo").unwrap())
        );
    }

    #[test]
    fn prefix_token_counts_are_in_characters_and_capped() {
        let k = key(1);
        assert_eq!(k.prefix_tokens(DOMAIN, "").len(), 0);
        assert_eq!(k.prefix_tokens(DOMAIN, "  ").len(), 0);
        assert_eq!(k.prefix_tokens(DOMAIN, "Zoë").len(), 3);
        assert_eq!(k.prefix_tokens(DOMAIN, "山田太郎").len(), 4);
        assert_eq!(k.prefix_tokens(DOMAIN, &"a".repeat(16)).len(), 16);
        assert_eq!(
            k.prefix_tokens(DOMAIN, &"a".repeat(40)).len(),
            MAX_PREFIX_CHARS
        );
        let tokens = k.prefix_tokens(DOMAIN, "山田太郎");
        assert!(tokens.contains(&k.prefix_query(DOMAIN, "山田").unwrap()));
    }

    #[test]
    fn long_queries_are_truncated_and_empty_ones_refused() {
        let k = key(1);
        let long = "abcdefghijklmnopqrstuvwxyz";
        let tokens = k.prefix_tokens(DOMAIN, long);
        assert_eq!(
            k.prefix_query(DOMAIN, long),
            k.prefix_query(DOMAIN, &long[..16])
        );
        assert_eq!(
            tokens.last(),
            k.prefix_query(DOMAIN, "abcdefghijklmnopXYZ").as_ref()
        );
        assert_eq!(k.prefix_query(DOMAIN, ""), None);
        assert_eq!(k.prefix_query(DOMAIN, " \t\u{0301} "), None);
    }

    #[test]
    fn debug_is_redacted() {
        let shown = format!("{:?}", key(0x42));
        assert_eq!(shown, "BlindIndexKey(..redacted..)");
        assert_no_key_in(&shown, &[0x42; 32]);
    }
}
