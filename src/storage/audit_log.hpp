// The audit trail: an append-only Merkle log (merkle/merkle_tree.hpp, RFC 9162's shape) of audit
// events in CueDB's audit column, with signed checkpoints (c2sp.org/tlog-checkpoint bodies in
// c2sp.org/signed-note form, one Ed25519 and one ML-DSA-65 line).
//
// Durable before visible: append() queues an event and returns its index at once; a writer
// thread commits whatever is queued in one synced batch (group commit), and when_durable() runs
// a continuation once the event is on disk. An answer the Cage gates on it is therefore sent
// only after its decision survives kill -9.
//
// Layout in the audit column:
//   'e' || u64 big-endian index  -> the event (AuditEvent's canonical encoding)
//   'c' || u64 big-endian size   -> the signed checkpoint note of the tree of that size
//   'w' || u64 big-endian size || witness address (32)
//                                -> that witness's cosignature lines for the checkpoint
// (node/audit_witness.hpp keeps what this node witnessed of other logs under 'W' and 'X'.)
// A leaf is merkle::leaf_hash(hash(AuditEvent, event bytes)).
//
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/codec.hpp"
#include "core/result.hpp"
#include "crypto/address.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/mldsa.hpp"
#include "crypto/signed_note.hpp"
#include "merkle/checkpoint.hpp"
#include "merkle/merkle_tree.hpp"
#include "storage/cue_db.hpp"

namespace metanode::storage {

// One thing that happened, as an auditor reads it. Never a request body or a secret.
struct AuditEvent {
  static constexpr std::size_t kFieldBytesMax = 256;
  static constexpr std::size_t kSubjectBytesMax = 512;
  static constexpr std::size_t kJurisdictionsMax = 8;

  std::int64_t unix_ms = 0;
  // What kind: "http.request", "block.commit", "node.start", "node.stop", "governance.<event>",
  // "xtmp.refused".
  std::string action;
  // Who: a signer's address, a client's IP address, a peer's key, or the node itself.
  std::string actor;
  // From where: the client's IP address, a peer's host; empty when not from the network.
  std::string source;
  // On what: "METHOD /route" for a request, a height for a block, a proposal id.
  std::string subject;
  // How it ended: "allowed" / "public" / a refusal code for a request, "committed", ...
  std::string outcome;
  std::string detail;        // why: the Cage's reason ("public", "role:auditor", a refusal code), an error
  std::uint32_t status = 0;  // an HTTP status, or 0
  // A digest of what it was about (hex): the request's, the block's hash, the configuration's.
  std::string digest;
  std::vector<std::string> jurisdictions;  // tags governance assigned to the actor or service

  void encode(core::Writer& w) const;
  static core::Result<AuditEvent> decode(core::Reader& r);
  bool operator==(const AuditEvent&) const = default;
  // Cuts every field to its limit (an event is recorded whatever a client sent).
  void clamp();
};

// The leaf an event's bytes make in the log.
core::Hash32 audit_leaf_hash(core::ByteView event_bytes);

// Reads the audit column of `db` directly (the log's own start-up, offline checks of a stopped
// node): every stored event in index order, decoded, stopping at the first gap or undecodable
// event with kStorageCorrupt naming it ("event 2 is missing (the next stored is 3)"), or when
// `visit` returns false.
core::Status for_each_audit_event(const CueDb& db,
                                  const std::function<bool(std::uint64_t index, const AuditEvent& event,
                                                           core::ByteView bytes)>& visit);
// Every stored checkpoint note in size order (not checked here).
core::Status for_each_audit_checkpoint(const CueDb& db,
                                       const std::function<bool(std::uint64_t size, std::string_view note)>& visit);

// The witness cosignature lines stored for the checkpoint of `size`, concatenated.
core::Result<std::string> audit_cosignature_lines(const CueDb& db, std::uint64_t size);

struct AuditLogOptions {
  // The checkpoints' origin line and signature key name: "<chain id>/<node address>/audit".
  std::string origin;
  // Checkpoints are signed with these (both must outlive the log). Without the ML-DSA key the
  // checkpoints carry the Ed25519 line only, which `audit verify` reports.
  const crypto::KeyPair* ed25519 = nullptr;
  const crypto::MldsaKeyPair* mldsa = nullptr;
  // A checkpoint after this many new events, or this long after the last with new events.
  std::uint64_t checkpoint_events = 1'000;
  std::chrono::milliseconds checkpoint_interval{10'000};
  std::function<std::int64_t()> clock;  // unix ms; the system clock when empty
  // Called once, on the writer thread, when a write fails (the node should stop: it can no
  // longer answer with its decisions recorded). Appends after that are never durable.
  std::function<void(const core::Error&)> on_fault;
};

struct StoredAuditEvent {
  std::uint64_t index = 0;
  AuditEvent event;
  core::Bytes bytes;  // as stored (what the leaf hashes)
};

// A signed checkpoint as stored and served.
struct AuditCheckpoint {
  merkle::Checkpoint body;
  std::string note;  // the whole signed note
};

class AuditLog {
 public:
  // Reads the stored log, rebuilds its tree and checks it against the newest stored checkpoint:
  // kStorageCorrupt naming the first missing or damaged event or the checkpoint it contradicts.
  static core::Result<std::unique_ptr<AuditLog>> open(CueDb& db, AuditLogOptions options);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Queues `event` (clamped; its time is made no earlier than the previous event's) and returns
  // its index.
  std::uint64_t append(AuditEvent event);
  // Runs `then(true)` once event `index` is durable, `then(false)` if it never will be (a failed
  // write, or the log stopped first). May run on the calling thread (already durable) or the
  // writer thread: it must be quick and must not call back into the log.
  void when_durable(std::uint64_t index, std::function<void(bool durable)> then);
  // Waits until everything appended so far is durable; the write's error if it failed.
  core::Status flush();
  // Makes a checkpoint of everything durable now if there is anything new since the last one.
  core::Status checkpoint_now();
  // Flushes, writes a final checkpoint and stops the writer. Idempotent; from one thread at a time
  // (the owner's, and the destructor).
  void stop();

  // Durable events (the tree's size).
  std::uint64_t size() const;
  std::optional<AuditCheckpoint> latest_checkpoint() const;
  // The checkpoint of exactly `size` events, if one was made.
  core::Result<std::optional<AuditCheckpoint>> checkpoint_at(std::uint64_t size) const;
  // Sizes of stored checkpoints in [from, to], ascending, at most `limit`.
  core::Result<std::vector<std::uint64_t>> checkpoint_sizes(std::uint64_t from, std::uint64_t to,
                                                            std::size_t limit) const;
  core::Result<StoredAuditEvent> event(std::uint64_t index) const;
  // The first index whose event's time is >= unix_ms (size() when none).
  core::Result<std::uint64_t> first_at_or_after(std::int64_t unix_ms) const;
  core::Result<merkle::InclusionProof> inclusion_proof(std::uint64_t index, std::uint64_t tree_size) const;
  core::Result<merkle::ConsistencyProof> consistency_proof(std::uint64_t old_size, std::uint64_t new_size) const;
  core::Result<core::Hash32> root_at(std::uint64_t tree_size) const;
  const std::string& origin() const { return options_.origin; }

  // Witness cosignatures (c2sp.org/tlog-cosignature lines) of the checkpoint of `size`, kept as
  // they arrive (one entry per witness; a later one replaces it), and all of them concatenated:
  // appended to the checkpoint's note they make the cosigned note.
  core::Status add_cosignature(std::uint64_t size, const crypto::Address& witness, std::string_view lines);
  core::Result<std::string> cosignature_lines(std::uint64_t size) const;
  // Called on the writer thread after each checkpoint is durable (witnesses are asked then); set
  // before anything is appended, or at least before the checkpoints it should see.
  void set_on_checkpoint(std::function<void(const AuditCheckpoint&)> hook);

 private:
  AuditLog(CueDb& db, AuditLogOptions options);
  void run();
  std::int64_t now() const;
  // Signs a checkpoint of the current tree (mutex_ held by the caller for the tree).
  AuditCheckpoint make_checkpoint_locked(std::int64_t unix_ms) const;

  CueDb& db_;
  AuditLogOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;     // the writer: work queued, or stop
  std::condition_variable durable_;  // flush(): the durable size moved
  merkle::MerkleLog tree_;           // durable events only
  std::uint64_t durable_size_ = 0;   // events on disk (what readers see)
  std::uint64_t next_index_ = 0;     // assigned to the next append
  std::int64_t last_unix_ms_ = 0;
  std::vector<std::pair<std::uint64_t, core::Bytes>> queue_;
  std::multimap<std::uint64_t, std::function<void(bool)>> waiting_;
  std::optional<AuditCheckpoint> latest_;
  std::chrono::steady_clock::time_point last_checkpoint_time_;
  bool checkpoint_asked_ = false;
  bool stopping_ = false;
  bool writer_done_ = false;
  std::optional<core::Error> fault_;
  std::function<void(const AuditCheckpoint&)> on_checkpoint_;
  std::thread writer_;
};

}  // namespace metanode::storage
