// CueDB: the node's storage engine over RocksDB. Column families per kind of record, atomic
// synced batches as the only way to write (durable before visible), and snapshots so readers
// (the API) see one consistent state while blocks are being written. RocksDB types stay in
// cue_db.cpp: every upper layer includes this header.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "merkle/node_store.hpp"
#include "storage/column.hpp"
#include "storage/write_batch.hpp"

namespace metanode::storage {

// The layout this build writes and reads. A data directory records its version at creation;
// a newer one is refused (storage_newer_format) and an older one too (storage_older_format),
// rather than misread. Version 2: keyed module state (accounts under the bank's namespace),
// payloads as (module, kind, bytes), events naming their module. Version 3: block 0 commits to
// the genesis digest, header certificates stored beside blocks, receipts hashed without their
// message, transaction memos valid UTF-8. Version 4: the governance module's state (built-in
// roles, council, grants) from block 0. Version 5: the economics module's state (parameters,
// supply, validators' records) from block 0, and fees paid out at each block's end. Version 6:
// validator sets by epoch (econ state), finality proofs with an epoch's suffix blocks, consensus
// safety state tagged with its epoch. Version 7: slashed validators, delegation pools and the
// supply's delegation totals (econ state). Version 8: registry leases with a time TTL and a
// health check, and the operators' health results.
inline constexpr std::uint32_t kFormatVersion = 8;
inline constexpr std::size_t kChainIdSizeBytesMax = 64;

// Meta keys CueDB owns (under kReservedMetaPrefix). format_version is a u32 in the canonical
// codec (little-endian); chain_id is the chain id's UTF-8 bytes.
inline constexpr std::string_view kMetaFormatVersionKey = "cuedb/format_version";
inline constexpr std::string_view kMetaChainIdKey = "cuedb/chain_id";

struct OpenOptions {
  // The chain this directory belongs to; recorded on first open, checked on every later open
  // so a node never runs one chain over another chain's data. Required.
  std::string chain_id;
  bool create_if_missing = true;
  // For tools on a stopped node: no lock is taken, so it must not run beside a writer
  // (RocksDB leaves that undefined). A live node's readers use snapshots instead.
  bool read_only = false;

  // Tuning. The block cache is shared by all columns; the memtable budget caps memory used by
  // all columns' write buffers together.
  std::size_t block_cache_size_bytes = std::size_t{64} << 20;
  std::size_t write_buffer_size_bytes = std::size_t{16} << 20;
  std::size_t memtable_size_bytes_max = std::size_t{128} << 20;
  int max_open_files = 1024;
  int background_jobs = 2;
};

// Called for each key in order; return false to stop. The views are valid only during the call.
using Visitor = std::function<bool(core::ByteView key, core::ByteView value)>;

namespace detail {
struct DbState;
}

// A consistent read-only view of the database at the moment it was taken. Must not outlive its
// CueDb (asserted on close). Cheap to hold briefly; held for long it keeps old versions from
// being compacted away.
class Snapshot final : public merkle::NodeReader {
 public:
  ~Snapshot() override;
  Snapshot(Snapshot&& other) noexcept;
  Snapshot& operator=(Snapshot&& other) noexcept;
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  core::Result<std::optional<core::Bytes>> get(Column column, core::ByteView key) const;
  core::Status for_each(Column column, core::ByteView from_key, const Visitor& visit) const;
  core::Status for_each_prefix(Column column, core::ByteView prefix, const Visitor& visit) const;
  core::Result<std::optional<core::Bytes>> last_key(Column column) const;
  // merkle::NodeReader over the state_nodes column.
  core::Result<std::optional<core::Bytes>> get_node(const core::Hash32& id) const override;

 private:
  friend class CueDb;
  struct Impl;
  explicit Snapshot(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Thread-safe: reads, snapshots and writes may come from different threads (RocksDB orders
// concurrent writes). After a failed write the node should stop: RocksDB may refuse further
// writes until reopened, and the caller cannot know which block is durable otherwise.
class CueDb final : public merkle::NodeReader {
 public:
  // Errors: invalid_argument (bad chain id), not_found (no directory / no database and
  // create_if_missing is false or read_only), storage_wrong_chain, storage_newer_format,
  // storage_corrupt, storage_io (RocksDB could not open it, e.g. another process holds it).
  static core::Result<std::unique_ptr<CueDb>> open(const std::filesystem::path& dir, const OpenOptions& options);

  ~CueDb() override;
  CueDb(const CueDb&) = delete;
  CueDb& operator=(const CueDb&) = delete;

  core::Result<std::optional<core::Bytes>> get(Column column, core::ByteView key) const;
  // Visits keys >= from_key in ascending byte order until the end or until visit returns false.
  core::Status for_each(Column column, core::ByteView from_key, const Visitor& visit) const;
  // Visits exactly the keys that start with prefix, in ascending order.
  core::Status for_each_prefix(Column column, core::ByteView prefix, const Visitor& visit) const;
  // The greatest key in the column (with height keys: the latest height), nullopt when empty.
  core::Result<std::optional<core::Bytes>> last_key(Column column) const;
  // merkle::NodeReader over the state_nodes column.
  core::Result<std::optional<core::Bytes>> get_node(const core::Hash32& id) const override;

  // Applies the whole batch atomically across columns, or nothing. With sync (the default, and
  // what a block commit needs) the write is on disk when this returns. Consumes the batch.
  core::Status write(WriteBatch&& batch, bool sync = true);

  Snapshot snapshot() const;

  // Reads every stored table file and checks every block's checksum (what `metanode verify` does
  // first, and a node in the background after it starts): storage_corrupt naming the column and
  // the file when one does not match. Reads the whole database, so it takes as long as reading it
  // from disk does; one file at a time, returning early (ok) once `stop` is set. Files that
  // compaction removed meanwhile are skipped (their data lives on in the files that replaced them).
  core::Status verify_checksums(const std::atomic<bool>* stop = nullptr, std::uint64_t* bytes_checked = nullptr) const;
  // Writes every column's memtable to table files and waits (tests and tools; a node never needs to).
  core::Status flush();

  // Syncs the WAL (making any unsynced writes durable) and closes RocksDB, reporting what the
  // destructor could only swallow. Every snapshot must be released first. Idempotent; after it
  // only destruction is allowed.
  core::Status close();

  const std::filesystem::path& dir() const;
  const std::string& chain_id() const;
  bool read_only() const;

 private:
  explicit CueDb(std::unique_ptr<detail::DbState> state);
  std::unique_ptr<detail::DbState> state_;
};

}  // namespace metanode::storage
