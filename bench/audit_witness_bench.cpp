// What witnessing and anchoring cost (issue 16): a witness's whole answer to one checkpoint of
// another validator's log (both log signatures checked, the consistency proof, the synced write,
// an Ed25519 and an ML-DSA-65 cosignature), checking the cosignatures of three witnesses on one
// checkpoint (what `audit verify` does per checkpoint), and the audit module's check of one anchor.
// Run: build/bin/audit_bench (bench/README.md). The database lives under $TMPDIR.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>

#include "crypto/signed_note.hpp"
#include "ledger/audit_proofs.hpp"
#include "merkle/checkpoint.hpp"
#include "merkle/merkle_tree.hpp"
#include "node/audit_witness.hpp"

namespace {

using namespace metanode;

constexpr std::uint64_t kStep = 100;  // events between two checkpoints

struct Validator {
  crypto::KeyPair ed = crypto::KeyPair::generate();
  crypto::MldsaKeyPair pq = crypto::MldsaKeyPair::generate();
};

struct Setup {
  std::vector<Validator> validators = std::vector<Validator>(4);
  ledger::Genesis genesis;
  merkle::MerkleLog log;

  Setup() {
    genesis.chain_id = "bench";
    for (std::size_t i = 0; i < validators.size(); ++i) {
      genesis.validators.push_back({"v" + std::to_string(i), validators[i].ed.public_key(), validators[i].pq.public_key()});
    }
  }
  // Validator 0's signed checkpoint of its first `size` events (the log grows as needed).
  std::string note(std::uint64_t size) {
    while (log.size() < size) (void)log.append(merkle::leaf_hash(core::as_bytes("event " + std::to_string(log.size()))));
    merkle::Checkpoint body;
    body.origin = ledger::audit_origin(genesis.chain_id, validators[0].ed.public_key());
    body.size = size;
    body.root = log.root_at(size).value();
    body.extensions.push_back(std::string(merkle::kCheckpointTimeExtension) + "1796000000000");
    crypto::SignedNote n;
    n.text = body.to_text();
    crypto::sign_note_ed25519(n, body.origin, validators[0].ed);
    crypto::sign_note_mldsa(n, body.origin, validators[0].pq);
    return n.serialize();
  }
};

void BM_WitnessCosignsACheckpoint(benchmark::State& state) {
  Setup s;
  std::string pattern = (std::filesystem::temp_directory_path() / "witness-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  storage::OpenOptions open;
  open.chain_id = "bench";
  auto db = storage::CueDb::open(std::filesystem::path(pattern) / "db", open);
  if (!db.ok()) std::abort();
  node::AuditWitness witness(**db, s.genesis, s.validators[1].ed, &s.validators[1].pq, [](storage::AuditEvent) {},
                             [] { return std::int64_t{1'796'000'000'000}; });
  std::vector<node::CosignRequest> requests;
  for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(state.max_iterations); ++i) {
    node::CosignRequest r;
    r.old_size = i * kStep;
    r.note = s.note((i + 1) * kStep);
    if (i > 0) r.proof = s.log.consistency_proof(i * kStep, (i + 1) * kStep).value().path;
    requests.push_back(std::move(r));
  }
  std::size_t at = 0;
  for (auto _ : state) {
    const auto reply = witness.handle(s.validators[0].ed.public_key(), requests[at++]);
    if (reply.outcome != node::CosignOutcome::kCosigned) state.SkipWithError(reply.text.c_str());
  }
  db->reset();
  std::filesystem::remove_all(pattern);
}
BENCHMARK(BM_WitnessCosignsACheckpoint)->Iterations(200)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_CheckThreeWitnessCosignatures(benchmark::State& state) {
  Setup s;
  auto parsed = crypto::SignedNote::parse(s.note(1000)).value();
  for (std::size_t i = 1; i < s.validators.size(); ++i) {
    const std::string name = ledger::audit_witness_name(s.genesis.chain_id, s.validators[i].ed.public_key());
    crypto::cosign_note_ed25519(parsed, name, s.validators[i].ed, 1'796'000'000);
    crypto::cosign_note_mldsa(parsed, name, s.validators[i].pq, 1'796'000'000);
  }
  const std::string cosigned = parsed.serialize();
  for (auto _ : state) {
    auto names = ledger::check_audit_cosignatures(cosigned, s.genesis);
    if (!names.ok() || names->size() != 3) state.SkipWithError("cosignatures do not verify");
  }
}
BENCHMARK(BM_CheckThreeWitnessCosignatures)->Unit(benchmark::kMicrosecond);

void BM_AnchorConsistencyCheck(benchmark::State& state) {
  Setup s;
  (void)s.note(1'000'000);
  const auto proof = s.log.consistency_proof(999'000, 1'000'000).value();
  const auto old_root = s.log.root_at(999'000).value();
  const auto new_root = s.log.root();
  for (auto _ : state) {
    if (!merkle::verify_consistency(proof, old_root, new_root).ok()) state.SkipWithError("inconsistent");
  }
  state.counters["proof_hashes"] = static_cast<double>(proof.path.size());
}
BENCHMARK(BM_AnchorConsistencyCheck)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
