//! RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and consistency proofs.
//!
//! Leaf hash = SHA-256(0x00 ‖ record), node hash = SHA-256(0x01 ‖ left ‖ right),
//! the root of the empty tree = SHA-256(""). Proof verification follows the
//! algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2 literally, because those are
//! what other transparency-log tooling checks against.

use ring::digest::{Context, SHA256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Hash {
    finish(ring::digest::digest(&SHA256, data))
}

fn finish(d: ring::digest::Digest) -> Hash {
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// The RFC 6962 leaf hash of a record: SHA-256(0x00 ‖ record).
pub fn leaf_hash(record: &[u8]) -> Hash {
    let mut ctx = Context::new(&SHA256);
    ctx.update(&[0x00]);
    ctx.update(record);
    finish(ctx.finish())
}

/// The RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut ctx = Context::new(&SHA256);
    ctx.update(&[0x01]);
    ctx.update(left);
    ctx.update(right);
    finish(ctx.finish())
}

/// Root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    sha256(&[])
}

/// An append-only accumulator that knows the root at its current size in
/// O(log n) memory: the roots of the perfect subtrees that make up the tree
/// (one per set bit of the size), largest first.
#[derive(Debug, Clone, Default)]
pub struct MerkleAccumulator {
    size: u64,
    // (height, hash) of perfect subtrees, left to right, heights strictly decreasing.
    peaks: Vec<(u32, Hash)>,
}

impl MerkleAccumulator {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash (see [`leaf_hash`]).
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (0u32, leaf);
        while let Some(&(height, left)) = self.peaks.last() {
            if height != node.0 {
                break;
            }
            self.peaks.pop();
            node = (height + 1, node_hash(&left, &node.1));
        }
        self.peaks.push(node);
        self.size += 1;
    }

    /// The RFC 6962 tree head at the current size.
    pub fn root(&self) -> Hash {
        let mut iter = self.peaks.iter().rev();
        let Some(&(_, mut acc)) = iter.next() else {
            return empty_root();
        };
        for (_, left) in iter {
            acc = node_hash(left, &acc);
        }
        acc
    }
}

/// An append-only tree that keeps the hash of every perfect subtree, so the
/// root at any earlier size and consistency proofs between any two sizes
/// cost O(log n) (about twice the memory of the leaves). The backend keeps
/// one per session: each checkpoint costs the same however long the log is.
#[derive(Debug, Clone, Default)]
pub struct MerkleTree {
    // levels[h][i]: the hash of the perfect subtree of height h starting at leaf i·2^h.
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = leaf;
        let mut height = 0;
        loop {
            if self.levels.len() == height {
                self.levels.push(Vec::new());
            }
            let level = &mut self.levels[height];
            level.push(node);
            if level.len() % 2 == 1 {
                break;
            }
            node = node_hash(&level[level.len() - 2], &level[level.len() - 1]);
            height += 1;
        }
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<&Hash> {
        let i = usize::try_from(index).ok()?;
        self.levels.first()?.get(i)
    }

    /// The RFC 6962 root of the first `size` leaves (`None` beyond the tree).
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        if size > self.size() {
            return None;
        }
        Some(self.range_root(0, size))
    }

    /// MTH of leaves `start..start+len`, where `start` is a multiple of the
    /// smallest power of two ≥ `len` (true of every range RFC 6962 splits
    /// into): the range is then made of aligned perfect subtrees, largest first.
    fn range_root(&self, start: u64, len: u64) -> Hash {
        if len == 0 {
            return empty_root();
        }
        let mut blocks = Vec::with_capacity(64);
        let mut at = start;
        for height in (0..64u32).rev() {
            let width = 1u64 << height;
            if len & width != 0 {
                let index = usize::try_from(at >> height).unwrap_or(usize::MAX);
                if let Some(h) = self.levels.get(height as usize).and_then(|l| l.get(index)) {
                    blocks.push(*h);
                }
                at += width;
            }
        }
        let mut iter = blocks.iter().rev();
        let Some(mut acc) = iter.next().copied() else {
            return empty_root();
        };
        for left in iter {
            acc = node_hash(left, &acc);
        }
        acc
    }

    /// A consistency proof (RFC 6962 §2.1.2) from size `old` to size `new`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, ProofError> {
        if old > new || new > self.size() {
            return Err(ProofError::InvalidRequest(
                "the sizes are out of order or beyond the tree",
            ));
        }
        let mut proof = Vec::new();
        if old == 0 || old == new {
            return Ok(proof);
        }
        self.subproof(old, 0, new, true, &mut proof);
        Ok(proof)
    }

    fn subproof(&self, m: u64, start: u64, n: u64, complete: bool, out: &mut Vec<Hash>) {
        if m == n {
            if !complete {
                out.push(self.range_root(start, n));
            }
            return;
        }
        let k = split_point(usize::try_from(n).unwrap_or(usize::MAX)) as u64;
        if m <= k {
            self.subproof(m, start, k, complete, out);
            out.push(self.range_root(start + k, n - k));
        } else {
            self.subproof(m - k, start + k, n - k, false, out);
            out.push(self.range_root(start, k));
        }
    }
}

/// The root of a tree made of the given leaf hashes.
pub fn root_of(leaves: &[Hash]) -> Hash {
    let mut acc = MerkleAccumulator::new();
    for leaf in leaves {
        acc.push(*leaf);
    }
    acc.root()
}

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The index or sizes given do not describe a valid proof request.
    #[error("invalid proof request: {0}")]
    InvalidRequest(&'static str),
    /// The proof has the wrong number of hashes for its sizes.
    #[error("the proof has the wrong length for these tree sizes")]
    WrongLength,
    /// The proof does not lead to the expected root(s).
    #[error("the proof does not match the expected root hash")]
    RootMismatch,
}

/// Largest power of two strictly smaller than `n` (n ≥ 2).
fn split_point(n: usize) -> usize {
    debug_assert!(n >= 2);
    let mut k = 1usize;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// An inclusion proof (RFC 6962 §2.1.1 PATH) for leaf `index` in the tree of `leaves`.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Result<Vec<Hash>, ProofError> {
    if index >= leaves.len() {
        return Err(ProofError::InvalidRequest("leaf index beyond tree size"));
    }
    let mut proof = Vec::new();
    path(index, leaves, &mut proof);
    Ok(proof)
}

fn path(m: usize, d: &[Hash], out: &mut Vec<Hash>) {
    let n = d.len();
    if n <= 1 {
        return;
    }
    let k = split_point(n);
    if m < k {
        path(m, &d[..k], out);
        out.push(root_of(&d[k..]));
    } else {
        path(m - k, &d[k..], out);
        out.push(root_of(&d[..k]));
    }
}

/// A consistency proof (RFC 6962 §2.1.2 PROOF) from the first `old_size` leaves to all of `leaves`.
pub fn consistency_proof(leaves: &[Hash], old_size: usize) -> Result<Vec<Hash>, ProofError> {
    if old_size > leaves.len() {
        return Err(ProofError::InvalidRequest("old size beyond new size"));
    }
    let mut proof = Vec::new();
    if old_size == 0 || old_size == leaves.len() {
        return Ok(proof);
    }
    subproof(old_size, leaves, true, &mut proof);
    Ok(proof)
}

fn subproof(m: usize, d: &[Hash], complete: bool, out: &mut Vec<Hash>) {
    let n = d.len();
    if m == n {
        if !complete {
            out.push(root_of(d));
        }
        return;
    }
    let k = split_point(n);
    if m <= k {
        subproof(m, &d[..k], complete, out);
        out.push(root_of(&d[k..]));
    } else {
        subproof(m - k, &d[k..], false, out);
        out.push(root_of(&d[..k]));
    }
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::InvalidRequest("leaf index beyond tree size"));
    }
    let mut f_n = index;
    let mut s_n = size - 1;
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return Err(ProofError::WrongLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength);
    }
    if &r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies a consistency proof between two tree heads (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::InvalidRequest("old size beyond new size"));
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if old_size == 0 {
        // Every tree is consistent with the empty tree; the proof is empty.
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength)
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);

    let mut f_n = old_size - 1;
    let mut s_n = new_size - 1;
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let mut f_r = path[0];
    let mut s_r = path[0];
    for c in &path[1..] {
        if s_n == 0 {
            return Err(ProofError::WrongLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength);
    }
    if &f_r != old_root || &s_r != new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accumulator_matches_root_of_at_every_size() {
        let leaves: Vec<Hash> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut acc = MerkleAccumulator::new();
        assert_eq!(acc.root(), empty_root());
        for (i, leaf) in leaves.iter().enumerate() {
            acc.push(*leaf);
            assert_eq!(acc.size(), i as u64 + 1);
            assert_eq!(acc.root(), root_of(&leaves[..=i]));
        }
    }

    #[test]
    fn the_tree_knows_the_root_and_consistency_proofs_at_every_earlier_size() {
        let leaves: Vec<Hash> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut tree = MerkleTree::new();
        assert_eq!(tree.root_at(0), Some(empty_root()));
        for leaf in &leaves {
            tree.push(*leaf);
        }
        assert_eq!(tree.size(), 70);
        assert_eq!(tree.root_at(71), None);
        for size in 0..=70usize {
            assert_eq!(tree.root_at(size as u64), Some(root_of(&leaves[..size])));
        }
        for new in 0..=70usize {
            for old in 0..=new {
                let proof = tree.consistency_proof(old as u64, new as u64).unwrap();
                assert_eq!(proof, consistency_proof(&leaves[..new], old).unwrap());
                verify_consistency(
                    old as u64,
                    new as u64,
                    &proof,
                    &root_of(&leaves[..old]),
                    &root_of(&leaves[..new]),
                )
                .unwrap();
            }
        }
        assert!(tree.consistency_proof(5, 71).is_err());
        assert!(tree.consistency_proof(6, 5).is_err());
    }

    #[test]
    fn inclusion_request_beyond_size_is_refused() {
        let leaves = [leaf_hash(b"a")];
        assert!(inclusion_proof(&leaves, 1).is_err());
        assert!(verify_inclusion(1, 1, &leaves[0], &[], &leaves[0]).is_err());
    }
}
