// The append-only Merkle tree against the RFC 9162 definitions, exhaustively for every tree size
// 0..300, and every way a proof can be malformed.
#include "merkle/merkle_tree.hpp"

#include <gtest/gtest.h>

#include "core/hash.hpp"
#include "naive_merkle.hpp"

namespace metanode::merkle {
namespace {

using core::ErrorCode;

constexpr std::size_t kSizesMax = 300;

const std::vector<Hash32>& leaves300() {
  static const std::vector<Hash32> leaves = naive::make_leaves(kSizesMax);
  return leaves;
}

const MerkleLog& log300() {
  static const MerkleLog log(leaves300());
  return log;
}

std::span<const Hash32> first(std::size_t n) { return std::span<const Hash32>(leaves300()).first(n); }

Hash32 root_at(std::uint64_t n) { return *log300().root_at(n); }

TEST(MerkleTree, HashesAreDomainSeparated) {
  const core::Bytes data{1, 2, 3};
  EXPECT_EQ(leaf_hash(data), core::hash(core::Domain::MerkleLeaf, data));
  const Hash32 a = leaf_hash(core::as_bytes("a"));
  const Hash32 b = leaf_hash(core::as_bytes("b"));
  EXPECT_EQ(node_hash(a, b), core::hash(core::Domain::MerkleNode, core::concat(a, b)));
  EXPECT_NE(node_hash(a, b), node_hash(b, a));
  EXPECT_NE(node_hash(a, b), leaf_hash(core::concat(a, b)));
}

TEST(MerkleTree, EmptyRootIsTheNodeDomainHashOfNothing) {
  EXPECT_EQ(empty_root(), core::hash(core::Domain::MerkleNode, core::ByteView{}));
  EXPECT_EQ(root_of({}), empty_root());
  EXPECT_EQ(MerkleLog().root(), empty_root());
  EXPECT_EQ(*MerkleLog().root_at(0), empty_root());
  EXPECT_NE(empty_root(), leaf_hash(core::ByteView{}));
}

TEST(MerkleTree, SmallTreesHaveTheRfcShape) {
  const auto& d = leaves300();
  EXPECT_EQ(root_of(first(1)), d[0]);
  EXPECT_EQ(root_of(first(2)), node_hash(d[0], d[1]));
  EXPECT_EQ(root_of(first(3)), node_hash(node_hash(d[0], d[1]), d[2]));
  EXPECT_EQ(root_of(first(5)), node_hash(node_hash(node_hash(d[0], d[1]), node_hash(d[2], d[3])), d[4]));
  EXPECT_EQ(root_of(first(7)), node_hash(node_hash(node_hash(d[0], d[1]), node_hash(d[2], d[3])),
                                         node_hash(node_hash(d[4], d[5]), d[6])));
}

TEST(MerkleTree, RootsMatchTheRfcForEverySizeUpTo300) {
  MerkleLog appended;
  for (std::size_t n = 0; n <= kSizesMax; ++n) {
    const Hash32 expected = naive::mth(first(n));
    ASSERT_EQ(root_of(first(n)), expected) << "n=" << n;
    ASSERT_EQ(root_at(n), expected) << "n=" << n;
    ASSERT_EQ(appended.root(), expected) << "n=" << n;
    ASSERT_EQ(MerkleLog(first(n)).root(), expected) << "n=" << n;
    if (n < kSizesMax) {
      auto index = appended.append(leaves300()[n]);
      ASSERT_TRUE(index.ok());
      ASSERT_EQ(*index, n);
    }
  }
  EXPECT_EQ(appended.size(), kSizesMax);
  EXPECT_EQ(appended.leaf(7), leaves300()[7]);
}

TEST(MerkleTree, InclusionProofsMatchTheRfcAndVerifyForEveryIndexOfEverySize) {
  std::size_t checked = 0;
  for (std::size_t n = 1; n <= kSizesMax; ++n) {
    const Hash32 root = root_at(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto proof = log300().inclusion_proof(i, n);
      ASSERT_TRUE(proof.ok()) << proof.error().to_string();
      ASSERT_EQ(proof->index, i);
      ASSERT_EQ(proof->tree_size, n);
      // The RFC reference costs O(n) per proof; comparing every proof up to 128 leaves covers
      // every shape of path (full, ragged right edge, power-of-two boundaries) at modest cost.
      if (n <= 128) {
        ASSERT_EQ(proof->path, naive::path(i, first(n))) << "n=" << n << " i=" << i;
      }
      if (n <= 40) {
        ASSERT_EQ(*inclusion_proof(first(n), i), *proof) << "n=" << n << " i=" << i;
      }
      auto verified = verify_inclusion(leaves300()[i], *proof, root);
      ASSERT_TRUE(verified.ok()) << "n=" << n << " i=" << i << ": " << verified.error().to_string();
      ++checked;
    }
  }
  EXPECT_EQ(checked, kSizesMax * (kSizesMax + 1) / 2);
}

TEST(MerkleTree, ConsistencyProofsMatchTheRfcAndVerifyForEveryPairOfSizes) {
  std::size_t checked = 0;
  for (std::size_t n = 1; n <= kSizesMax; ++n) {
    const Hash32 new_root = root_at(n);
    for (std::size_t m = 1; m <= n; ++m) {
      auto proof = log300().consistency_proof(m, n);
      ASSERT_TRUE(proof.ok()) << proof.error().to_string();
      ASSERT_EQ(proof->old_size, m);
      ASSERT_EQ(proof->new_size, n);
      if (m == n) {
        ASSERT_TRUE(proof->path.empty());
      } else if (n <= 100) {
        ASSERT_EQ(proof->path, naive::proof(m, first(n))) << "m=" << m << " n=" << n;
      }
      if (n <= 40) {
        ASSERT_EQ(*consistency_proof(first(n), m), *proof) << "m=" << m << " n=" << n;
      }
      auto verified = verify_consistency(*proof, root_at(m), new_root);
      ASSERT_TRUE(verified.ok()) << "m=" << m << " n=" << n << ": " << verified.error().to_string();
      ++checked;
    }
  }
  EXPECT_EQ(checked, kSizesMax * (kSizesMax + 1) / 2);
}

// Sizes around every kind of boundary, for the (costlier) mutation sweeps.
const std::vector<std::size_t> kMutationSizes = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100,
                                                 127, 128, 129, 255, 256, 257, 299, 300};

void expect_rejected(const core::Status& status, const std::string& what) {
  ASSERT_FALSE(status.ok()) << what << " was accepted";
  EXPECT_TRUE(status.error().code == ErrorCode::kProofInvalid || status.error().code == ErrorCode::kProofRootMismatch)
      << what << ": " << status.error().to_string();
}

TEST(MerkleTree, MutatedInclusionProofsAreRejected) {
  const Hash32 extra = naive::make_leaves(1, "extra")[0];
  for (const std::size_t n : kMutationSizes) {
    const Hash32 root = root_at(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Hash32& leaf = leaves300()[i];
      const InclusionProof good = *log300().inclusion_proof(i, n);
      const std::string at = "n=" + std::to_string(n) + " i=" + std::to_string(i);
      for (std::size_t e = 0; e < good.path.size(); ++e) {
        for (const std::size_t byte : {std::size_t{0}, std::size_t{17}, std::size_t{31}}) {
          InclusionProof bad = good;
          bad.path[e][byte] ^= 0x01;
          auto st = verify_inclusion(leaf, bad, root);
          ASSERT_FALSE(st.ok()) << at << " flipped element " << e;
          EXPECT_EQ(st.error().code, ErrorCode::kProofRootMismatch);
        }
      }
      {
        InclusionProof bad = good;
        bad.path.push_back(extra);
        auto st = verify_inclusion(leaf, bad, root);
        ASSERT_FALSE(st.ok()) << at << " extra element";
        EXPECT_EQ(st.error().code, ErrorCode::kProofInvalid);
        bad.path.insert(bad.path.begin(), extra);
        bad.path.pop_back();
        expect_rejected(verify_inclusion(leaf, bad, root), at + " extra element in front");
      }
      if (!good.path.empty()) {
        InclusionProof bad = good;
        bad.path.pop_back();
        auto st = verify_inclusion(leaf, bad, root);
        ASSERT_FALSE(st.ok()) << at << " dropped last";
        EXPECT_EQ(st.error().code, ErrorCode::kProofInvalid);
        bad = good;
        bad.path.erase(bad.path.begin());
        expect_rejected(verify_inclusion(leaf, bad, root), at + " dropped first");
      }
      for (const std::uint64_t index : {std::uint64_t{i} + 1, std::uint64_t{i} - 1}) {
        if (index >= n) continue;  // i - 1 wraps for i == 0; index >= n is tested below
        InclusionProof bad = good;
        bad.index = index;
        expect_rejected(verify_inclusion(leaf, bad, root), at + " index " + std::to_string(index));
      }
      {
        InclusionProof bad = good;
        bad.index = n;
        auto st = verify_inclusion(leaf, bad, root);
        ASSERT_FALSE(st.ok());
        EXPECT_EQ(st.error().code, ErrorCode::kProofInvalid);
      }
      // The proof does not bind the tree size by itself (RFC 9162: the size comes with the root
      // in a signed tree head), so a changed size is checked against that size's own root.
      for (const std::uint64_t size : {std::uint64_t{n} + 1, std::uint64_t{n} - 1}) {
        if (size <= i || size > kSizesMax) continue;
        InclusionProof bad = good;
        bad.tree_size = size;
        expect_rejected(verify_inclusion(leaf, bad, root_at(size)), at + " size " + std::to_string(size));
      }
      expect_rejected(verify_inclusion(extra, good, root), at + " other leaf");
      Hash32 other_root = root;
      other_root[5] ^= 0x80;
      expect_rejected(verify_inclusion(leaf, good, other_root), at + " other root");
    }
  }
}

TEST(MerkleTree, MutatedConsistencyProofsAreRejected) {
  const Hash32 extra = naive::make_leaves(1, "extra")[0];
  for (const std::size_t n : kMutationSizes) {
    for (std::size_t m = 1; m < n; ++m) {
      const Hash32 old_root = root_at(m);
      const Hash32 new_root = root_at(n);
      const ConsistencyProof good = *log300().consistency_proof(m, n);
      const std::string at = "m=" + std::to_string(m) + " n=" + std::to_string(n);
      ASSERT_FALSE(good.path.empty()) << at;
      for (std::size_t e = 0; e < good.path.size(); ++e) {
        ConsistencyProof bad = good;
        bad.path[e][e % 32] ^= 0x04;
        auto st = verify_consistency(bad, old_root, new_root);
        ASSERT_FALSE(st.ok()) << at << " flipped element " << e;
        EXPECT_EQ(st.error().code, ErrorCode::kProofRootMismatch);
      }
      {
        ConsistencyProof bad = good;
        bad.path.push_back(extra);
        auto st = verify_consistency(bad, old_root, new_root);
        ASSERT_FALSE(st.ok()) << at << " extra element";
        EXPECT_EQ(st.error().code, ErrorCode::kProofInvalid);
        bad = good;
        bad.path.pop_back();
        st = verify_consistency(bad, old_root, new_root);
        ASSERT_FALSE(st.ok()) << at << " dropped last";
        EXPECT_EQ(st.error().code, ErrorCode::kProofInvalid);
        bad = good;
        bad.path.erase(bad.path.begin());
        expect_rejected(verify_consistency(bad, old_root, new_root), at + " dropped first");
      }
      for (const std::uint64_t old_size : {std::uint64_t{m} - 1, std::uint64_t{m} + 1}) {
        ConsistencyProof bad = good;
        bad.old_size = old_size;
        expect_rejected(verify_consistency(bad, root_at(old_size), new_root), at + " old " + std::to_string(old_size));
      }
      for (const std::uint64_t new_size : {std::uint64_t{n} - 1, std::uint64_t{n} + 1}) {
        if (new_size > kSizesMax) continue;
        ConsistencyProof bad = good;
        bad.new_size = new_size;
        expect_rejected(verify_consistency(bad, old_root, root_at(new_size)), at + " new " + std::to_string(new_size));
      }
      expect_rejected(verify_consistency(good, new_root, old_root), at + " roots swapped");
      expect_rejected(verify_consistency(good, old_root, root_at(n - 1)), at + " other new root");
      expect_rejected(verify_consistency(good, root_at(m - 1), new_root), at + " other old root");
    }
  }
}

TEST(MerkleTree, VerifyInclusionRejectsImpossibleShapes) {
  const Hash32 leaf = leaves300()[0];
  auto st = verify_inclusion(leaf, InclusionProof{0, 0, {}}, empty_root());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kProofInvalid);
  EXPECT_NE(st.error().message.find("not below tree size 0"), std::string::npos) << st.error().message;

  st = verify_inclusion(leaf, InclusionProof{5, 5, {}}, root_at(5));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kProofInvalid);

  // One leaf: the leaf is the root and the path is empty.
  EXPECT_TRUE(verify_inclusion(leaf, InclusionProof{0, 1, {}}, leaf).ok());
  st = verify_inclusion(leaf, InclusionProof{0, 1, {leaf}}, leaf);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kProofInvalid);
  EXPECT_NE(st.error().message.find("needs 0 path entries, got 1"), std::string::npos) << st.error().message;

  InclusionProof too_long{0, 300, std::vector<Hash32>(kProofPathEntriesMax + 1, leaf)};
  st = verify_inclusion(leaf, too_long, root_at(300));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kProofInvalid);

  // Leaf 0 of the largest tree needs the most entries: exactly 64, so 64 fit and 63 do not.
  const std::uint64_t huge = ~std::uint64_t{0};
  InclusionProof full{0, huge, std::vector<Hash32>(64, leaf)};
  st = verify_inclusion(leaf, full, leaf);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kProofRootMismatch) << st.error().to_string();
  full.path.pop_back();
  st = verify_inclusion(leaf, full, leaf);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kProofInvalid);
}

TEST(MerkleTree, VerifyConsistencyHandlesTheEdgeCasesExplicitly) {
  const Hash32 r5 = root_at(5);
  const Hash32 r9 = root_at(9);
  auto code = [](const core::Status& st) { return st.ok() ? std::optional<ErrorCode>{} : st.error().code; };
  // Every tree extends the empty tree, which has the empty root.
  EXPECT_TRUE(verify_consistency(ConsistencyProof{0, 9, {}}, empty_root(), r9).ok());
  EXPECT_TRUE(verify_consistency(ConsistencyProof{0, 0, {}}, empty_root(), empty_root()).ok());
  EXPECT_EQ(code(verify_consistency(ConsistencyProof{0, 0, {}}, empty_root(), r5)), ErrorCode::kProofRootMismatch);
  EXPECT_EQ(code(verify_consistency(ConsistencyProof{0, 9, {r5}}, empty_root(), r9)), ErrorCode::kProofInvalid);
  EXPECT_EQ(code(verify_consistency(ConsistencyProof{0, 9, {}}, r5, r9)), ErrorCode::kProofRootMismatch);
  // Equal sizes: equal roots and nothing else.
  EXPECT_TRUE(verify_consistency(ConsistencyProof{5, 5, {}}, r5, r5).ok());
  EXPECT_EQ(code(verify_consistency(ConsistencyProof{5, 5, {}}, r5, r9)), ErrorCode::kProofRootMismatch);
  EXPECT_EQ(code(verify_consistency(ConsistencyProof{5, 5, {r5}}, r5, r5)), ErrorCode::kProofInvalid);
  // Shrinking is never consistent.
  EXPECT_EQ(code(verify_consistency(ConsistencyProof{9, 5, {}}, r9, r5)), ErrorCode::kProofInvalid);
  EXPECT_EQ(code(verify_consistency(ConsistencyProof{9, 5, {r5, r9}}, r9, r5)), ErrorCode::kProofInvalid);
  // 0 < m < n always needs a path (RFC 9162 step 1).
  EXPECT_EQ(code(verify_consistency(ConsistencyProof{5, 9, {}}, r5, r9)), ErrorCode::kProofInvalid);
  EXPECT_EQ(code(verify_consistency(ConsistencyProof{4, 9, {}}, root_at(4), r9)), ErrorCode::kProofInvalid);
  EXPECT_EQ(code(verify_consistency(ConsistencyProof{5, 9, std::vector<Hash32>(65, r5)}, r5, r9)),
            ErrorCode::kProofInvalid);
}

TEST(MerkleTree, ProofRequestsOutOfRangeAreErrors) {
  EXPECT_EQ(inclusion_proof(first(5), 5).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(inclusion_proof({}, 0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(consistency_proof(first(5), 6).error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(consistency_proof(first(5), 0)->path.empty());
  EXPECT_TRUE(consistency_proof(first(5), 5)->path.empty());
  EXPECT_EQ(log300().inclusion_proof(3, 301).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(log300().inclusion_proof(10, 10).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(log300().consistency_proof(10, 9).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(log300().consistency_proof(10, 301).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(log300().root_at(301).error().code, ErrorCode::kInvalidArgument);
}

TEST(MerkleTree, ProofEncodingIsFixedAndStrict) {
  const InclusionProof inclusion{2, 3, {Hash32{}, Hash32{}}};
  const core::Bytes encoded = core::encode(inclusion);
  EXPECT_EQ(core::to_hex(core::ByteView(encoded).first(20)), "0200000000000000" "0300000000000000" "02000000");
  EXPECT_EQ(encoded.size(), 8 + 8 + 4 + 2 * 32u);
  EXPECT_EQ(*core::decode<InclusionProof>(encoded), inclusion);
  for (std::size_t cut = 0; cut < encoded.size(); ++cut) {
    auto decoded = core::decode<InclusionProof>(core::ByteView(encoded).first(cut));
    ASSERT_FALSE(decoded.ok()) << cut;
    EXPECT_EQ(decoded.error().code, ErrorCode::kDecodeTruncated);
  }
  core::Bytes trailing = encoded;
  trailing.push_back(0);
  EXPECT_EQ(core::decode<InclusionProof>(trailing).error().code, ErrorCode::kDecodeTrailingBytes);

  const ConsistencyProof consistency = *log300().consistency_proof(77, 300);
  const core::Bytes encoded2 = core::encode(consistency);
  EXPECT_EQ(*core::decode<ConsistencyProof>(encoded2), consistency);
  EXPECT_EQ(core::decode<ConsistencyProof>(core::ByteView(encoded2).first(encoded2.size() - 1)).error().code,
            ErrorCode::kDecodeTruncated);

  // A path count over the limit is refused from its prefix alone, before any allocation.
  core::Writer w;
  w.u64(1);
  w.u64(2);
  w.u32(static_cast<std::uint32_t>(kProofPathEntriesMax + 1));
  EXPECT_EQ(core::decode<ConsistencyProof>(w.data()).error().code, ErrorCode::kDecodeOverLimit);
  EXPECT_EQ(core::decode<InclusionProof>(w.data()).error().code, ErrorCode::kDecodeOverLimit);
}

}  // namespace
}  // namespace metanode::merkle
