//! RFC 6962 Merkle tree vectors.
//!
//! Source: the Certificate Transparency reference test data
//! (google/certificate-transparency `cpp/merkletree/merkle_tree_test.cc`, also
//! used by transparency-dev/merkle and Go's `golang.org/x/mod/sumdb/tlog`): the
//! eight leaves below, the roots of the trees of size 1..=8, and the proofs
//! quoted from the same test data.

use paraakh_evidence::merkle::{
    Hash, MerkleAccumulator, ProofError, consistency_proof, empty_root, inclusion_proof, leaf_hash,
    verify_consistency, verify_inclusion,
};

fn h(s: &str) -> Hash {
    let bytes: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect();
    bytes.try_into().unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn leaf_hashes() -> Vec<Hash> {
    LEAVES.iter().map(|l| leaf_hash(&unhex(l))).collect()
}

#[test]
fn empty_tree_root_is_sha256_of_nothing() {
    assert_eq!(
        empty_root(),
        h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
}

#[test]
fn roots_of_trees_of_size_one_to_eight() {
    let mut acc = MerkleAccumulator::new();
    for (i, leaf) in leaf_hashes().into_iter().enumerate() {
        acc.push(leaf);
        assert_eq!(acc.root(), h(ROOTS[i]), "size {}", i + 1);
    }
}

#[test]
fn inclusion_proof_for_leaf_five_of_eight() {
    let leaves = leaf_hashes();
    let proof = [
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    ];
    assert_eq!(inclusion_proof(&leaves, 5).unwrap(), proof);
    verify_inclusion(5, 8, &leaves[5], &proof, &h(ROOTS[7])).unwrap();
    assert_eq!(
        verify_inclusion(4, 8, &leaves[5], &proof, &h(ROOTS[7])),
        Err(ProofError::RootMismatch)
    );
    assert!(verify_inclusion(5, 8, &leaves[5], &proof[..2], &h(ROOTS[7])).is_err());
}

#[test]
fn inclusion_proof_for_leaf_two_of_three() {
    let leaves = leaf_hashes();
    let proof = [h(ROOTS[1])];
    assert_eq!(inclusion_proof(&leaves[..3], 2).unwrap(), proof);
    verify_inclusion(2, 3, &leaves[2], &proof, &h(ROOTS[2])).unwrap();
}

#[test]
fn consistency_proofs_from_the_reference_data() {
    let leaves = leaf_hashes();
    let p68 = [
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    ];
    assert_eq!(consistency_proof(&leaves, 6).unwrap(), p68);
    verify_consistency(6, 8, &p68, &h(ROOTS[5]), &h(ROOTS[7])).unwrap();
    assert!(verify_consistency(6, 8, &p68, &h(ROOTS[4]), &h(ROOTS[7])).is_err());

    let p25 = [
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    ];
    assert_eq!(consistency_proof(&leaves[..5], 2).unwrap(), p25);
    verify_consistency(2, 5, &p25, &h(ROOTS[1]), &h(ROOTS[4])).unwrap();

    // Sizes 1 -> 8 and 4 -> 8 (a power of two: the old root is not in the proof).
    let p18 = consistency_proof(&leaves, 1).unwrap();
    verify_consistency(1, 8, &p18, &h(ROOTS[0]), &h(ROOTS[7])).unwrap();
    let p48 = consistency_proof(&leaves, 4).unwrap();
    verify_consistency(4, 8, &p48, &h(ROOTS[3]), &h(ROOTS[7])).unwrap();
}

#[test]
fn trivial_consistency_cases() {
    let root = h(ROOTS[3]);
    verify_consistency(4, 4, &[], &root, &root).unwrap();
    assert!(verify_consistency(4, 4, &[root], &root, &root).is_err());
    verify_consistency(0, 4, &[], &empty_root(), &root).unwrap();
    assert!(verify_consistency(5, 4, &[], &root, &root).is_err());
    assert!(verify_consistency(3, 4, &[], &h(ROOTS[2]), &root).is_err());
}
