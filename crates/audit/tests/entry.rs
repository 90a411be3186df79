//! The canonical encoding is a file-format contract: pinned byte for byte, and injective.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_lc_rs::digest::{SHA256, digest};
use enamel_audit::{Entry, GENESIS_CHAIN, Hash, chain_hash, sample_entry};
use proptest::prelude::*;

fn minimal() -> Entry {
    Entry {
        seq: 0x0102,
        time_ms: -2,
        practice_id: None,
        actor_id: Some("ab".into()),
        actor_role: Some(String::new()),
        patient_id: None,
        record_type: None,
        record_id: None,
        action: "read".into(),
        outcome: "ok".into(),
        client_ip: None,
        user_agent: None,
        app_version: "1".into(),
        access_method: "web".into(),
        reason: Some("é".into()),
    }
}

#[test]
fn the_encoding_is_pinned_byte_for_byte() {
    let mut expected = vec![0x01];
    expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x01, 0x02]);
    expected.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
    expected.push(0x00); // practice_id None
    expected.extend_from_slice(&[0x01, 0, 0, 0, 2, b'a', b'b']); // actor_id
    expected.extend_from_slice(&[0x01, 0, 0, 0, 0]); // actor_role Some("")
    expected.extend_from_slice(&[0x00, 0x00, 0x00]); // patient_id, record_type, record_id
    expected.extend_from_slice(&[0, 0, 0, 4, b'r', b'e', b'a', b'd']);
    expected.extend_from_slice(&[0, 0, 0, 2, b'o', b'k']);
    expected.extend_from_slice(&[0x00, 0x00]); // client_ip, user_agent
    expected.extend_from_slice(&[0, 0, 0, 1, b'1']);
    expected.extend_from_slice(&[0, 0, 0, 3, b'w', b'e', b'b']);
    expected.extend_from_slice(&[0x01, 0, 0, 0, 2, 0xc3, 0xa9]); // reason "é"
    let entry = minimal();
    assert_eq!(entry.canonical_bytes(), expected);

    let mut appended = b"prefix".to_vec();
    entry.write_canonical(&mut appended);
    assert_eq!(appended, [b"prefix".as_slice(), &expected].concat());
}

#[test]
fn leaf_and_chain_hashes_use_their_prefixes() {
    let entry = minimal();
    let leaf = entry.leaf_hash();
    let mut pre = vec![0x00];
    pre.extend_from_slice(&entry.canonical_bytes());
    assert_eq!(leaf.as_slice(), digest(&SHA256, &pre).as_ref());

    let mut link = vec![0x02];
    link.extend_from_slice(&GENESIS_CHAIN);
    link.extend_from_slice(&leaf);
    assert_eq!(
        chain_hash(&GENESIS_CHAIN, &leaf).as_slice(),
        digest(&SHA256, &link).as_ref()
    );
    assert_ne!(
        chain_hash(&GENESIS_CHAIN, &leaf),
        chain_hash(&leaf, &GENESIS_CHAIN)
    );
}

#[test]
fn moving_text_across_an_optional_boundary_changes_the_bytes() {
    let a = Entry {
        actor_id: Some("ab".into()),
        patient_id: None,
        ..minimal()
    };
    let b = Entry {
        actor_id: Some("a".into()),
        patient_id: Some("b".into()),
        ..minimal()
    };
    assert_ne!(a.canonical_bytes(), b.canonical_bytes());
    let none = Entry {
        reason: None,
        ..minimal()
    };
    let empty = Entry {
        reason: Some(String::new()),
        ..minimal()
    };
    assert_ne!(none.canonical_bytes(), empty.canonical_bytes());
    assert_ne!(none.leaf_hash(), empty.leaf_hash());
}

#[test]
fn sample_entries_are_synthetic_and_distinct() {
    let a = sample_entry(3);
    assert_eq!(a.seq, 3);
    assert!(a.actor_id.as_deref().unwrap().contains("sample"));
    assert_ne!(sample_entry(3).leaf_hash(), sample_entry(4).leaf_hash());
    assert_eq!(sample_entry(9), sample_entry(9));
}

/// A decoder written from the module documentation. That it reads back exactly the entry and
/// consumes every byte proves the encoding is injective for all entries.
fn decode(bytes: &[u8]) -> Option<Entry> {
    struct R<'a>(&'a [u8]);
    impl R<'_> {
        fn take(&mut self, n: usize) -> Option<&[u8]> {
            let (head, tail) = self.0.split_at_checked(n)?;
            self.0 = tail;
            Some(head)
        }
        fn string(&mut self) -> Option<String> {
            let len = u32::from_be_bytes(self.take(4)?.try_into().ok()?);
            String::from_utf8(self.take(len as usize)?.to_vec()).ok()
        }
        fn opt(&mut self) -> Option<Option<String>> {
            match self.take(1)?[0] {
                0 => Some(None),
                1 => Some(Some(self.string()?)),
                _ => None,
            }
        }
    }
    let mut r = R(bytes);
    if r.take(1)? != [0x01] {
        return None;
    }
    let seq = u64::from_be_bytes(r.take(8)?.try_into().ok()?);
    let time_ms = i64::from_be_bytes(r.take(8)?.try_into().ok()?);
    let entry = Entry {
        seq,
        time_ms,
        practice_id: r.opt()?,
        actor_id: r.opt()?,
        actor_role: r.opt()?,
        patient_id: r.opt()?,
        record_type: r.opt()?,
        record_id: r.opt()?,
        action: r.string()?,
        outcome: r.string()?,
        client_ip: r.opt()?,
        user_agent: r.opt()?,
        app_version: r.string()?,
        access_method: r.string()?,
        reason: r.opt()?,
    };
    r.0.is_empty().then_some(entry)
}

/// Tiny alphabets make boundary collisions ("ab"+None vs "a"+"b") likely.
fn s() -> impl Strategy<Value = String> {
    "[ab\u{0}é]{0,3}"
}

fn o() -> impl Strategy<Value = Option<String>> {
    prop::option::of(s())
}

fn entry() -> impl Strategy<Value = Entry> {
    (
        (0u64..3, -1i64..2, o(), o(), o(), o(), o(), o()),
        (s(), s(), o(), o(), s(), s(), o()),
    )
        .prop_map(
            |((seq, time_ms, p, a, ar, pa, rt, ri), (ac, ou, ip, ua, av, am, re))| Entry {
                seq,
                time_ms,
                practice_id: p,
                actor_id: a,
                actor_role: ar,
                patient_id: pa,
                record_type: rt,
                record_id: ri,
                action: ac,
                outcome: ou,
                client_ip: ip,
                user_agent: ua,
                app_version: av,
                access_method: am,
                reason: re,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_encoding_parses_back_to_the_same_entry(e in entry()) {
        prop_assert_eq!(decode(&e.canonical_bytes()), Some(e));
    }

    #[test]
    fn different_entries_encode_differently(a in entry(), b in entry()) {
        prop_assert_eq!(a == b, a.canonical_bytes() == b.canonical_bytes());
        prop_assert_eq!(a == b, a.leaf_hash() == b.leaf_hash());
    }

    #[test]
    fn a_one_field_change_changes_the_leaf(e in entry(), field in 0usize..15) {
        let mut changed = e.clone();
        let bump = |s: &mut String| s.push('x');
        let bump_opt = |o: &mut Option<String>| match o {
            Some(s) => s.push('x'),
            None => *o = Some(String::new()),
        };
        match field {
            0 => changed.seq += 1,
            1 => changed.time_ms += 1,
            2 => bump_opt(&mut changed.practice_id),
            3 => bump_opt(&mut changed.actor_id),
            4 => bump_opt(&mut changed.actor_role),
            5 => bump_opt(&mut changed.patient_id),
            6 => bump_opt(&mut changed.record_type),
            7 => bump_opt(&mut changed.record_id),
            8 => bump(&mut changed.action),
            9 => bump(&mut changed.outcome),
            10 => bump_opt(&mut changed.client_ip),
            11 => bump_opt(&mut changed.user_agent),
            12 => bump(&mut changed.app_version),
            13 => bump(&mut changed.access_method),
            _ => bump_opt(&mut changed.reason),
        }
        let (a, b): (Hash, Hash) = (e.leaf_hash(), changed.leaf_hash());
        prop_assert_ne!(a, b);
    }
}
