//! Signed checkpoints: signatures, the note format and the key formats.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_lc_rs::digest::{SHA256, digest};
use enamel_audit::{AuditError, Checkpoint, SignedCheckpoint, SigningKey, VerifyingKey};

/// RFC 8032 §7.1 test 1, as a PKCS#8 v1 document (RFC 8410 prefix + seed).
const RFC8032_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const RFC8032_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

fn rfc8032_key() -> SigningKey {
    let der = hex::decode(format!("302e020100300506032b657004220420{RFC8032_SEED}")).unwrap();
    SigningKey::from_pkcs8(&der).unwrap()
}

fn checkpoint() -> Checkpoint {
    Checkpoint {
        origin: "enamel.example.invalid/audit".into(),
        size: 1000,
        root: [0xab; 32],
        time_ms: 1_700_000_000_123,
    }
}

#[test]
fn keys_load_from_pkcs8_with_the_rfc8032_public_key() {
    let key = rfc8032_key();
    assert_eq!(hex::encode(key.verifying_key().as_bytes()), RFC8032_PUBLIC);
    // The key id is the documented hash, computed independently here.
    let mut pre = b"enamel-audit-key".to_vec();
    pre.extend_from_slice(key.verifying_key().as_bytes());
    let expected = hex::encode(&digest(&SHA256, &pre).as_ref()[..8]);
    assert_eq!(key.verifying_key().key_id(), expected);
    assert_eq!(expected.len(), 16);
}

#[test]
fn body_and_note_have_the_documented_format() {
    let signed = rfc8032_key().sign(checkpoint());
    let root_b64 = "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=";
    let body = format!("enamel.example.invalid/audit\n1000\n{root_b64}\ntime 1700000000123\n");
    assert_eq!(signed.checkpoint.body(), body);
    let note = signed.to_note();
    let sig_line = format!(
        "\u{2014} enamel-audit {} {}\n",
        signed.key_id,
        base64_std(&signed.signature)
    );
    assert_eq!(note, format!("{body}\n{sig_line}"));
    assert_eq!(signed.signature.len(), 64);
    // Ed25519 is deterministic: the same key and body give the same signature.
    assert_eq!(rfc8032_key().sign(checkpoint()), signed);
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn signatures_verify_with_the_right_key_only() {
    let key = SigningKey::generate().unwrap();
    let other = SigningKey::generate().unwrap();
    assert_ne!(key.verifying_key(), other.verifying_key());
    let signed = key.sign(checkpoint());
    assert!(signed.verify(&key.verifying_key()));
    assert!(!signed.verify(&other.verifying_key()));
    // Claiming the other key's id does not make the signature valid for it.
    let relabelled = SignedCheckpoint {
        key_id: other.verifying_key().key_id(),
        ..signed.clone()
    };
    assert!(!relabelled.verify(&other.verifying_key()));
    assert!(!relabelled.verify(&key.verifying_key()));
}

#[test]
fn any_edit_to_the_body_breaks_the_signature() {
    let key = rfc8032_key();
    let vk = key.verifying_key();
    let signed = key.sign(checkpoint());
    let edits: [fn(&mut Checkpoint); 4] = [
        |c| c.size += 1,
        |c| c.root[31] ^= 1,
        |c| c.origin.push('x'),
        |c| c.time_ms -= 1,
    ];
    for edit in edits {
        let mut edited = signed.clone();
        edit(&mut edited.checkpoint);
        assert!(!edited.verify(&vk));
    }
    let mut sig = signed.clone();
    sig.signature[0] ^= 1;
    assert!(!sig.verify(&vk));
    sig.signature.truncate(63);
    assert!(!sig.verify(&vk));
}

#[test]
fn an_origin_with_a_newline_never_verifies() {
    let key = rfc8032_key();
    let signed = key.sign(Checkpoint {
        origin: "a\n7".into(),
        ..checkpoint()
    });
    assert!(!signed.verify(&key.verifying_key()));
    assert!(SignedCheckpoint::from_note(&signed.to_note()).is_err());
}

#[test]
fn notes_round_trip() {
    let key = SigningKey::generate().unwrap();
    for (size, time_ms) in [(0, 0), (1, -1), (u64::MAX, i64::MIN), (1000, i64::MAX)] {
        let signed = key.sign(Checkpoint {
            size,
            time_ms,
            ..checkpoint()
        });
        let parsed = SignedCheckpoint::from_note(&signed.to_note()).unwrap();
        assert_eq!(parsed, signed);
        assert!(parsed.verify(&key.verifying_key()));
        assert_eq!(parsed.to_note(), signed.to_note());
    }
}

#[test]
fn from_note_rejects_garbage() {
    let good = rfc8032_key().sign(checkpoint()).to_note();
    assert!(SignedCheckpoint::from_note(&good).is_ok());
    let (body, sig) = good.split_once("\n\n").unwrap();
    let sig_line = sig.trim_end_matches('\n');
    let mut bad: Vec<String> = vec![
        String::new(),
        "garbage".into(),
        "\n\n".into(),
        body.to_string(),
        format!("{body}\n\n"),
        format!("{body}\n\n{sig_line}"), // no final newline
        format!("{body}\n\n{sig_line}\n{sig_line}\n"), // two signatures
        format!("{body}\n\n{sig_line}\nextra"), // trailing text
        format!("{body}\n\n\n{sig_line}\n"), // two blank lines
        format!("{body}\nextra line\n\n{sig_line}\n"), // five body lines
        good.replace('\n', "\r\n"),
        good.replace("\u{2014} ", "- "),
        good.replace("enamel-audit ", "other-log "),
        good.replace("\n1000\n", "\n01000\n"),
        good.replace("\n1000\n", "\n+1000\n"),
        good.replace("\n1000\n", "\n1e3\n"),
        good.replace("\n1000\n", "\n-1\n"),
        good.replace("time 1700000000123", "time  1700000000123"),
        good.replace("time 1700000000123", "time 1700000000123.0"),
        good.replace("time 1700000000123", "at 1700000000123"),
        good.replace("q6s=", "q6s"),  // unpadded root
        good.replace("q6s=", "q6t="), // non-canonical trailing bits
        good.replace("q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=", "q6urq6ur"),
        good.replace("enamel.example.invalid/audit\n", "\n"), // empty origin
    ];
    let key_id = rfc8032_key().verifying_key().key_id();
    bad.push(good.replace(&key_id, &key_id.to_uppercase()));
    bad.push(good.replace(&key_id, &key_id[..15]));
    // A signature of the wrong length, and one that is not base64.
    let sig_b64 = sig_line.rsplit(' ').next().unwrap();
    bad.push(good.replace(sig_b64, &base64_std(&[1u8; 63])));
    bad.push(good.replace(sig_b64, "!!!!"));
    for text in &bad {
        assert!(
            matches!(
                SignedCheckpoint::from_note(text),
                Err(AuditError::BadNote(_))
            ),
            "accepted {text:?}"
        );
    }
}

#[test]
fn signing_keys_round_trip_and_keep_their_secret_out_of_debug() {
    let key = SigningKey::generate().unwrap();
    let der = key.pkcs8_der_danger();
    let again = SigningKey::from_pkcs8(&der).unwrap();
    assert_eq!(again.verifying_key(), key.verifying_key());
    assert_eq!(again.sign(checkpoint()), key.sign(checkpoint()));

    let debug = format!("{key:?}");
    assert!(debug.contains(&key.verifying_key().key_id()), "{debug}");
    assert!(!debug.contains(&hex::encode(&der[der.len() - 32..])));
    assert!(!debug.to_lowercase().contains("pkcs8"), "{debug}");
    assert_eq!(
        format!("{:?}", key.verifying_key()),
        format!(
            "VerifyingKey {{ key_id: {:?} }}",
            key.verifying_key().key_id()
        )
    );

    assert_eq!(
        SigningKey::from_pkcs8(b"not a key").err(),
        Some(AuditError::BadKey)
    );
    assert_eq!(
        SigningKey::from_pkcs8(&der[..der.len() - 1]).err(),
        Some(AuditError::BadKey)
    );
}

#[test]
fn public_key_files_round_trip() {
    let vk = rfc8032_key().verifying_key();
    let text = vk.to_text();
    assert_eq!(
        text,
        "enamel-audit-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    );
    assert_eq!(VerifyingKey::from_text(&text).unwrap(), vk);
    assert_eq!(
        VerifyingKey::from_text(&format!("{text}\n  \r\n")).unwrap(),
        vk
    );
    assert_eq!(VerifyingKey::from_text(text.trim_end()).unwrap(), vk);
    for bad in [
        "",
        "enamel-audit-ed25519",
        "enamel-audit-ed25519 ",
        " enamel-audit-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        "ssh-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        "enamel-audit-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUQ=",
        "enamel-audit-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    ] {
        assert_eq!(
            VerifyingKey::from_text(bad),
            Err(AuditError::BadKey),
            "{bad:?}"
        );
    }
    assert_eq!(VerifyingKey::from_bytes(vk.as_bytes()).unwrap(), vk);
    assert_eq!(
        VerifyingKey::from_bytes(&[0u8; 31]),
        Err(AuditError::BadKey)
    );
    assert_eq!(
        VerifyingKey::from_bytes(&[0u8; 33]),
        Err(AuditError::BadKey)
    );
}
