//! The Merkle tree against the published RFC 6962 / Certificate Transparency vectors, the
//! frontier against the recursive definition, and proofs exhaustively for small trees.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_lc_rs::digest::{SHA256, digest};
use enamel_audit::{
    Frontier, Hash, consistency_proof, empty_root, inclusion_proof, node_hash, root,
    verify_consistency, verify_inclusion,
};

/// Leaf inputs of certificate-transparency's merkle_tree_test (RFC 6962 vectors).
const CT_LEAF_INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// Published MTH of the first n of those leaves, n = 1..=8.
const CT_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn h(hex_str: &str) -> Hash {
    hex::decode(hex_str).unwrap().try_into().unwrap()
}

/// RFC 6962 leaf hash computed here, independently of the crate.
fn rfc_leaf(data: &[u8]) -> Hash {
    let mut buf = vec![0x00];
    buf.extend_from_slice(data);
    digest(&SHA256, &buf).as_ref().try_into().unwrap()
}

fn ct_leaves() -> Vec<Hash> {
    CT_LEAF_INPUTS
        .iter()
        .map(|s| rfc_leaf(&hex::decode(s).unwrap()))
        .collect()
}

/// Distinct synthetic leaf hashes.
fn leaves(n: usize) -> Vec<Hash> {
    (0..n as u32).map(|i| rfc_leaf(&i.to_be_bytes())).collect()
}

#[test]
fn empty_root_is_sha256_of_nothing() {
    assert_eq!(
        empty_root(),
        h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
    assert_eq!(root(&[]), empty_root());
}

#[test]
fn node_hash_uses_the_0x01_prefix() {
    let (l, r) = ([1u8; 32], [2u8; 32]);
    let mut buf = vec![0x01];
    buf.extend_from_slice(&l);
    buf.extend_from_slice(&r);
    assert_eq!(node_hash(&l, &r).as_slice(), digest(&SHA256, &buf).as_ref());
}

#[test]
fn roots_match_the_rfc6962_vectors() {
    let leaves = ct_leaves();
    for (i, expected) in CT_ROOTS.iter().enumerate() {
        assert_eq!(
            hex::encode(root(&leaves[..=i])),
            *expected,
            "size {}",
            i + 1
        );
        let mut frontier = Frontier::new();
        leaves[..=i].iter().for_each(|l| frontier.push(*l));
        assert_eq!(
            hex::encode(frontier.root()),
            *expected,
            "frontier size {}",
            i + 1
        );
    }
}

#[test]
fn proofs_match_the_published_vectors() {
    let leaves = ct_leaves();
    let root8 = h(CT_ROOTS[7]);
    // (index, size, path) from the RFC 6962 test vectors used by Trillian and CT.
    let inclusion: [(u64, usize, &[&str]); 4] = [
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (index, size, path) in inclusion {
        let expected: Vec<Hash> = path.iter().map(|s| h(s)).collect();
        assert_eq!(inclusion_proof(&leaves[..size], index).unwrap(), expected);
        let r = h(CT_ROOTS[size - 1]);
        assert!(verify_inclusion(
            &leaves[index as usize],
            index,
            size as u64,
            &expected,
            &r
        ));
    }
    // (old, new, path).
    let consistency: [(u64, usize, &[&str]); 3] = [
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (old, new, path) in consistency {
        let expected: Vec<Hash> = path.iter().map(|s| h(s)).collect();
        assert_eq!(consistency_proof(&leaves[..new], old).unwrap(), expected);
        let old_root = h(CT_ROOTS[old as usize - 1]);
        let new_root = h(CT_ROOTS[new - 1]);
        assert!(verify_consistency(
            old, new as u64, &old_root, &new_root, &expected
        ));
    }
    assert!(verify_inclusion(
        &leaves[7],
        7,
        8,
        &inclusion_proof(&leaves, 7).unwrap(),
        &root8
    ));
}

#[test]
fn frontier_root_equals_the_recursive_root_for_every_size_to_300() {
    let all = leaves(300);
    let mut frontier = Frontier::new();
    for n in 0..=300 {
        assert_eq!(frontier.size(), n as u64);
        assert_eq!(frontier.root(), root(&all[..n]), "size {n}");
        let bytes = frontier.to_bytes();
        assert_eq!(bytes.len(), 8 + 32 * (n as u64).count_ones() as usize);
        assert_eq!(Frontier::from_bytes(&bytes).unwrap(), frontier, "size {n}");
        if n < 300 {
            frontier.push(all[n]);
        }
    }
}

#[test]
fn a_frontier_restored_from_bytes_keeps_growing_the_same_tree() {
    let all = leaves(77);
    let mut frontier = Frontier::new();
    for (i, leaf) in all.iter().enumerate() {
        frontier = Frontier::from_bytes(&frontier.to_bytes()).unwrap();
        frontier.push(*leaf);
        assert_eq!(frontier.root(), root(&all[..=i]));
    }
}

#[test]
fn the_empty_frontier_is_eight_zero_bytes() {
    assert_eq!(Frontier::new().to_bytes(), vec![0u8; 8]);
    assert_eq!(Frontier::from_bytes(&[0u8; 8]).unwrap(), Frontier::new());
    assert_eq!(Frontier::new().root(), empty_root());
}

#[test]
fn from_bytes_rejects_damaged_frontiers() {
    let mut frontier = Frontier::new();
    leaves(5).into_iter().for_each(|l| frontier.push(l));
    let good = frontier.to_bytes(); // size 5: two peaks
    assert_eq!(good.len(), 8 + 64);
    let reject = |bytes: &[u8]| Frontier::from_bytes(bytes).is_err();
    assert!(reject(&good[..8 + 32]), "one peak too few");
    assert!(
        reject(&[good.as_slice(), &[7u8; 32]].concat()),
        "one peak too many"
    );
    assert!(reject(&good[..good.len() - 1]), "a partial peak");
    assert!(
        reject(&[good.as_slice(), &[0u8]].concat()),
        "a trailing byte"
    );
    assert!(reject(&good[..7]), "no room for the size");
    assert!(reject(&[]), "nothing at all");
    let mut wrong_size = good.clone();
    wrong_size[7] = 6; // size 6 also has two peaks: accepted, as the format cannot tell
    assert!(Frontier::from_bytes(&wrong_size).is_ok());
    wrong_size[7] = 7; // size 7 needs three
    assert!(reject(&wrong_size));
    assert!(reject(&[0, 0, 0, 0, 0, 0, 0, 1]), "size 1 without its peak");
}

#[test]
fn inclusion_proofs_verify_for_every_index_of_sizes_1_to_70() {
    let all = leaves(71);
    let wrong_leaf = rfc_leaf(b"not in the log");
    for n in 1..=70usize {
        let tree = &all[..n];
        let r = root(tree);
        for i in 0..n {
            let (index, size) = (i as u64, n as u64);
            let proof = inclusion_proof(tree, index).unwrap();
            assert!(
                verify_inclusion(&tree[i], index, size, &proof, &r),
                "{i} of {n}"
            );
            assert!(!verify_inclusion(&wrong_leaf, index, size, &proof, &r));
            assert!(!verify_inclusion(
                &tree[i],
                index,
                size,
                &proof,
                &empty_root()
            ));
            if i + 1 < n {
                assert!(!verify_inclusion(&tree[i], index + 1, size, &proof, &r));
                assert!(!verify_inclusion(&tree[i + 1], index + 1, size, &proof, &r));
            }
            if i > 0 {
                assert!(!verify_inclusion(&tree[i], index - 1, size, &proof, &r));
            }
            // A size that does not match the proof, even with that size's real root.
            assert!(!verify_inclusion(
                &tree[i],
                index,
                size + 1,
                &proof,
                &root(&all[..=n])
            ));
            if i + 1 < n {
                let smaller = &all[..n - 1];
                assert!(!verify_inclusion(
                    &tree[i],
                    index,
                    size - 1,
                    &proof,
                    &root(smaller)
                ));
            }
            // A tampered, shortened or padded path.
            for k in 0..proof.len() {
                let mut bad = proof.clone();
                bad[k][0] ^= 1;
                assert!(!verify_inclusion(&tree[i], index, size, &bad, &r));
            }
            if !proof.is_empty() {
                let short = &proof[..proof.len() - 1];
                assert!(!verify_inclusion(&tree[i], index, size, short, &r));
            }
            let padded = [proof.as_slice(), &[r]].concat();
            assert!(!verify_inclusion(&tree[i], index, size, &padded, &r));
        }
        assert!(
            !verify_inclusion(&all[n], n as u64, n as u64, &[], &r),
            "index == size"
        );
        assert_eq!(
            inclusion_proof(tree, n as u64),
            Err(enamel_audit::AuditError::IndexOutOfRange)
        );
    }
    assert!(!verify_inclusion(&empty_root(), 0, 0, &[], &empty_root()));
    assert!(inclusion_proof(&[], 0).is_err());
}

#[test]
fn consistency_proofs_verify_for_all_sizes_to_70() {
    let all = leaves(72);
    for n in 1..=70usize {
        let new_root = root(&all[..n]);
        for m in 1..=n {
            let (old, new) = (m as u64, n as u64);
            let old_root = root(&all[..m]);
            let proof = consistency_proof(&all[..n], old).unwrap();
            assert!(
                verify_consistency(old, new, &old_root, &new_root, &proof),
                "{m} -> {n}"
            );
            assert_eq!(proof.is_empty(), m == n);

            // Rewritten old history: any one old leaf changed.
            for j in 0..m {
                let mut forged = all[..n].to_vec();
                forged[j] = rfc_leaf(b"rewritten");
                let forged_old = root(&forged[..m]);
                assert!(!verify_consistency(
                    old,
                    new,
                    &forged_old,
                    &new_root,
                    &proof
                ));
                // ...and a proof built from the rewritten log against the real old root.
                let forged_proof = consistency_proof(&forged, old).unwrap();
                let forged_new = root(&forged);
                assert!(!verify_consistency(
                    old,
                    new,
                    &old_root,
                    &forged_new,
                    &forged_proof
                ));
            }
            // Wrong sizes, each with the real root of that size.
            if m > 1 {
                let r = root(&all[..m - 1]);
                assert!(!verify_consistency(old - 1, new, &r, &new_root, &proof));
            }
            if m < n {
                let r = root(&all[..=m]);
                assert!(!verify_consistency(old + 1, new, &r, &new_root, &proof));
            }
            let bigger = root(&all[..=n]);
            assert!(!verify_consistency(
                old,
                new + 1,
                &old_root,
                &bigger,
                &proof
            ));
            if m < n {
                let smaller = root(&all[..n - 1]);
                assert!(!verify_consistency(
                    old,
                    new - 1,
                    &old_root,
                    &smaller,
                    &proof
                ));
            }
            // Swapped roots and tampered paths.
            if m < n {
                assert!(!verify_consistency(old, new, &new_root, &old_root, &proof));
                for k in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[k][31] ^= 0x80;
                    assert!(!verify_consistency(old, new, &old_root, &new_root, &bad));
                }
                let short = &proof[..proof.len() - 1];
                assert!(!verify_consistency(old, new, &old_root, &new_root, short));
                let padded = [proof.as_slice(), &[old_root]].concat();
                assert!(!verify_consistency(old, new, &old_root, &new_root, &padded));
            }
        }
    }
}

#[test]
fn consistency_edge_cases() {
    let all = leaves(4);
    let r4 = root(&all);
    let r2 = root(&all[..2]);
    let e = empty_root();
    // Equal sizes: empty proof and equal roots only.
    assert!(verify_consistency(4, 4, &r4, &r4, &[]));
    assert!(!verify_consistency(4, 4, &r4, &r2, &[]));
    assert!(!verify_consistency(4, 4, &r4, &r4, &[r4]));
    // From the empty tree: valid only with an empty proof and the empty root.
    assert!(verify_consistency(0, 4, &e, &r4, &[]));
    assert!(verify_consistency(0, 0, &e, &e, &[]));
    assert!(!verify_consistency(0, 4, &e, &r4, &[r4]));
    assert!(!verify_consistency(0, 4, &r2, &r4, &[]));
    assert!(!verify_consistency(0, 0, &e, &r4, &[]));
    // Shrinking, and a non-trivial proof left empty.
    assert!(!verify_consistency(4, 2, &r4, &r2, &[]));
    assert!(!verify_consistency(2, 4, &r2, &r4, &[]));
    assert_eq!(consistency_proof(&all, 0).unwrap(), Vec::<Hash>::new());
    assert_eq!(consistency_proof(&all, 4).unwrap(), Vec::<Hash>::new());
    assert!(consistency_proof(&all, 5).is_err());
}
