// Property tests of the append-only Merkle tree on random data and sizes beyond the exhaustive
// range: roots and proofs agree with the RFC reference, one-byte mutations are rejected, and the
// proof decoders never crash and accept only canonical bytes.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "merkle/merkle_tree.hpp"
#include "naive_merkle.hpp"

namespace metanode::merkle {
namespace {

std::vector<Hash32> gen_leaves(std::size_t count_max) {
  const auto count = *rc::gen::inRange<std::size_t>(0, count_max + 1);
  const auto data = *rc::gen::container<std::vector<std::vector<std::uint8_t>>>(
      count, rc::gen::container<std::vector<std::uint8_t>>(rc::gen::arbitrary<std::uint8_t>()));
  std::vector<Hash32> leaves;
  leaves.reserve(count);
  for (const auto& d : data) leaves.push_back(leaf_hash(d));
  return leaves;
}

RC_GTEST_PROP(MerkleTreeProperty, RootMatchesTheRfcReference, ()) {
  const auto leaves = gen_leaves(700);
  const Hash32 expected = naive::mth(leaves);
  RC_ASSERT(root_of(leaves) == expected);
  MerkleLog log;
  for (const Hash32& leaf : leaves) RC_ASSERT(log.append(leaf).ok());
  RC_ASSERT(log.root() == expected);
}

RC_GTEST_PROP(MerkleTreeProperty, InclusionProofsVerifyAndMutationsFail, ()) {
  const auto size = *rc::gen::inRange<std::uint64_t>(1, 5001);
  const auto leaves = naive::make_leaves(size, "prop");
  const MerkleLog log(leaves);
  const auto index = *rc::gen::inRange<std::uint64_t>(0, size);
  const auto proof = log.inclusion_proof(index, size);
  RC_ASSERT(proof.ok());
  RC_ASSERT(verify_inclusion(leaves[index], *proof, log.root()).ok());
  if (size <= 600) RC_ASSERT(proof->path == naive::path(index, leaves));

  if (!proof->path.empty()) {
    InclusionProof bad = *proof;
    const auto element = *rc::gen::inRange<std::size_t>(0, bad.path.size());
    const auto byte = *rc::gen::inRange<std::size_t>(0, 32);
    const auto bit = *rc::gen::inRange(0, 8);
    bad.path[element][byte] ^= static_cast<std::uint8_t>(1u << bit);
    RC_ASSERT(!verify_inclusion(leaves[index], bad, log.root()).ok());
  }
}

RC_GTEST_PROP(MerkleTreeProperty, ConsistencyProofsVerifyAndMutationsFail, ()) {
  const auto new_size = *rc::gen::inRange<std::uint64_t>(1, 5001);
  const auto old_size = *rc::gen::inRange<std::uint64_t>(0, new_size + 1);
  const auto leaves = naive::make_leaves(new_size, "prop");
  const MerkleLog log(leaves);
  const auto proof = log.consistency_proof(old_size, new_size);
  RC_ASSERT(proof.ok());
  const Hash32 old_root = *log.root_at(old_size);
  RC_ASSERT(old_root == naive::mth(std::span<const Hash32>(leaves).first(old_size)));
  RC_ASSERT(verify_consistency(*proof, old_root, log.root()).ok());
  if (old_size > 0 && old_size < new_size && new_size <= 600) {
    RC_ASSERT(proof->path == naive::proof(old_size, leaves));
  }
  if (!proof->path.empty()) {
    ConsistencyProof bad = *proof;
    const auto element = *rc::gen::inRange<std::size_t>(0, bad.path.size());
    const auto byte = *rc::gen::inRange<std::size_t>(0, 32);
    bad.path[element][byte] ^= 0x10;
    RC_ASSERT(!verify_consistency(bad, old_root, log.root()).ok());
  }
}

template <typename Proof>
void check_decoder_on(const std::vector<std::uint8_t>& input) {
  auto decoded = core::decode<Proof>(input);
  if (decoded.ok()) RC_ASSERT(core::encode(*decoded) == input);
}

RC_GTEST_PROP(MerkleTreeProperty, DecodersAcceptOnlyCanonicalBytes, ()) {
  // Mostly well-formed prefixes (two sizes and a small count) followed by arbitrary bytes.
  const auto count = *rc::gen::inRange<std::uint32_t>(0, 4);
  const auto tail = *rc::gen::container<std::vector<std::uint8_t>>(rc::gen::arbitrary<std::uint8_t>());
  core::Writer w;
  w.u64(*rc::gen::arbitrary<std::uint64_t>());
  w.u64(*rc::gen::arbitrary<std::uint64_t>());
  w.u32(count);
  core::Bytes input = core::concat(w.data(), tail);
  check_decoder_on<InclusionProof>(input);
  check_decoder_on<ConsistencyProof>(input);
  check_decoder_on<InclusionProof>(tail);
}

RC_GTEST_PROP(MerkleTreeProperty, ProofsRoundTripThroughTheCodec, ()) {
  const auto size = *rc::gen::inRange<std::uint64_t>(1, 2000);
  const auto leaves = naive::make_leaves(size, "codec");
  const MerkleLog log(leaves);
  const auto index = *rc::gen::inRange<std::uint64_t>(0, size);
  const InclusionProof inclusion = *log.inclusion_proof(index, size);
  RC_ASSERT(*core::decode<InclusionProof>(core::encode(inclusion)) == inclusion);
  const ConsistencyProof consistency = *log.consistency_proof(index, size);
  RC_ASSERT(*core::decode<ConsistencyProof>(core::encode(consistency)) == consistency);
}

}  // namespace
}  // namespace metanode::merkle
