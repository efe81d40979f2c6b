#include "consensus/finality.hpp"

#include <algorithm>
#include <unordered_set>

namespace metanode::consensus {

void ConsensusPayload::encode(core::Writer& w) const {
  w.i64(timestamp_unix_ms);
  w.vector(txs, kPayloadTxsMax, [](core::Writer& out, const ledger::Transaction& tx) { tx.encode(out); });
}

core::Result<ConsensusPayload> ConsensusPayload::decode(core::Reader& r) {
  ConsensusPayload p;
  MN_TRY_ASSIGN(p.timestamp_unix_ms, r.i64());
  MN_TRY_ASSIGN(p.txs, r.vector<ledger::Transaction>(kPayloadTxsMax, [](core::Reader& in) {
    return ledger::Transaction::decode(in);
  }));
  return p;
}

namespace {
constexpr std::size_t kSuffixBlocksMax = 64;  // HotStuff needs 3; views that time out add none
}  // namespace

void Finality::encode(core::Writer& w) const {
  block.encode(w);
  cert.encode(w);
  w.vector(suffix, kSuffixBlocksMax, [](core::Writer& out, const Block& b) { b.encode(out); });
}

core::Result<Finality> Finality::decode(core::Reader& r) {
  Finality f;
  MN_TRY_ASSIGN(f.block, Block::decode(r));
  MN_TRY_ASSIGN(f.cert, QuorumCert::decode(r));
  MN_TRY_ASSIGN(f.suffix, r.vector<Block>(kSuffixBlocksMax, [](core::Reader& in) { return Block::decode(in); }));
  return f;
}

core::Hash32 consensus_chain_id(const core::Hash32& genesis_block_hash) {
  return core::hash(core::Domain::ConsensusMessage, genesis_block_hash);
}

FinalityChecker::FinalityChecker(ValidatorSet validators, const core::Hash32& chain_id,
                                 std::shared_ptr<SignatureVerifier> verifier, std::int64_t genesis_timestamp_unix_ms)
    : validators_(std::move(validators)),
      chain_id_(chain_id),
      verifier_(std::move(verifier)),
      parent_id_(genesis_block(chain_id).id()),
      parent_timestamp_unix_ms_(genesis_timestamp_unix_ms) {}

core::Status FinalityChecker::check(const ledger::StoredBlock& stored) {
  const auto bad = [](std::string why) { return core::make_error(core::ErrorCode::kBlockInvalid, "finality: " + why); };
  auto finality = core::decode<Finality>(stored.finality);
  if (!finality.ok()) return bad("does not decode: " + finality.error().message);
  const Block& block = finality->block;
  const ledger::Header& header = stored.block.header;
  const core::Hash32 id = block.id();
  if (block.height != header.height) return bad("consensus height differs from the ledger height");
  if (block.parent_id != parent_id_) return bad("consensus block does not extend the previous one");
  if (!validators_.contains(block.proposer) || validators_.key(block.proposer) != header.proposer) {
    return bad("proposer differs from the consensus block's");
  }
  auto payload = core::decode<ConsensusPayload>(block.payload);
  if (!payload.ok()) return bad("payload does not decode: " + payload.error().message);
  // The ledger's rule (Chain::apply_committed): the payload's time, but never at or before the
  // parent's, so block time never goes backwards.
  const std::int64_t expected_timestamp = std::max(payload->timestamp_unix_ms, parent_timestamp_unix_ms_ + 1);
  if (header.timestamp_unix_ms != expected_timestamp) {
    return bad("timestamp " + std::to_string(header.timestamp_unix_ms) + " is not max(payload time, parent time + 1) = " +
               std::to_string(expected_timestamp));
  }
  // The block holds the payload's transactions that executed, in payload order.
  std::size_t next = 0;
  for (const auto& tx : stored.block.txs) {
    const core::Hash32 h = tx.hash();
    while (next < payload->txs.size() && payload->txs[next].hash() != h) ++next;
    if (next == payload->txs.size()) return bad("block holds a transaction its payload does not");
    ++next;
  }
  const auto& target = finality->cert.data.commit;
  if (!target || target->height < block.height) return bad("certificate does not cover this height");
  if (auto st = verify_commit_certificate(finality->cert, target->height, target->block_id, validators_, chain_id_,
                                                     *verifier_);
      !st.ok()) {
    return bad(st.error().message);
  }
  if (target->height == block.height && target->block_id != id) return bad("certificate commits another block");
  if (target->height > block.height) expected_.emplace(target->height, target->block_id);
  if (auto it = expected_.find(block.height); it != expected_.end()) {
    if (it->second != id) return bad("not the block its descendant's certificate committed");
    expected_.erase(it);
  }
  parent_id_ = id;
  parent_timestamp_unix_ms_ = header.timestamp_unix_ms;
  return {};
}

}  // namespace metanode::consensus
