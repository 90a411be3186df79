//! The streaming verifier against each kind of tampering it must name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use enamel_audit::{
    Checkpoint, Entry, GENESIS_CHAIN, Hash, LogVerifier, Problem, SignedCheckpoint, SigningKey,
    StoredEntry, VerifyReport, chain_hash, check_head, empty_root, root, sample_entry,
};

const ORIGIN: &str = "enamel.example.invalid/audit";

/// Rows with correct chain values for `entries`, numbered by position.
fn rows_for(entries: Vec<Entry>) -> Vec<StoredEntry> {
    let mut chain = GENESIS_CHAIN;
    entries
        .into_iter()
        .map(|entry| {
            chain = chain_hash(&chain, &entry.leaf_hash());
            StoredEntry { entry, chain }
        })
        .collect()
}

fn log(n: u64) -> Vec<StoredEntry> {
    rows_for((0..n).map(sample_entry).collect())
}

fn leaves(rows: &[StoredEntry]) -> Vec<Hash> {
    rows.iter().map(|r| r.entry.leaf_hash()).collect()
}

fn sign_at(key: &SigningKey, rows: &[StoredEntry], size: usize) -> SignedCheckpoint {
    key.sign(Checkpoint {
        origin: ORIGIN.into(),
        size: size as u64,
        root: root(&leaves(&rows[..size])),
        time_ms: 1_700_000_000_000 + size as i64,
    })
}

struct Fixture {
    key: SigningKey,
    rows: Vec<StoredEntry>,
    checkpoints: Vec<SignedCheckpoint>,
}

/// 1,000 entries with checkpoints at 0, 10, 500 and 1000 (given out of order on purpose).
fn fixture() -> Fixture {
    let key = SigningKey::generate().unwrap();
    let rows = log(1000);
    let checkpoints = [500, 0, 1000, 10]
        .iter()
        .map(|&s| sign_at(&key, &rows, s))
        .collect();
    Fixture {
        key,
        rows,
        checkpoints,
    }
}

fn run(f: &Fixture, rows: &[StoredEntry]) -> Result<VerifyReport, Problem> {
    run_with(f, rows, f.checkpoints.clone())
}

fn run_with(
    f: &Fixture,
    rows: &[StoredEntry],
    checkpoints: Vec<SignedCheckpoint>,
) -> Result<VerifyReport, Problem> {
    let mut verifier = LogVerifier::new(f.key.verifying_key(), checkpoints);
    for row in rows {
        verifier.push(row)?;
    }
    verifier.finish()
}

#[test]
fn an_untouched_log_verifies_with_a_full_report() {
    let f = fixture();
    let mut verifier =
        LogVerifier::new(f.key.verifying_key(), f.checkpoints.clone()).keeping_leaves();
    let mut streaming = LogVerifier::new(f.key.verifying_key(), f.checkpoints.clone())
        .noting_roots_at([1000, 7, 0, 5000, 7]);
    for row in &f.rows {
        verifier.push(row).unwrap();
        streaming.push(row).unwrap();
    }
    let all = leaves(&f.rows);
    assert_eq!(verifier.leaves(), all.as_slice());
    assert!(
        streaming.leaves().is_empty(),
        "no leaf is kept unless asked"
    );
    assert_eq!(
        streaming
            .roots_at()
            .iter()
            .map(|(s, r)| (*s, *r))
            .collect::<Vec<_>>(),
        [(7, root(&all[..7])), (1000, root(&all))],
        "roots at the sizes the log reached, none at 0 or past its end"
    );
    assert_eq!(streaming.frontier().root(), root(&all));
    assert_eq!(streaming.finish().unwrap(), verifier.finish().unwrap());
    let mut verifier = LogVerifier::new(f.key.verifying_key(), f.checkpoints.clone());
    for row in &f.rows {
        verifier.push(row).unwrap();
    }
    let report = verifier.finish().unwrap();
    assert_eq!(
        report,
        VerifyReport {
            entries: 1000,
            root: root(&all),
            chain: f.rows[999].chain,
            checkpoints_verified: 4,
            checkpoints_other_keys: 0,
            last_checkpoint_size: Some(1000),
            unanchored_entries: 0,
        }
    );
    assert_eq!(check_head(&report, 1000, &f.rows[999].chain), Ok(()));
}

#[test]
fn entries_after_the_last_checkpoint_are_reported_unanchored() {
    let f = fixture();
    let early: Vec<_> = f
        .checkpoints
        .iter()
        .filter(|c| c.checkpoint.size <= 500)
        .cloned()
        .collect();
    let report = run_with(&f, &f.rows, early).unwrap();
    assert_eq!(report.checkpoints_verified, 3);
    assert_eq!(report.last_checkpoint_size, Some(500));
    assert_eq!(report.unanchored_entries, 500);

    let none = run_with(&f, &f.rows[..7], vec![]).unwrap();
    assert_eq!(
        (none.last_checkpoint_size, none.unanchored_entries),
        (None, 7)
    );
}

#[test]
fn an_empty_log_verifies_against_a_size_zero_checkpoint() {
    let f = fixture();
    let zero: Vec<_> = f
        .checkpoints
        .iter()
        .filter(|c| c.checkpoint.size == 0)
        .cloned()
        .collect();
    assert_eq!(zero[0].checkpoint.root, empty_root());
    let report = run_with(&f, &[], zero).unwrap();
    assert_eq!(report.entries, 0);
    assert_eq!(report.root, empty_root());
    assert_eq!(report.chain, GENESIS_CHAIN);
    assert_eq!(report.checkpoints_verified, 1);
    assert_eq!(report.last_checkpoint_size, Some(0));
    assert_eq!(check_head(&report, 0, &GENESIS_CHAIN), Ok(()));
}

#[test]
fn a_changed_entry_is_named() {
    let f = fixture();
    for k in [0usize, 1, 9, 10, 41, 500, 999] {
        let mut rows = f.rows.clone();
        rows[k].entry.reason = Some("edited".into());
        let problem = run(&f, &rows).unwrap_err();
        assert_eq!(problem, Problem::ChainMismatch { seq: k as u64 });
        assert_eq!(problem.first_bad_seq(), Some(k as u64));
        assert!(
            problem.to_string().contains(&format!("entry #{k} ")),
            "{problem}"
        );
    }
    // The chain column itself edited.
    let mut rows = f.rows.clone();
    rows[300].chain[0] ^= 1;
    assert_eq!(run(&f, &rows), Err(Problem::ChainMismatch { seq: 300 }));
}

#[test]
fn a_deleted_entry_is_missing() {
    let f = fixture();
    let mut rows = f.rows.clone();
    rows.remove(123);
    let problem = run(&f, &rows).unwrap_err();
    assert_eq!(
        problem,
        Problem::Missing {
            expected: 123,
            found: 124
        }
    );
    assert_eq!(problem.first_bad_seq(), Some(123));
    let mut first_gone = f.rows.clone();
    first_gone.remove(0);
    assert_eq!(
        run(&f, &first_gone),
        Err(Problem::Missing {
            expected: 0,
            found: 1
        })
    );
}

#[test]
fn a_duplicated_entry_is_out_of_order() {
    let f = fixture();
    let mut rows = f.rows.clone();
    rows.insert(51, rows[50].clone());
    assert_eq!(
        run(&f, &rows),
        Err(Problem::OutOfOrder {
            seq: 50,
            expected: 51
        })
    );
}

#[test]
fn two_swapped_entries_are_named_at_the_first() {
    let f = fixture();
    // Contents swapped and renumbered, each keeping the chain value of its old place.
    let mut rows = f.rows.clone();
    let (a, b) = (rows[200].entry.clone(), rows[201].entry.clone());
    rows[200].entry = Entry { seq: 200, ..b };
    rows[201].entry = Entry { seq: 201, ..a };
    assert_eq!(run(&f, &rows), Err(Problem::ChainMismatch { seq: 200 }));
    // Whole rows swapped and renumbered, chain values travelling with them.
    let mut rows = f.rows.clone();
    rows.swap(200, 201);
    rows[200].entry.seq = 200;
    rows[201].entry.seq = 201;
    assert_eq!(run(&f, &rows), Err(Problem::ChainMismatch { seq: 200 }));
}

#[test]
fn an_inserted_entry_breaks_the_chain() {
    let f = fixture();
    let forged = Entry {
        actor_id: Some("sample-intruder".into()),
        ..sample_entry(300)
    };
    let renumber = |rows: &mut Vec<StoredEntry>| {
        for (i, row) in rows.iter_mut().enumerate() {
            row.entry.seq = i as u64;
        }
    };
    // With a copied chain value: named at the inserted entry.
    let mut rows = f.rows.clone();
    rows.insert(
        300,
        StoredEntry {
            entry: forged.clone(),
            chain: f.rows[300].chain,
        },
    );
    renumber(&mut rows);
    assert_eq!(run(&f, &rows), Err(Problem::ChainMismatch { seq: 300 }));
    // With a correctly computed chain value for its own place: the next entry no longer fits.
    let mut rows = f.rows.clone();
    let chain = chain_hash(&f.rows[299].chain, &forged.leaf_hash());
    rows.insert(
        300,
        StoredEntry {
            entry: forged,
            chain,
        },
    );
    renumber(&mut rows);
    assert_eq!(run(&f, &rows), Err(Problem::ChainMismatch { seq: 301 }));
}

#[test]
fn a_rewrite_with_the_chain_recomputed_fails_the_next_checkpoint() {
    let f = fixture();
    let key_id = f.key.verifying_key().key_id();
    let mut entries: Vec<Entry> = f.rows.iter().map(|r| r.entry.clone()).collect();
    entries[200].outcome = "denied".into();
    let rows = rows_for(entries);
    let problem = run(&f, &rows).unwrap_err();
    assert_eq!(
        problem,
        Problem::CheckpointMismatch {
            size: 500,
            key_id: key_id.clone()
        }
    );
    assert_eq!(problem.first_bad_seq(), None);
    // A rewrite after the last checkpoint but before the head is caught by the head instead.
    let mut entries: Vec<Entry> = f.rows[..1000].iter().map(|r| r.entry.clone()).collect();
    entries.push(sample_entry(1000));
    let honest = rows_for(entries.clone());
    entries[1000].action = "export".into();
    let rewritten = rows_for(entries);
    let report = run(&f, &rewritten).unwrap();
    assert_eq!(report.unanchored_entries, 1);
    assert_eq!(
        check_head(&report, 1001, &honest[1000].chain),
        Err(Problem::ChainMismatch { seq: 1000 })
    );
}

#[test]
fn a_truncated_tail_is_caught_by_the_last_checkpoint() {
    let f = fixture();
    let problem = run(&f, &f.rows[..900]).unwrap_err();
    assert_eq!(
        problem,
        Problem::Truncated {
            checkpoint_size: 1000,
            entries: 900
        }
    );
    assert_eq!(problem.first_bad_seq(), Some(900));
    assert_eq!(
        run(&f, &[]),
        Err(Problem::Truncated {
            checkpoint_size: 10,
            entries: 0
        })
    );
}

#[test]
fn a_forged_checkpoint_signature_is_reported() {
    let f = fixture();
    let key_id = f.key.verifying_key().key_id();
    let mut checkpoints = f.checkpoints.clone();
    let at_500 = checkpoints
        .iter_mut()
        .find(|c| c.checkpoint.size == 500)
        .unwrap();
    at_500.signature[10] ^= 1;
    let problem = run_with(&f, &f.rows, checkpoints).unwrap_err();
    assert_eq!(
        problem,
        Problem::BadSignature {
            size: 500,
            key_id: key_id.clone()
        }
    );
    assert_eq!(problem.first_bad_seq(), None);

    // A forged checkpoint beyond the end is a forgery, not proof of truncation.
    let mut beyond = sign_at(&f.key, &f.rows, 1000);
    beyond.checkpoint.size = 2000;
    let problem = run_with(&f, &f.rows, vec![beyond]).unwrap_err();
    assert_eq!(problem, Problem::BadSignature { size: 2000, key_id });
}

#[test]
fn checkpoints_by_other_keys_are_counted_not_trusted() {
    let f = fixture();
    let other = SigningKey::generate().unwrap();
    let mut checkpoints = f.checkpoints.clone();
    // A wrong root and a size far beyond the log: both would fail if trusted.
    checkpoints.push(other.sign(Checkpoint {
        origin: ORIGIN.into(),
        size: 700,
        root: [7; 32],
        time_ms: 0,
    }));
    checkpoints.push(sign_at(&other, &f.rows, 1000));
    let mut huge = sign_at(&other, &f.rows, 10);
    huge.checkpoint.size = 5000;
    checkpoints.push(huge);
    let report = run_with(&f, &f.rows, checkpoints).unwrap();
    assert_eq!(report.checkpoints_verified, 4);
    assert_eq!(report.checkpoints_other_keys, 3);

    // Only other keys: nothing is anchored.
    let report = run_with(&f, &f.rows, vec![sign_at(&other, &f.rows, 1000)]).unwrap();
    assert_eq!(report.checkpoints_verified, 0);
    assert_eq!(report.checkpoints_other_keys, 1);
    assert_eq!(report.unanchored_entries, 1000);
}

#[test]
fn a_failed_verifier_stays_failed() {
    let f = fixture();
    let mut rows = f.rows[..20].to_vec();
    rows[5].entry.action = "edited".into();
    let mut verifier = LogVerifier::new(f.key.verifying_key(), vec![]);
    for row in &rows[..5] {
        verifier.push(row).unwrap();
    }
    let problem = Problem::ChainMismatch { seq: 5 };
    assert_eq!(verifier.push(&rows[5]), Err(problem.clone()));
    assert_eq!(verifier.push(&f.rows[5]), Err(problem.clone()));
    assert_eq!(verifier.finish(), Err(problem));
}

#[test]
fn check_head_compares_size_and_chain() {
    let f = fixture();
    let report = run(&f, &f.rows).unwrap();
    let chain = f.rows[999].chain;
    assert_eq!(check_head(&report, 1000, &chain), Ok(()));
    // A row appended behind the application's back: the head still says 999.
    let short_head = run_with(&f, &f.rows[..999], vec![]).unwrap();
    assert_eq!(
        check_head(&report, 999, &f.rows[998].chain),
        Err(Problem::NotInHead { seq: 999 })
    );
    assert_eq!(Problem::NotInHead { seq: 999 }.first_bad_seq(), Some(999));
    // Rows deleted from the end since the last checkpoint.
    let problem = check_head(&short_head, 1000, &chain).unwrap_err();
    assert_eq!(
        problem,
        Problem::HeadAhead {
            head_size: 1000,
            entries: 999
        }
    );
    assert_eq!(problem.first_bad_seq(), Some(999));
    // Same size, different chain value.
    assert_eq!(
        check_head(&report, 1000, &[9; 32]),
        Err(Problem::ChainMismatch { seq: 999 })
    );
    // An empty log with a head that is not the genesis value.
    let empty = run_with(&f, &[], vec![]).unwrap();
    assert_eq!(check_head(&empty, 0, &GENESIS_CHAIN), Ok(()));
    assert_eq!(check_head(&empty, 0, &chain), Err(Problem::HeadMismatch));
    assert_eq!(Problem::HeadMismatch.first_bad_seq(), None);
}

#[test]
fn problems_read_as_plain_sentences() {
    let cases = [
        (
            Problem::ChainMismatch { seq: 41 },
            "entry #41 does not match the hash chain",
        ),
        (
            Problem::Missing {
                expected: 7,
                found: 9,
            },
            "entry #7 is missing",
        ),
        (
            Problem::OutOfOrder {
                seq: 3,
                expected: 4,
            },
            "entry #4 is out of place",
        ),
        (
            Problem::Truncated {
                checkpoint_size: 10,
                entries: 8,
            },
            "entry #8 and later",
        ),
        (Problem::NotInHead { seq: 5 }, "entry #5 lies beyond"),
        (
            Problem::HeadAhead {
                head_size: 5,
                entries: 3,
            },
            "entry #3 and later",
        ),
        (
            Problem::CheckpointMismatch {
                size: 500,
                key_id: "00ff".into(),
            },
            "entries before #500",
        ),
        (
            Problem::BadSignature {
                size: 500,
                key_id: "00ff".into(),
            },
            "key 00ff",
        ),
    ];
    for (problem, needle) in cases {
        assert!(problem.to_string().contains(needle), "{problem}");
    }
}

/// Throughput check for `enamel audit verify`; run with
/// `cargo test --release -p enamel-audit --test verify -- --ignored --nocapture`.
#[test]
#[ignore = "timing only, meaningful in release builds"]
fn throughput() {
    let rows = log(1_000_000);
    let key = SigningKey::generate().unwrap();
    let checkpoints = vec![sign_at(&key, &rows, 1_000_000)];
    let start = std::time::Instant::now();
    let mut verifier = LogVerifier::new(key.verifying_key(), checkpoints);
    for row in &rows {
        verifier.push(row).unwrap();
    }
    let report = verifier.finish().unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(report.checkpoints_verified, 1);
    #[allow(clippy::print_stdout)]
    {
        println!(
            "verified {} entries in {secs:.3} s: {:.0} entries/s",
            report.entries,
            1e6 / secs
        );
    }
}
