//! The KEK file's JSON layout: parsing, validation and rendering. No I/O here.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::kek::{Kek, valid_kek_id};
use crate::{CryptoError, SecretKey32};

pub(crate) const FORMAT: &str = "enamel-kek-v1";

#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct FileJson {
    format: String,
    active: String,
    keks: Vec<KekJson>,
}

#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct KekJson {
    id: String,
    created_ms: i64,
    /// Base64 of the key bytes; wiped with the struct.
    key: String,
}

/// The file's contents as loaded: the active id and every KEK.
#[derive(Debug)]
pub(crate) struct KeySet {
    pub(crate) active: String,
    pub(crate) keks: Vec<Kek>,
}

pub(crate) fn parse(path: &Path, text: &[u8]) -> Result<KeySet, CryptoError> {
    let invalid = |problem: String| CryptoError::KeyFileInvalid {
        path: path.to_path_buf(),
        problem,
    };
    // serde_json's messages can quote the offending value, which may be key bytes, so only the
    // category and position are reported.
    let file: FileJson = serde_json::from_slice(text).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "it does not have the enamel-kek-v1 layout",
            _ => "it is not valid JSON",
        };
        invalid(format!("{what} (line {}, column {})", e.line(), e.column()))
    })?;
    if file.format != FORMAT {
        return Err(invalid(format!("its \"format\" is not \"{FORMAT}\"")));
    }
    if file.keks.is_empty() {
        return Err(invalid("it lists no keys".into()));
    }
    let mut keks: Vec<Kek> = Vec::with_capacity(file.keks.len());
    for entry in &file.keks {
        if !valid_kek_id(&entry.id) {
            return Err(invalid(
                "a key id is empty, too long, or has characters other than letters, digits, '-' and '_'"
                    .into(),
            ));
        }
        if keks.iter().any(|k| k.id == entry.id) {
            return Err(invalid(format!(
                "the key id \"{}\" appears twice",
                entry.id
            )));
        }
        let decoded =
            Zeroizing::new(STANDARD.decode(entry.key.as_bytes()).map_err(|_| {
                invalid(format!("the key of \"{}\" is not valid base64", entry.id))
            })?);
        let bytes: [u8; 32] = decoded
            .as_slice()
            .try_into()
            .map_err(|_| invalid(format!("the key of \"{}\" is not 32 bytes long", entry.id)))?;
        let secret = SecretKey32::from_bytes(bytes);
        keks.push(Kek::new(entry.id.clone(), entry.created_ms, secret)?);
    }
    if !keks.iter().any(|k| k.id == file.active) {
        return Err(invalid(
            "its \"active\" key is not one of the listed keys".into(),
        ));
    }
    Ok(KeySet {
        active: file.active.clone(),
        keks,
    })
}

pub(crate) fn render(active: &str, keks: &[&Kek]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let file = FileJson {
        format: FORMAT.into(),
        active: active.into(),
        keks: keks
            .iter()
            .map(|k| KekJson {
                id: k.id.clone(),
                created_ms: k.created_ms,
                key: STANDARD.encode(k.secret.expose_secret_danger()),
            })
            .collect(),
    };
    // Reserved up front so the buffer holding key text is not reallocated (which would leave
    // unwiped copies behind).
    let mut out = Zeroizing::new(Vec::with_capacity(256 + 160 * keks.len()));
    serde_json::to_writer_pretty(&mut *out, &file)
        .map_err(|_| CryptoError::Malformed("key file could not be rendered"))?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn path() -> &'static Path {
        Path::new("/keys/enamel.json")
    }

    fn problem(text: &str) -> String {
        match parse(path(), text.as_bytes()) {
            Err(CryptoError::KeyFileInvalid { problem, .. }) => problem,
            other => panic!("expected KeyFileInvalid, got {other:?}"),
        }
    }

    const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn render_then_parse_round_trips() {
        let keks = [
            Kek::new("kek-a".into(), 5, SecretKey32::from_bytes([1; 32])).unwrap(),
            Kek::new("kek-b".into(), 6, SecretKey32::from_bytes([2; 32])).unwrap(),
        ];
        let text = render("kek-b", &keks.iter().collect::<Vec<_>>()).unwrap();
        let set = parse(path(), &text).unwrap();
        assert_eq!(set.active, "kek-b");
        assert_eq!(set.keks.len(), 2);
        assert_eq!(set.keks[0].id, "kek-a");
        assert_eq!(set.keks[0].created_ms, 5);
        assert_eq!(set.keks[1].secret.expose_secret_danger(), &[2; 32]);
    }

    #[test]
    fn parses_the_documented_layout() {
        let text = format!(
            r#"{{"format":"enamel-kek-v1","active":"kek-1","keks":[{{"id":"kek-1","created_ms":1,"key":"{KEY_A}"}}]}}"#
        );
        let set = parse(path(), text.as_bytes()).unwrap();
        let expected: Vec<u8> = (0u8..32).collect();
        assert_eq!(
            set.keks[0].secret.expose_secret_danger().as_slice(),
            expected
        );
    }

    #[test]
    fn each_defect_is_named_without_echoing_content() {
        let secretish = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=";
        let cases = [
            ("not json at all".to_string(), "not valid JSON"),
            (
                format!(r#"{{"format":"enamel-kek-v1","active":"{secretish}","keks":"{secretish}"}}"#),
                "layout",
            ),
            (
                format!(r#"{{"format":"{secretish}","active":"k","keks":[]}}"#),
                "\"format\"",
            ),
            (r#"{"format":"enamel-kek-v1","active":"k","keks":[]}"#.into(), "no keys"),
            (
                format!(r#"{{"format":"enamel-kek-v1","active":"k","keks":[{{"id":"{secretish}","created_ms":1,"key":"{KEY_A}"}}]}}"#),
                "key id",
            ),
            (
                format!(r#"{{"format":"enamel-kek-v1","active":"k","keks":[{{"id":"k","created_ms":1,"key":"{KEY_A}"}},{{"id":"k","created_ms":1,"key":"{KEY_A}"}}]}}"#),
                "twice",
            ),
            (
                r#"{"format":"enamel-kek-v1","active":"k","keks":[{"id":"k","created_ms":1,"key":"!!!"}]}"#.into(),
                "base64",
            ),
            (
                r#"{"format":"enamel-kek-v1","active":"k","keks":[{"id":"k","created_ms":1,"key":"AAAA"}]}"#.into(),
                "32 bytes",
            ),
            (
                format!(r#"{{"format":"enamel-kek-v1","active":"other","keks":[{{"id":"k","created_ms":1,"key":"{KEY_A}"}}]}}"#),
                "\"active\"",
            ),
        ];
        for (text, expected) in cases {
            let p = problem(&text);
            assert!(p.contains(expected), "{p:?} should mention {expected:?}");
            assert!(!p.contains(secretish), "{p:?} echoes content");
            assert!(!p.contains(KEY_A), "{p:?} echoes a key");
        }
    }
}
