// The test helper that rewrites a stopped node's audit history the way an insider with the
// node's disk (and, with forget_checkpoints, its keys) would: one event's outcome flipped
// (a refusal made to look allowed, or the reverse) in CueDB's audit column. With
// forget_checkpoints the signed checkpoints and witness cosignatures are dropped too, so the node
// starts over the rewritten log and signs fresh checkpoints of it with its own keys: a history
// only the chain's anchor and the other validators' witnesses can contradict.
#pragma once

#include <filesystem>
#include <string>

#include "core/result.hpp"
#include "storage/audit_log.hpp"
#include "storage/cue_db.hpp"
#include "storage/write_batch.hpp"

namespace metanode::system_testing {

inline core::Status rewrite_audit_event(const std::filesystem::path& data, const std::string& chain_id, std::uint64_t index,
                                        bool forget_checkpoints) {
  storage::OpenOptions open;
  open.chain_id = chain_id;
  open.create_if_missing = false;
  MN_TRY_ASSIGN(auto db, storage::CueDb::open(data, open));
  core::Bytes key{'e'};
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<core::Byte>(index >> shift));
  MN_TRY_ASSIGN(auto stored, db->get(storage::Column::kAudit, key));
  if (!stored) return core::make_error(core::ErrorCode::kNotFound, "no audit event " + std::to_string(index));
  MN_TRY_ASSIGN(auto event, core::decode<storage::AuditEvent>(*stored));
  event.outcome = event.outcome == "allowed" ? "refused" : "allowed";
  storage::WriteBatch batch;
  batch.put(storage::Column::kAudit, key, core::encode(event));
  if (forget_checkpoints) {
    for (const core::Byte prefix : {core::Byte{'c'}, core::Byte{'w'}}) {
      MN_TRY(db->for_each_prefix(storage::Column::kAudit, core::Bytes{prefix}, [&](core::ByteView k, core::ByteView) {
        batch.del(storage::Column::kAudit, k);
        return true;
      }));
    }
  }
  return db->write(std::move(batch));
}

}  // namespace metanode::system_testing
