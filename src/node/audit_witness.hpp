// Witnessing the validators' audit logs (the add-checkpoint exchange of c2sp.org/tlog-witness,
// carried over XTMP between validators). When a validator's log makes a checkpoint it sends it to
// every other validator with a consistency proof from the size that validator last cosigned; the
// witness checks the log's signatures and the proof against what it holds, stores the new
// checkpoint durably, and only then answers with its cosignature lines (Ed25519 per
// c2sp.org/tlog-cosignature, and ML-DSA-65). A witness never cosigns two checkpoints of one log
// that are not consistent, so a node that shows two parties two different histories cannot get
// both cosigned by an honest witness: `metanode audit verify` asks for f + 1 cosignatures. A
// checkpoint that does not extend the one a witness holds is refused, kept as evidence (both
// notes) and recorded in the witness's own audit log ("audit.witness.conflict").
//
// Witness state, in the witness's audit column:
//   'W' || log node address (32)             -> WitnessedLog: the newest cosigned checkpoint
//   'X' || log node address || u64 BE size   -> the refused note and the note held then
#pragma once

#include <functional>
#include <map>
#include <set>
#include <mutex>
#include <nlohmann/json.hpp>

#include "crypto/ed25519.hpp"
#include "crypto/mldsa.hpp"
#include "ledger/genesis.hpp"
#include "storage/audit_log.hpp"
#include "storage/cue_db.hpp"

namespace metanode::node {

inline constexpr std::size_t kCosignNoteBytesMax = 16 * 1024;
inline constexpr std::size_t kCosignProofHashesMax = 130;

// Log -> witness.
struct CosignRequest {
  std::uint64_t old_size = 0;              // the size the log believes the witness holds
  std::vector<core::Hash32> proof;         // consistency from old_size to the note's size
  std::string note;                        // the signed checkpoint
  void encode(core::Writer& w) const;
  static core::Result<CosignRequest> decode(core::Reader& r);
};

enum class CosignOutcome : std::uint8_t { kCosigned = 1, kConflict = 2, kRefused = 3 };

// Witness -> log.
struct CosignReply {
  std::uint64_t size = 0;  // of the checkpoint asked about
  CosignOutcome outcome = CosignOutcome::kRefused;
  std::uint64_t witness_size = 0;  // kConflict: the size the witness holds (ask again from there)
  std::string text;                // kCosigned: the witness's signature lines; kRefused: why
  void encode(core::Writer& w) const;
  static core::Result<CosignReply> decode(core::Reader& r);
};

class AuditWitness {
 public:
  // `record` appends an event to this node's own audit log (conflicts are recorded there).
  AuditWitness(storage::CueDb& db, const ledger::Genesis& genesis, const crypto::KeyPair& key,
               const crypto::MldsaKeyPair* mldsa, std::function<void(storage::AuditEvent)> record,
               std::function<std::int64_t()> clock);

  // One request from an authenticated peer (its own log only). Thread-safe; writes durably
  // before cosigning.
  CosignReply handle(const crypto::PublicKey& peer, const CosignRequest& request);

  // GET /v1/audit/witness: every log this node witnesses (newest cosigned size, root, time) and
  // the conflicts it refused.
  nlohmann::json to_json() const;
  std::string metrics_text() const;

 private:
  CosignReply answer(const crypto::PublicKey& peer, const CosignRequest& request);

  storage::CueDb& db_;
  const ledger::Genesis& genesis_;
  const crypto::KeyPair& key_;
  const crypto::MldsaKeyPair* mldsa_;
  std::string name_;
  std::function<void(storage::AuditEvent)> record_;
  std::function<std::int64_t()> clock_;
  mutable std::mutex mutex_;
  std::uint64_t cosigned_ = 0, conflicts_ = 0, refused_ = 0;
};

// The log side: asks every other validator to cosign each new checkpoint and keeps what comes.
class WitnessClient {
 public:
  using Send = std::function<bool(const crypto::PublicKey& witness, core::Bytes request)>;
  WitnessClient(storage::AuditLog& log, const ledger::Genesis& genesis, const crypto::PublicKey& self, Send send);

  void on_checkpoint(const storage::AuditCheckpoint& checkpoint);
  void on_reply(const crypto::PublicKey& witness, const CosignReply& reply);
  std::string metrics_text() const;

 private:
  void ask(const crypto::PublicKey& witness, const storage::AuditCheckpoint& checkpoint, std::uint64_t old_size);

  storage::AuditLog& log_;
  const ledger::Genesis& genesis_;
  Send send_;
  std::vector<crypto::PublicKey> witnesses_;
  mutable std::mutex mutex_;
  std::optional<storage::AuditCheckpoint> latest_;
  std::map<crypto::PublicKey, std::uint64_t> held_;  // what each witness holds of this log, as far as known
  std::set<crypto::PublicKey> silenced_;              // refused this log: not asked again until restart
  std::uint64_t asked_ = 0, cosigned_ = 0, refused_ = 0;
};

}  // namespace metanode::node
