//! Our Merkle code against a second, naive implementation written straight
//! from the RFC 6962 definitions, and proofs round-tripped at random sizes.

use paraakh_evidence::merkle::{
    Hash, MerkleAccumulator, consistency_proof, inclusion_proof, leaf_hash, node_hash, sha256,
    verify_consistency, verify_inclusion,
};
use proptest::prelude::*;

/// MTH from RFC 6962 §2.1, recursively.
fn naive_root(leaves: &[Vec<u8>]) -> Hash {
    match leaves.len() {
        0 => sha256(b""),
        1 => leaf_hash(&leaves[0]),
        n => {
            // k is the largest power of two smaller than n.
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn accumulator_agrees_with_the_naive_definition(leaves in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..8), 0..70)) {
        let mut acc = MerkleAccumulator::new();
        for l in &leaves {
            acc.push(leaf_hash(l));
        }
        prop_assert_eq!(acc.root(), naive_root(&leaves));
    }

    #[test]
    fn proofs_verify_and_wrong_ones_do_not(n in 1usize..90, seed in any::<u64>()) {
        let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&(i as u64 ^ seed).to_be_bytes())).collect();
        let mut acc = MerkleAccumulator::new();
        let mut roots = Vec::new();
        for l in &leaves {
            acc.push(*l);
            roots.push(acc.root());
        }
        let index = (seed as usize) % n;
        let proof = inclusion_proof(&leaves, index).unwrap();
        prop_assert!(verify_inclusion(index as u64, n as u64, &leaves[index], &proof, &roots[n - 1]).is_ok());
        let other = (index + 1) % n;
        if other != index {
            prop_assert!(verify_inclusion(other as u64, n as u64, &leaves[index], &proof, &roots[n - 1]).is_err());
        }
        let m = 1 + (seed as usize / 7) % n;
        let cproof = consistency_proof(&leaves, m).unwrap();
        prop_assert!(verify_consistency(m as u64, n as u64, &cproof, &roots[m - 1], &roots[n - 1]).is_ok());
        if m < n {
            let mut bad = roots[m - 1];
            bad[0] ^= 1;
            prop_assert!(verify_consistency(m as u64, n as u64, &cproof, &bad, &roots[n - 1]).is_err());
        }
    }
}
