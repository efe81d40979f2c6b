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

FinalityChecker::FinalityChecker(ValidatorSet validators, const core::Hash32& chain_id,
                                 std::shared_ptr<SignatureVerifier> verifier, std::int64_t genesis_timestamp_unix_ms)
    : FinalityChecker(
          [validators = std::move(validators)](std::uint64_t) -> core::Result<Epoch> {
            Epoch epoch;
            epoch.validators = validators;
            return epoch;
          },
          chain_id, std::move(verifier), genesis_timestamp_unix_ms) {}

FinalityChecker::FinalityChecker(EpochAt epoch_at, const core::Hash32& chain_id, std::shared_ptr<SignatureVerifier> verifier,
                                 std::int64_t genesis_timestamp_unix_ms)
    : epoch_at_(std::move(epoch_at)),
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
  auto epoch = epoch_at_(block.height);
  if (!epoch.ok()) return bad("no validator set for height " + std::to_string(block.height) + ": " + epoch.error().message);
  const ValidatorSet& validators = epoch->validators;
  const core::Hash32 chain_id = epoch_chain_id(chain_id_, epoch->number);
  if (!validators.contains(block.proposer) || validators.key(block.proposer) != header.proposer) {
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
  if (auto st = verify_commit_certificate(finality->cert, target->height, target->block_id, validators, chain_id,
                                                     *verifier_);
      !st.ok()) {
    return bad(st.error().message + " (epoch " + std::to_string(epoch->number) + ")");
  }
  if (target->height == block.height && target->block_id != id) return bad("certificate commits another block");
  if (!finality->suffix.empty()) {
    // The epoch's last block: its certificate commits the end of the empty blocks after it.
    if (block.height != epoch->last_height) return bad("a suffix on a block that does not end its epoch");
    core::Hash32 parent = id;
    for (std::size_t k = 0; k < finality->suffix.size(); ++k) {
      const Block& s = finality->suffix[k];
      if (s.height != block.height + 1 + k || s.parent_id != parent || !s.payload.empty()) {
        return bad("the suffix is not a chain of empty blocks on the epoch's last block");
      }
      parent = s.id();
    }
    if (target->height != finality->suffix.back().height || target->block_id != parent) {
      return bad("the certificate does not commit the end of the suffix");
    }
  } else if (target->height > block.height && target->height <= epoch->last_height) {
    expected_.emplace(target->height, target->block_id);
  } else if (target->height > block.height) {
    // Committed with the epoch's last block in one batch: its suffix must lead to this target.
    suffix_target_ = CommitTarget{target->height, target->block_id};
  }
  if (!finality->suffix.empty()) {
    if (suffix_target_ && *suffix_target_ != *target) return bad("the epoch's last blocks name two different certificates");
    suffix_target_.reset();
  } else if (suffix_target_ && block.height >= epoch->last_height) {
    return bad("a certificate commits a block past the epoch's end, and its last block has no suffix");
  }
  if (auto it = expected_.find(block.height); it != expected_.end()) {
    if (it->second != id) return bad("not the block its descendant's certificate committed");
    expected_.erase(it);
  }
  parent_id_ = id;
  parent_timestamp_unix_ms_ = header.timestamp_unix_ms;
  return {};
}

}  // namespace metanode::consensus
