// The sparse Merkle tree against a std::map model: values, roots, proofs, persistence of old
// versions, canonical shape, corruption detection, and the cost of an update.
#include "merkle/sparse_merkle_tree.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "core/hash.hpp"

namespace metanode::merkle {
namespace {

using core::Bytes;
using core::ErrorCode;
using core::Hash32;
using Smt = SparseMerkleTree;
using Model = std::map<Hash32, Bytes>;

Hash32 key_of(std::uint64_t i) { return core::hash(core::Domain::Test, core::as_bytes("key-" + std::to_string(i))); }
Bytes value_of(std::uint64_t i, std::size_t size = 8) {
  Bytes v(size, 0);
  for (std::size_t b = 0; b < size; ++b) v[b] = static_cast<std::uint8_t>(i >> (8 * (b % 8)));
  return v;
}

// Records every node written, so tests can count writes and stage a batch apart from the reader.
class RecordingWriter final : public NodeWriter {
 public:
  void put_node(const Hash32& id, core::ByteView encoded) override { puts.emplace_back(id, core::to_bytes(encoded)); }
  void replay_into(NodeWriter& out) const {
    for (const auto& [id, bytes] : puts) out.put_node(id, bytes);
  }
  std::vector<std::pair<Hash32, Bytes>> puts;
};

class CountingReader final : public NodeReader {
 public:
  explicit CountingReader(const NodeReader& inner) : inner_(inner) {}
  core::Result<std::optional<Bytes>> get_node(const Hash32& id) const override {
    ++reads;
    return inner_.get_node(id);
  }
  mutable std::size_t reads = 0;

 private:
  const NodeReader& inner_;
};

Hash32 apply_ok(const Smt& tree, const Hash32& root, const std::vector<SmtUpdate>& updates, NodeWriter& out) {
  auto result = tree.apply(root, updates, out);
  EXPECT_TRUE(result.ok()) << result.error().to_string();
  return result.ok() ? *result : Hash32{};
}

std::vector<SmtUpdate> inserts_of(const Model& model) {
  std::vector<SmtUpdate> updates;
  for (const auto& [k, v] : model) updates.push_back(SmtUpdate{k, v});
  return updates;
}

// A key with chosen leading bits (MSB first) and the rest from `tail`, to build known shapes.
Hash32 key_with_prefix(std::string_view bits, std::uint8_t tail) {
  Hash32 key{};
  key.fill(tail);
  for (std::size_t i = 0; i < bits.size(); ++i) {
    const auto mask = static_cast<std::uint8_t>(0x80u >> (i % 8));
    if (bits[i] == '1') key[i / 8] = static_cast<std::uint8_t>(key[i / 8] | mask);
    else key[i / 8] = static_cast<std::uint8_t>(key[i / 8] & ~mask);
  }
  return key;
}

void expect_present(const Smt& tree, const Hash32& root, const Hash32& key, const Bytes& value) {
  auto got = tree.get(root, key);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, value);
  auto proof = tree.prove(root, key);
  ASSERT_TRUE(proof.ok());
  auto verified = Smt::verify_proof(root, key, value, *proof);
  EXPECT_TRUE(verified.ok()) << verified.error().to_string();
}

void expect_absent(const Smt& tree, const Hash32& root, const Hash32& key) {
  auto got = tree.get(root, key);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_FALSE(got->has_value());
  auto proof = tree.prove(root, key);
  ASSERT_TRUE(proof.ok());
  auto verified = Smt::verify_proof(root, key, std::nullopt, *proof);
  EXPECT_TRUE(verified.ok()) << verified.error().to_string();
}

TEST(SparseMerkleTree, EmptyTreeNeedsNoNodes) {
  MemoryNodeStore store;
  const Smt tree(store);
  EXPECT_EQ(Smt::empty_root(), core::hash(core::Domain::StateNode, core::ByteView{}));
  expect_absent(tree, Smt::empty_root(), key_of(1));
  EXPECT_TRUE(tree.prove(Smt::empty_root(), key_of(1))->siblings.empty());
  EXPECT_EQ(apply_ok(tree, Smt::empty_root(), {}, store), Smt::empty_root());
  EXPECT_EQ(apply_ok(tree, Smt::empty_root(), {SmtUpdate{key_of(1), std::nullopt}}, store), Smt::empty_root());
  EXPECT_EQ(store.size(), 0u);
}

TEST(SparseMerkleTree, HashesFollowTheDocumentedScheme) {
  const Hash32 key = key_of(1);
  const Bytes value = value_of(1);
  EXPECT_EQ(Smt::value_hash(value), core::hash(core::Domain::StateLeaf, value));
  EXPECT_EQ(Smt::leaf_hash(key, Smt::value_hash(value)),
            core::hash(core::Domain::StateLeaf, core::concat(key, Smt::value_hash(value))));
  EXPECT_EQ(Smt::internal_hash(key, key), core::hash(core::Domain::StateNode, core::concat(key, key)));
}

TEST(SparseMerkleTree, OneKeyIsALeafAtTheRoot) {
  MemoryNodeStore store;
  const Smt tree(store);
  const Hash32 root = apply_ok(tree, Smt::empty_root(), {SmtUpdate{key_of(1), value_of(1)}}, store);
  EXPECT_EQ(root, Smt::leaf_hash(key_of(1), Smt::value_hash(value_of(1))));
  expect_present(tree, root, key_of(1), value_of(1));
  expect_absent(tree, root, key_of(2));
  const SmtProof absent = *tree.prove(root, key_of(2));
  ASSERT_TRUE(absent.leaf.has_value());
  EXPECT_EQ(absent.leaf->key, key_of(1));
  EXPECT_TRUE(absent.siblings.empty());
}

TEST(SparseMerkleTree, LeavesSitAtTheShallowestUniquePrefix) {
  MemoryNodeStore store;
  const Smt tree(store);
  const Hash32 a = key_with_prefix("0000", 0x11);
  const Hash32 b = key_with_prefix("0010", 0x22);
  const Hash32 c = key_with_prefix("1", 0x33);
  const Bytes va = value_of(1), vb = value_of(2), vc = value_of(3);
  const Hash32 la = Smt::leaf_hash(a, Smt::value_hash(va));
  const Hash32 lb = Smt::leaf_hash(b, Smt::value_hash(vb));
  const Hash32 lc = Smt::leaf_hash(c, Smt::value_hash(vc));
  const Hash32 e = Smt::empty_root();
  const Hash32 root = apply_ok(tree, e, {{a, va}, {b, vb}, {c, vc}}, store);
  // a and b share "00" and part at bit 2; c alone under "1".
  const Hash32 expected = Smt::internal_hash(Smt::internal_hash(Smt::internal_hash(la, lb), e), lc);
  EXPECT_EQ(root, expected);
  EXPECT_EQ(tree.prove(root, a)->siblings.size(), 3u);

  // Deleting b lifts a to the root's left child; deleting c too makes a the root.
  const Hash32 without_b = apply_ok(tree, root, {{b, std::nullopt}}, store);
  EXPECT_EQ(without_b, Smt::internal_hash(la, lc));
  const Hash32 only_a = apply_ok(tree, without_b, {{c, std::nullopt}}, store);
  EXPECT_EQ(only_a, la);
  EXPECT_EQ(apply_ok(tree, only_a, {{a, std::nullopt}}, store), e);
}

TEST(SparseMerkleTree, LaterUpdatesInABatchWinAndNoOpsWriteNothing) {
  MemoryNodeStore store;
  const Smt tree(store);
  const Hash32 root = apply_ok(tree, Smt::empty_root(),
                               {{key_of(1), value_of(1)}, {key_of(2), value_of(2)}, {key_of(1), value_of(9)},
                                {key_of(3), value_of(3)}, {key_of(3), std::nullopt}},
                               store);
  expect_present(tree, root, key_of(1), value_of(9));
  expect_present(tree, root, key_of(2), value_of(2));
  expect_absent(tree, root, key_of(3));

  RecordingWriter writes;
  EXPECT_EQ(apply_ok(tree, root, {{key_of(77), std::nullopt}, {key_of(78), std::nullopt}}, writes), root);
  EXPECT_EQ(writes.puts.size(), 0u);
}

TEST(SparseMerkleTree, ValueSizeIsLimitedAndCheckedBeforeAnyWrite) {
  MemoryNodeStore store;
  const Smt tree(store);
  RecordingWriter writes;
  auto too_big = tree.apply(Smt::empty_root(),
                            std::vector<SmtUpdate>{{key_of(1), value_of(1)}, {key_of(2), Bytes(Smt::kValueSizeMax + 1, 7)}},
                            writes);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(writes.puts.empty());

  const Bytes largest(Smt::kValueSizeMax, 7);
  const Hash32 root = apply_ok(tree, Smt::empty_root(), {{key_of(1), largest}, {key_of(2), Bytes{}}}, store);
  expect_present(tree, root, key_of(1), largest);
  expect_present(tree, root, key_of(2), Bytes{});
  auto proof = tree.prove(root, key_of(1));
  EXPECT_EQ(Smt::verify_proof(root, key_of(1), Bytes(Smt::kValueSizeMax + 1, 7), *proof).error().code,
            ErrorCode::kProofInvalid);
}

TEST(SparseMerkleTree, ApplyReadsOnlyFromTheReaderAndKeepsOldVersions) {
  // The reader never sees the batch being written, as with a storage write batch.
  MemoryNodeStore committed;
  const Smt tree(committed);
  Model model;
  std::vector<std::pair<Hash32, Model>> versions{{Smt::empty_root(), model}};
  std::mt19937_64 rng(7);
  for (int block = 0; block < 20; ++block) {
    std::vector<SmtUpdate> updates;
    for (int i = 0; i < 30; ++i) {
      const std::uint64_t k = rng() % 200;
      if (rng() % 4 == 0) {
        updates.push_back({key_of(k), std::nullopt});
        model.erase(key_of(k));
      } else {
        updates.push_back({key_of(k), value_of(rng())});
        model[key_of(k)] = *updates.back().value;
      }
    }
    RecordingWriter batch;
    const Hash32 root = apply_ok(tree, versions.back().first, updates, batch);
    batch.replay_into(committed);
    versions.emplace_back(root, model);
  }
  for (const auto& [root, snapshot] : versions) {
    for (std::uint64_t k = 0; k < 200; ++k) {
      auto it = snapshot.find(key_of(k));
      auto got = tree.get(root, key_of(k));
      ASSERT_TRUE(got.ok()) << got.error().to_string();
      if (it == snapshot.end()) {
        ASSERT_FALSE(got->has_value());
      } else {
        ASSERT_TRUE(got->has_value());
        ASSERT_EQ(**got, it->second);
      }
    }
    MemoryNodeStore fresh;
    EXPECT_EQ(apply_ok(Smt(fresh), Smt::empty_root(), inserts_of(snapshot), fresh), root);
  }
}

TEST(SparseMerkleTree, UpdatingKKeysWritesAboutKTimesDepthNodes) {
  constexpr std::size_t kKeys = 10'000;
  constexpr std::size_t kChanged = 100;
  MemoryNodeStore store;
  const Smt tree(store);
  std::vector<SmtUpdate> initial;
  for (std::size_t i = 0; i < kKeys; ++i) initial.push_back({key_of(i), value_of(i)});
  RecordingWriter first;
  const Hash32 root = apply_ok(tree, Smt::empty_root(), initial, first);
  first.replay_into(store);
  // A canonical tree of n keys has n leaves and n - 1 internal nodes with two non-empty
  // children, plus single-child internal nodes where keys share extra bits (about 0.44 n for
  // random keys: a random trie has about n / ln 2 internal nodes).
  EXPECT_GE(first.puts.size(), 2 * kKeys - 1);
  EXPECT_LE(first.puts.size(), 3 * kKeys);

  std::vector<SmtUpdate> updates;
  for (std::size_t i = 0; i < kChanged; ++i) {
    if (i % 3 == 0) updates.push_back({key_of(i * 97), std::nullopt});              // delete
    else if (i % 3 == 1) updates.push_back({key_of(i * 89), value_of(i + 1'000'000)});  // modify
    else updates.push_back({key_of(kKeys + i), value_of(i)});                        // insert
  }
  const CountingReader reader(store);
  RecordingWriter writes;
  const Hash32 next = apply_ok(Smt(reader), root, updates, writes);
  EXPECT_NE(next, root);
  std::size_t depth_total = 0;
  for (std::size_t i = 0; i < kChanged; ++i) depth_total += tree.prove(root, updates[i].key)->siblings.size();
  RecordProperty("nodes_written", static_cast<int>(writes.puts.size()));
  RecordProperty("nodes_read", static_cast<int>(reader.reads));
  RecordProperty("mean_depth_x100", static_cast<int>(depth_total * 100 / kChanged));
  EXPECT_GE(writes.puts.size(), kChanged / 2);
  EXPECT_LE(writes.puts.size(), kChanged * 40);
  EXPECT_LE(reader.reads, kChanged * 40);
  // Depth is about log2(10,000) ~ 13, not 256.
  EXPECT_LE(depth_total / kChanged, 20u);
}

TEST(SparseMerkleTree, TamperedProofsValuesAndRootsAreRejected) {
  MemoryNodeStore store;
  const Smt tree(store);
  std::vector<SmtUpdate> initial;
  for (std::uint64_t i = 0; i < 300; ++i) initial.push_back({key_of(i), value_of(i)});
  const Hash32 root = apply_ok(tree, Smt::empty_root(), initial, store);
  auto code = [](const core::Status& st) { return st.ok() ? std::optional<ErrorCode>{} : st.error().code; };
  for (std::uint64_t i = 0; i < 600; i += 7) {
    const Hash32 key = key_of(i);
    const bool present = i < 300;
    const std::optional<Bytes> value = present ? std::optional<Bytes>{value_of(i)} : std::nullopt;
    const SmtProof good = *tree.prove(root, key);
    ASSERT_TRUE(Smt::verify_proof(root, key, value, good).ok()) << i;

    for (std::size_t s = 0; s < good.siblings.size(); ++s) {
      SmtProof bad = good;
      bad.siblings[s][s % 32] ^= 0x01;
      EXPECT_EQ(code(Smt::verify_proof(root, key, value, bad)), ErrorCode::kProofRootMismatch) << i << " s=" << s;
    }
    if (!good.siblings.empty()) {
      SmtProof bad = good;
      bad.siblings.pop_back();
      EXPECT_TRUE(code(Smt::verify_proof(root, key, value, bad)).has_value()) << i;
      bad = good;
      bad.siblings.erase(bad.siblings.begin());
      EXPECT_TRUE(code(Smt::verify_proof(root, key, value, bad)).has_value()) << i;
    }
    {
      SmtProof bad = good;
      bad.siblings.push_back(Smt::empty_root());
      EXPECT_TRUE(code(Smt::verify_proof(root, key, value, bad)).has_value()) << i;
    }
    Hash32 other_root = root;
    other_root[0] ^= 0x01;
    EXPECT_EQ(code(Smt::verify_proof(other_root, key, value, good)), ErrorCode::kProofRootMismatch);
    // Claiming the opposite of the truth, or another value, never verifies.
    if (present) {
      EXPECT_TRUE(code(Smt::verify_proof(root, key, std::nullopt, good)).has_value());
      EXPECT_EQ(code(Smt::verify_proof(root, key, value_of(i + 1), good)), ErrorCode::kProofRootMismatch);
      SmtProof bad = good;
      bad.leaf->value_hash = Smt::value_hash(value_of(i + 1));
      EXPECT_TRUE(code(Smt::verify_proof(root, key, value_of(i + 1), bad)).has_value());
      bad = good;
      bad.leaf.reset();
      EXPECT_EQ(code(Smt::verify_proof(root, key, value, bad)), ErrorCode::kProofInvalid);
    } else {
      EXPECT_TRUE(code(Smt::verify_proof(root, key, value_of(i), good)).has_value());
      // A proof of absence for a different absent key does not carry over.
      const SmtProof other = *tree.prove(root, key_of(i + 1000));
      if (other != good) {
        EXPECT_TRUE(code(Smt::verify_proof(root, key, std::nullopt, other)).has_value());
      }
      if (good.leaf) {
        SmtProof bad = good;
        bad.leaf->key = key;  // now it claims the key is present
        EXPECT_EQ(code(Smt::verify_proof(root, key, std::nullopt, bad)), ErrorCode::kProofInvalid);
        bad = good;
        bad.leaf->key[0] ^= 0x80;  // off the key's path
        if (!bad.siblings.empty()) {
          EXPECT_EQ(code(Smt::verify_proof(root, key, std::nullopt, bad)), ErrorCode::kProofInvalid);
        }
        bad = good;
        bad.leaf.reset();  // claim an empty subtree where a leaf is
        EXPECT_EQ(code(Smt::verify_proof(root, key, std::nullopt, bad)), ErrorCode::kProofRootMismatch);
      }
    }
    // Another present key's proof does not prove this key.
    const SmtProof neighbour = *tree.prove(root, key_of((i + 1) % 300));
    if (neighbour != good) {
      EXPECT_TRUE(code(Smt::verify_proof(root, key, value, neighbour)).has_value());
    }
  }
  SmtProof too_long;
  too_long.siblings.assign(SmtProof::kSiblingsMax + 1, root);
  EXPECT_EQ(code(Smt::verify_proof(root, key_of(1), std::nullopt, too_long)), ErrorCode::kProofInvalid);
}

TEST(SparseMerkleTree, ProofEncodingIsStrict) {
  MemoryNodeStore store;
  const Smt tree(store);
  std::vector<SmtUpdate> initial;
  for (std::uint64_t i = 0; i < 50; ++i) initial.push_back({key_of(i), value_of(i)});
  const Hash32 root = apply_ok(tree, Smt::empty_root(), initial, store);
  for (const std::uint64_t i : {3u, 1234u}) {
    const SmtProof proof = *tree.prove(root, key_of(i));
    const Bytes encoded = core::encode(proof);
    EXPECT_EQ(*core::decode<SmtProof>(encoded), proof);
    for (std::size_t cut = 0; cut < encoded.size(); ++cut) {
      auto decoded = core::decode<SmtProof>(core::ByteView(encoded).first(cut));
      ASSERT_FALSE(decoded.ok());
      EXPECT_EQ(decoded.error().code, ErrorCode::kDecodeTruncated);
    }
    Bytes trailing = encoded;
    trailing.push_back(0);
    EXPECT_EQ(core::decode<SmtProof>(trailing).error().code, ErrorCode::kDecodeTrailingBytes);
  }
  EXPECT_EQ(core::decode<SmtProof>(Bytes{2, 0, 0, 0, 0}).error().code, ErrorCode::kDecodeInvalidValue);
  core::Writer w;
  w.boolean(false);
  w.u32(static_cast<std::uint32_t>(SmtProof::kSiblingsMax + 1));
  EXPECT_EQ(core::decode<SmtProof>(w.data()).error().code, ErrorCode::kDecodeOverLimit);
}

TEST(SparseMerkleTree, UnknownRootsAndCorruptStoresAreErrors) {
  MemoryNodeStore store;
  const Smt tree(store);
  std::vector<SmtUpdate> initial;
  for (std::uint64_t i = 0; i < 20; ++i) initial.push_back({key_of(i), value_of(i)});
  const Hash32 root = apply_ok(tree, Smt::empty_root(), initial, store);

  const Hash32 unknown = key_of(999);
  EXPECT_EQ(tree.get(unknown, key_of(1)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(tree.prove(unknown, key_of(1)).error().code, ErrorCode::kNotFound);
  MemoryNodeStore sink;
  EXPECT_EQ(tree.apply(unknown, initial, sink).error().code, ErrorCode::kNotFound);

  // Only the root present: its children are missing.
  MemoryNodeStore root_only;
  root_only.put_node(root, **store.get_node(root));
  const Smt partial(root_only);
  EXPECT_EQ(partial.get(root, key_of(1)).error().code, ErrorCode::kStateCorrupt);
  EXPECT_EQ(partial.apply(root, std::vector<SmtUpdate>{{key_of(1), std::nullopt}}, sink).error().code,
            ErrorCode::kStateCorrupt);

  // Bytes that do not hash to their id, undecodable bytes, an unknown tag, trailing bytes.
  Bytes flipped = **store.get_node(root);
  flipped.back() ^= 0x01;
  for (const Bytes& bad : {flipped, Bytes{}, Bytes{1, 2, 3}, Bytes(65, 9), core::concat(**store.get_node(root), Bytes{0})}) {
    MemoryNodeStore corrupt;
    corrupt.put_node(root, bad);
    auto got = Smt(corrupt).get(root, key_of(1));
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, ErrorCode::kStateCorrupt) << got.error().to_string();
  }
}

// Random batches over a small key space (so overwrites, deletes of present and absent keys, and
// duplicate keys in a batch all happen), checked against a std::map after every batch.
RC_GTEST_PROP(SparseMerkleTreeProperty, MatchesAMapModel, ()) {
  const auto key_space = *rc::gen::inRange<std::uint64_t>(1, 120);
  // (key index, value choice); a value choice of -1 deletes the key.
  using Op = std::pair<std::uint64_t, int>;
  const auto batch_count = *rc::gen::inRange<std::size_t>(1, 12);
  std::vector<std::vector<Op>> batches;
  for (std::size_t b = 0; b < batch_count; ++b) {
    const auto ops = *rc::gen::inRange<std::size_t>(0, 40);
    batches.push_back(*rc::gen::container<std::vector<Op>>(
        ops, rc::gen::pair(rc::gen::inRange<std::uint64_t>(0, key_space), rc::gen::inRange(-1, 5))));
  }
  MemoryNodeStore store;
  const Smt tree(store);
  Model model;
  Hash32 root = Smt::empty_root();
  std::vector<std::pair<Hash32, Model>> versions;
  for (const auto& batch : batches) {
    std::vector<SmtUpdate> updates;
    for (const auto& [k, v] : batch) {
      if (v >= 0) {
        const auto choice = static_cast<std::uint64_t>(v);
        updates.push_back({key_of(k), value_of(choice, 1 + choice)});
        model[key_of(k)] = value_of(choice, 1 + choice);
      } else {
        updates.push_back({key_of(k), std::nullopt});
        model.erase(key_of(k));
      }
    }
    RecordingWriter batch_out;
    auto next = tree.apply(root, updates, batch_out);
    RC_ASSERT(next.ok());
    batch_out.replay_into(store);
    root = *next;
    versions.emplace_back(root, model);
    for (std::uint64_t k = 0; k < key_space; ++k) {
      const Hash32 key = key_of(k);
      auto got = tree.get(root, key);
      RC_ASSERT(got.ok());
      auto it = model.find(key);
      RC_ASSERT(got->has_value() == (it != model.end()));
      if (it != model.end()) RC_ASSERT(**got == it->second);
      auto proof = tree.prove(root, key);
      RC_ASSERT(proof.ok());
      RC_ASSERT(Smt::verify_proof(root, key, *got, *proof).ok());
      RC_ASSERT(*core::decode<SmtProof>(core::encode(*proof)) == *proof);
    }
  }
  // The root depends on the final key/value set only: one batch, or one key at a time in a
  // random order, gives the same root.
  MemoryNodeStore fresh;
  const Smt fresh_tree(fresh);
  auto whole = fresh_tree.apply(Smt::empty_root(), inserts_of(model), fresh);
  RC_ASSERT(whole.ok());
  RC_ASSERT(*whole == root);
  auto shuffled = *rc::gen::arbitrary<std::uint64_t>();
  std::vector<SmtUpdate> singles = inserts_of(model);
  std::shuffle(singles.begin(), singles.end(), std::mt19937_64(shuffled));
  Hash32 one_by_one = Smt::empty_root();
  for (const SmtUpdate& u : singles) {
    auto step = fresh_tree.apply(one_by_one, std::vector<SmtUpdate>{u}, fresh);
    RC_ASSERT(step.ok());
    one_by_one = *step;
  }
  RC_ASSERT(one_by_one == root);
  // Old versions stay readable.
  for (const auto& [old_root, snapshot] : versions) {
    for (const auto& [k, v] : snapshot) RC_ASSERT(**tree.get(old_root, k) == v);
  }
  // Deleting every key returns to the empty root.
  std::vector<SmtUpdate> deletes;
  for (const auto& entry : model) deletes.push_back({entry.first, std::nullopt});
  auto emptied = tree.apply(root, deletes, store);
  RC_ASSERT(emptied.ok());
  RC_ASSERT(*emptied == Smt::empty_root());
}

}  // namespace
}  // namespace metanode::merkle
