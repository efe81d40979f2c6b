// libFuzzer target for every decoder of the canonical codec (keys, signatures, transactions,
// blocks, receipts, commits, proofs, governance records): decoding any input must not crash, and any input a
// decoder accepts must re-encode to exactly the same bytes (one encoding per value; no trailing
// bytes). Run: scripts/fuzz.sh [seconds]
#include <cstdint>
#include <cstdlib>

#include "core/codec.hpp"
#include "crypto/hybrid.hpp"
#include "crypto/multisig.hpp"
#include "ledger/block.hpp"
#include "ledger/chain.hpp"
#include "ledger/transaction.hpp"
#include "merkle/merkle_tree.hpp"
#include "merkle/sparse_merkle_tree.hpp"
#include "modules/bank.hpp"
#include "modules/governance/governance.hpp"
#include "support/sample_transfer.hpp"

namespace {
template <typename T>
void check(metanode::core::ByteView input) {
  auto decoded = metanode::core::decode<T>(input);
  if (!decoded.ok()) return;
  const metanode::core::Bytes again = metanode::core::encode(*decoded);
  if (again.size() != input.size() || !std::equal(again.begin(), again.end(), input.begin())) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const metanode::core::ByteView input(data, size);
  check<metanode::testing::SampleTransfer>(input);
  check<metanode::crypto::MultisigPolicy>(input);
  check<metanode::crypto::HybridSignature>(input);
  check<metanode::ledger::Transaction>(input);
  // A decoded transaction is sealed with the hash of its body bytes as they arrived: it must be
  // the hash of the body re-encoded, or two nodes could name one transaction differently.
  if (auto tx = metanode::core::decode<metanode::ledger::Transaction>(input); tx.ok()) {
    if (tx->hash() != metanode::core::hash(metanode::core::Domain::Tx, tx->body())) std::abort();
  }
  check<metanode::ledger::Block>(input);
  check<metanode::ledger::Receipt>(input);
  check<metanode::ledger::CommitCertificate>(input);
  check<metanode::ledger::StoredBlock>(input);
  check<metanode::ledger::ChainHead>(input);
  check<metanode::merkle::InclusionProof>(input);
  check<metanode::merkle::ConsistencyProof>(input);
  check<metanode::merkle::SmtProof>(input);
  check<metanode::modules::Transfer>(input);
  check<metanode::modules::TransferEvent>(input);
  check<metanode::modules::GovProposal>(input);
  check<metanode::modules::GovApproval>(input);
  check<metanode::modules::ProposalRecord>(input);
  check<metanode::modules::Council>(input);
  check<metanode::modules::RoleRecord>(input);
  check<metanode::modules::RoleIndex>(input);
  check<metanode::modules::HolderRecord>(input);
  return 0;
}
