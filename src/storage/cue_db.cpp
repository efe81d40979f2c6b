#include "storage/cue_db.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/slice.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cstdarg>
#include <cstdio>
#include <spdlog/spdlog.h>
#include <system_error>
#include <vector>

#include "core/codec.hpp"
#include "storage/keys.hpp"

namespace metanode::storage {

namespace detail {

struct DbState {
  std::filesystem::path dir;
  std::string chain_id;
  bool read_only = false;
  std::unique_ptr<rocksdb::DB> db;
  std::array<rocksdb::ColumnFamilyHandle*, kColumnCount> columns{};
  // Every handle opened (default, ours, and any a newer build added), destroyed on close.
  std::vector<rocksdb::ColumnFamilyHandle*> all_handles;
  std::atomic<int> live_snapshots{0};
  // A write failed (a full disk, an I/O error): RocksDB's log writer is in an error state from
  // then on, and syncing it again would trip RocksDB's own assertion (Debian builds it with
  // assertions on) instead of closing cleanly. Every write acknowledged before it is synced already.
  std::atomic<bool> write_failed{false};

  rocksdb::ColumnFamilyHandle* handle(Column column) const {
    assert(db && "CueDB used after close");
    return columns[static_cast<std::size_t>(column)];
  }
};

}  // namespace detail

namespace {

using detail::DbState;

rocksdb::Slice to_slice(core::ByteView bytes) {
  return rocksdb::Slice(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}
rocksdb::Slice to_slice(std::string_view text) { return rocksdb::Slice(text.data(), text.size()); }
core::ByteView to_view(const rocksdb::Slice& slice) {
  return core::ByteView(reinterpret_cast<const core::Byte*>(slice.data()), slice.size());
}

core::Error storage_error(const rocksdb::Status& status, const std::string& what) {
  const auto code = status.IsCorruption() ? core::ErrorCode::kStorageCorrupt : core::ErrorCode::kStorageIo;
  return core::make_error(code, what + ": " + status.ToString());
}

std::string quoted(const std::filesystem::path& dir) { return dir.string(); }

// Compression: lz4 where data is young and rewritten often (cheap CPU), zstd at the bottom
// level where most of the data settles and is rarely rewritten (better ratio). Debian's RocksDB
// links both; fall back in order if a build lacks one.
struct CompressionChoice {
  rocksdb::CompressionType upper = rocksdb::kNoCompression;
  rocksdb::CompressionType bottom = rocksdb::kNoCompression;
};
CompressionChoice choose_compression() {
  const auto supported = rocksdb::GetSupportedCompressions();
  auto has = [&](rocksdb::CompressionType type) {
    return std::find(supported.begin(), supported.end(), type) != supported.end();
  };
  CompressionChoice choice;
  if (has(rocksdb::kLZ4Compression)) {
    choice.upper = rocksdb::kLZ4Compression;
  } else if (has(rocksdb::kSnappyCompression)) {
    choice.upper = rocksdb::kSnappyCompression;
  }
  choice.bottom = has(rocksdb::kZSTD) ? rocksdb::kZSTD : choice.upper;
  return choice;
}

// Columns read by exact key (hash or id), often for keys that are absent (is this tx known?):
// a Bloom filter answers most misses without touching disk.
bool is_point_lookup(Column column) {
  return column == Column::kTxIndex || column == Column::kReceipts || column == Column::kStateNodes;
}

rocksdb::ColumnFamilyOptions column_options(const OpenOptions& options, Column column,
                                            const std::shared_ptr<rocksdb::Cache>& cache,
                                            const CompressionChoice& compression) {
  rocksdb::ColumnFamilyOptions cf;
  cf.compaction_style = rocksdb::kCompactionStyleLevel;
  // Level sizes follow the data actually present: bounded space amplification as a chain grows.
  cf.level_compaction_dynamic_level_bytes = true;
  cf.write_buffer_size = options.write_buffer_size_bytes;
  // CueDb::write hands RocksDB each batch sorted by key, so consecutive inserts into a column's
  // memtable land near each other: with one insert hint per column (an empty prefix) the skip
  // list starts each search from where the last one ended instead of from its top
  // (bench/devnet_paired.sh: about 1 % less node CPU per transfer; bench/README.md).
  cf.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(0));
  cf.compression = compression.upper;
  cf.bottommost_compression = compression.bottom;
  if (column == Column::kStateNodes) {
    // Two hashes, or a key hash and a short account: nothing to compress, so compressing every
    // flush and compaction of the busiest column would only cost CPU.
    cf.compression = rocksdb::kNoCompression;
    cf.bottommost_compression = rocksdb::kNoCompression;
  }

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Index and filter blocks count against the cache budget instead of growing without bound.
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  if (is_point_lookup(column)) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

// RocksDB's own messages go to the node's log (warnings and errors only) instead of a LOG file in
// the data directory. A LOG file shares the data's disk: on a full disk its failed append leaves
// RocksDB's logger in an error state, and the next message (at close) trips RocksDB's assertion,
// aborting a node that was stopping cleanly.
class NodeLogLogger final : public rocksdb::Logger {
 public:
  NodeLogLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel() || level == rocksdb::InfoLogLevel::HEADER_LEVEL) return;
    char text[1024];
    std::vsnprintf(text, sizeof text, format, ap);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      spdlog::error("rocksdb: {}", text);
    } else {
      spdlog::warn("rocksdb: {}", text);
    }
  }
};

rocksdb::DBOptions db_options(const OpenOptions& options, const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::DBOptions db;
  db.info_log = std::make_shared<NodeLogLogger>();
  db.create_if_missing = true;  // open() has already decided whether creating is allowed
  db.create_missing_column_families = !options.read_only;
  db.max_open_files = options.max_open_files;
  db.max_background_jobs = options.background_jobs;
  db.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(options.memtable_size_bytes_max, cache);
  // Rarely written columns (meta, audit) would otherwise pin old WAL files indefinitely; past
  // this size RocksDB flushes them so the WAL can be recycled.
  db.max_total_wal_size = std::uint64_t{256} << 20;
  // Every committed write is synced, so after kill -9 or power loss recovery replays the WAL
  // up to the last complete record: exactly the synced batches. Only a torn final record (a
  // write the crash cut short, never acknowledged) is dropped; a damaged record anywhere else
  // fails the open with a corruption error instead of silently ending the log there, as
  // point-in-time recovery would (dropping every committed block after it). A damaged final
  // record of a synced write is caught by the chain's head mark (ledger/chain.cpp).
  db.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  // Write back compaction output as it goes rather than in one large burst at file close.
  db.bytes_per_sync = std::uint64_t{1} << 20;
  db.keep_log_file_num = 5;
  db.max_log_file_size = std::size_t{16} << 20;
  return db;
}

core::Result<std::optional<core::Bytes>> read_one(const DbState& state, const rocksdb::Snapshot* snapshot,
                                                  Column column, core::ByteView key) {
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  rocksdb::PinnableSlice value;
  const rocksdb::Status status = state.db->Get(read, state.handle(column), to_slice(key), &value);
  if (status.IsNotFound()) return std::optional<core::Bytes>{};
  if (!status.ok()) return storage_error(status, "read from column " + std::string(column_name(column)));
  return std::optional<core::Bytes>{core::to_bytes(to_view(value))};
}

core::Status scan(const DbState& state, const rocksdb::Snapshot* snapshot, Column column, core::ByteView from_key,
                  const std::optional<core::Bytes>& upper_bound, const Visitor& visit) {
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  rocksdb::Slice upper;
  if (upper_bound) {
    upper = to_slice(core::ByteView(*upper_bound));
    read.iterate_upper_bound = &upper;  // must outlive the iterator: it does (same scope)
  }
  std::unique_ptr<rocksdb::Iterator> it(state.db->NewIterator(read, state.handle(column)));
  for (it->Seek(to_slice(from_key)); it->Valid(); it->Next()) {
    if (!visit(to_view(it->key()), to_view(it->value()))) break;
  }
  if (!it->status().ok()) return storage_error(it->status(), "scan of column " + std::string(column_name(column)));
  return {};
}

core::Result<std::optional<core::Bytes>> read_last_key(const DbState& state, const rocksdb::Snapshot* snapshot,
                                                       Column column) {
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> it(state.db->NewIterator(read, state.handle(column)));
  it->SeekToLast();
  if (!it->status().ok()) {
    return storage_error(it->status(), "seek to last key of column " + std::string(column_name(column)));
  }
  if (!it->Valid()) return std::optional<core::Bytes>{};
  return std::optional<core::Bytes>{core::to_bytes(to_view(it->key()))};
}

core::Result<bool> column_is_empty(const DbState& state, Column column) {
  std::unique_ptr<rocksdb::Iterator> it(state.db->NewIterator(rocksdb::ReadOptions(), state.handle(column)));
  it->SeekToFirst();
  if (!it->status().ok()) return storage_error(it->status(), "scan of column " + std::string(column_name(column)));
  return !it->Valid();
}

// First open records the format version and chain id; every later open checks them, format
// first (a newer format may store the chain id differently).
core::Status check_or_init_meta(DbState& state) {
  MN_TRY_ASSIGN(auto version_bytes, read_one(state, nullptr, Column::kMeta, core::as_bytes(kMetaFormatVersionKey)));
  MN_TRY_ASSIGN(auto chain_bytes, read_one(state, nullptr, Column::kMeta, core::as_bytes(kMetaChainIdKey)));
  const std::string dir = quoted(state.dir);

  if (!version_bytes && !chain_bytes) {
    for (Column column : kAllColumns) {
      MN_TRY_ASSIGN(bool empty, column_is_empty(state, column));
      if (!empty) {
        return core::make_error(core::ErrorCode::kStorageCorrupt,
                                "data directory " + dir + " holds data but no format version and chain id");
      }
    }
    if (state.read_only) {
      return core::make_error(core::ErrorCode::kStorageCorrupt,
                              "data directory " + dir + " was never initialised (no format version); open it "
                              "read-write once");
    }
    core::Writer version;
    version.u32(kFormatVersion);
    rocksdb::WriteBatch batch;
    rocksdb::Status status = batch.Put(state.handle(Column::kMeta), to_slice(kMetaFormatVersionKey),
                                       to_slice(core::ByteView(version.data())));
    if (status.ok()) {
      status = batch.Put(state.handle(Column::kMeta), to_slice(kMetaChainIdKey), to_slice(state.chain_id));
    }
    rocksdb::WriteOptions write;
    write.sync = true;
    if (status.ok()) status = state.db->Write(write, &batch);
    if (!status.ok()) return storage_error(status, "initialising data directory " + dir);
    return {};
  }

  if (!version_bytes) {
    return core::make_error(core::ErrorCode::kStorageCorrupt, "data directory " + dir + " has no format version");
  }
  if (version_bytes->size() != sizeof(std::uint32_t)) {
    return core::make_error(core::ErrorCode::kStorageCorrupt,
                            "data directory " + dir + " has a malformed format version (" +
                                std::to_string(version_bytes->size()) + " bytes)");
  }
  core::Reader reader(*version_bytes);
  MN_TRY_ASSIGN(std::uint32_t version, reader.u32());
  if (version > kFormatVersion) {
    return core::make_error(core::ErrorCode::kStorageNewerFormat,
                            "data directory " + dir + " uses storage format " + std::to_string(version) +
                                ", newer than format " + std::to_string(kFormatVersion) +
                                " that this metanode reads; upgrade metanode");
  }
  if (version == 0) {
    return core::make_error(core::ErrorCode::kStorageCorrupt,
                            "data directory " + dir + " has invalid format version 0");
  }
  if (version < kFormatVersion) {
    return core::make_error(core::ErrorCode::kStorageOlderFormat,
                            "data directory " + dir + " uses storage format " + std::to_string(version) +
                                ", older than format " + std::to_string(kFormatVersion) +
                                " of this metanode, and cannot be upgraded in place (its blocks and state are in the "
                                "old layout): move it aside and start the node on an empty data directory, or "
                                "re-create a devnet with `metanode up --dir NEW_DIR`");
  }
  if (!chain_bytes) {
    return core::make_error(core::ErrorCode::kStorageCorrupt, "data directory " + dir + " has no chain id");
  }
  const std::string stored_chain(core::as_chars(*chain_bytes));
  if (stored_chain != state.chain_id) {
    return core::make_error(core::ErrorCode::kStorageWrongChain, "data directory " + dir + " belongs to chain '" +
                                                                     stored_chain + "', not '" + state.chain_id + "'");
  }
  return {};
}

core::Status close_state(DbState& state) {
  if (!state.db) return {};
  assert(state.live_snapshots.load() == 0 && "CueDB closed while snapshots are alive");
  rocksdb::Status first_error;
  // Writes made with sync = false are made durable here, so a clean shutdown loses nothing.
  if (!state.read_only && !state.write_failed.load()) first_error = state.db->SyncWAL();
  for (rocksdb::ColumnFamilyHandle* handle : state.all_handles) {
    rocksdb::Status status = state.db->DestroyColumnFamilyHandle(handle);
    if (first_error.ok() && !status.ok()) first_error = status;
  }
  state.all_handles.clear();
  state.columns = {};
  rocksdb::Status status = state.db->Close();
  if (first_error.ok() && !status.ok()) first_error = status;
  state.db.reset();
  if (!first_error.ok()) return storage_error(first_error, "closing data directory " + quoted(state.dir));
  return {};
}

}  // namespace

// ---- Snapshot ----

struct Snapshot::Impl {
  DbState* state;  // non-const only to count live snapshots
  const rocksdb::Snapshot* snapshot;
};

Snapshot::Snapshot(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Snapshot::Snapshot(Snapshot&& other) noexcept = default;
Snapshot& Snapshot::operator=(Snapshot&& other) noexcept {
  if (this != &other) {
    Snapshot released(std::move(*this));  // releases our current snapshot on scope exit
    impl_ = std::move(other.impl_);
  }
  return *this;
}
Snapshot::~Snapshot() {
  if (!impl_) return;
  assert(impl_->state->db && "Snapshot outlived its CueDb");
  impl_->state->db->ReleaseSnapshot(impl_->snapshot);
  impl_->state->live_snapshots.fetch_sub(1);
}

core::Result<std::optional<core::Bytes>> Snapshot::get(Column column, core::ByteView key) const {
  assert(impl_ && "Snapshot used after move");
  return read_one(*impl_->state, impl_->snapshot, column, key);
}
core::Status Snapshot::for_each(Column column, core::ByteView from_key, const Visitor& visit) const {
  assert(impl_ && "Snapshot used after move");
  return scan(*impl_->state, impl_->snapshot, column, from_key, std::nullopt, visit);
}
core::Status Snapshot::for_each_prefix(Column column, core::ByteView prefix, const Visitor& visit) const {
  assert(impl_ && "Snapshot used after move");
  return scan(*impl_->state, impl_->snapshot, column, prefix, prefix_successor(prefix), visit);
}
core::Result<std::optional<core::Bytes>> Snapshot::last_key(Column column) const {
  assert(impl_ && "Snapshot used after move");
  return read_last_key(*impl_->state, impl_->snapshot, column);
}
core::Result<std::optional<core::Bytes>> Snapshot::get_node(const core::Hash32& id) const {
  return get(Column::kStateNodes, core::ByteView(id));
}

// ---- CueDb ----

CueDb::CueDb(std::unique_ptr<DbState> state) : state_(std::move(state)) {}

CueDb::~CueDb() {
  // Nothing to report to from a destructor; callers who care call close() first.
  (void)close_state(*state_);
}

core::Status CueDb::close() { return close_state(*state_); }

core::Status CueDb::flush() {
  DbState& state = *state_;
  rocksdb::FlushOptions options;
  options.wait = true;
  std::vector<rocksdb::ColumnFamilyHandle*> handles(state.columns.begin(), state.columns.end());
  const rocksdb::Status status = state.db->Flush(options, handles);
  if (!status.ok()) return storage_error(status, "flush of " + quoted(state.dir));
  return {};
}

core::Status CueDb::verify_checksums(const std::atomic<bool>* stop, std::uint64_t* bytes_checked) const {
  const DbState& state = *state_;
  std::vector<rocksdb::LiveFileMetaData> files;
  state.db->GetLiveFilesMetaData(&files);
  rocksdb::ReadOptions read;
  read.verify_checksums = true;
  read.fill_cache = false;
  for (const auto& file : files) {
    if (stop != nullptr && stop->load()) return {};
    const std::string name = file.name.substr(file.name.find_last_of('/') + 1);
    const std::filesystem::path path = std::filesystem::path(file.db_path) / name;
    rocksdb::ColumnFamilyHandle* handle = nullptr;
    for (auto* h : state.all_handles) {
      if (h->GetName() == file.column_family_name) handle = h;
    }
    if (handle == nullptr) continue;
    const rocksdb::Options options(state.db->GetDBOptions(), state.db->GetOptions(handle));
    rocksdb::SstFileReader reader(options);
    rocksdb::Status status = reader.Open(path.string());
    if (status.ok()) status = reader.VerifyChecksum(read);
    if (!status.ok()) {
      std::error_code ec;
      if (!std::filesystem::exists(path, ec)) continue;  // compacted away since the listing
      const std::string where = "column " + file.column_family_name + ", file " + name;
      if (status.IsCorruption()) return core::make_error(core::ErrorCode::kStorageCorrupt, where + ": " + status.ToString());
      return storage_error(status, "checksum verification of " + where);
    }
    if (bytes_checked != nullptr) *bytes_checked += file.size;
  }
  return {};
}

core::Result<std::unique_ptr<CueDb>> CueDb::open(const std::filesystem::path& dir, const OpenOptions& options) {
  if (options.chain_id.empty() || options.chain_id.size() > kChainIdSizeBytesMax) {
    return core::make_error(core::ErrorCode::kInvalidArgument,
                            "chain id must be 1 to " + std::to_string(kChainIdSizeBytesMax) + " bytes, got " +
                                std::to_string(options.chain_id.size()));
  }
  const std::string dir_text = quoted(dir);
  std::error_code ec;
  const bool dir_exists = std::filesystem::exists(dir, ec);
  if (ec) return core::make_error(core::ErrorCode::kStorageIo, "cannot access " + dir_text + ": " + ec.message());
  const bool may_create = options.create_if_missing && !options.read_only;
  if (!dir_exists) {
    if (!may_create) {
      return core::make_error(core::ErrorCode::kNotFound, "data directory " + dir_text + " does not exist");
    }
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return core::make_error(core::ErrorCode::kStorageIo, "cannot create " + dir_text + ": " + ec.message());
    }
  } else if (!std::filesystem::is_directory(dir, ec)) {
    return core::make_error(core::ErrorCode::kInvalidArgument, dir_text + " is not a directory");
  }
  // RocksDB's CURRENT file names the live manifest: without it there is no database here.
  const bool db_exists = std::filesystem::exists(dir / "CURRENT", ec);
  if (ec) return core::make_error(core::ErrorCode::kStorageIo, "cannot access " + dir_text + ": " + ec.message());
  if (!db_exists && !may_create) {
    return core::make_error(core::ErrorCode::kNotFound, "data directory " + dir_text + " holds no database");
  }

  auto cache = rocksdb::NewLRUCache(options.block_cache_size_bytes);
  const rocksdb::DBOptions db_opts = db_options(options, cache);
  const CompressionChoice compression = choose_compression();

  // RocksDB requires a read-write open to name every column family on disk, including any a
  // newer build added; those are opened with default options so the format check can then
  // report the newer format instead of RocksDB failing obscurely.
  std::vector<std::string> existing;
  if (db_exists) {
    rocksdb::Status status = rocksdb::DB::ListColumnFamilies(db_opts, dir.string(), &existing);
    if (!status.ok()) return storage_error(status, "cannot list column families in " + dir_text);
  }
  auto exists_on_disk = [&](std::string_view name) {
    return std::find(existing.begin(), existing.end(), name) != existing.end();
  };

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (Column column : kAllColumns) {
    const std::string name(column_name(column));
    if (options.read_only && !exists_on_disk(name)) {
      return core::make_error(core::ErrorCode::kStorageCorrupt,
                              "data directory " + dir_text + " lacks column family '" + name + "'");
    }
    descriptors.emplace_back(name, column_options(options, column, cache, compression));
  }
  for (const std::string& name : existing) {
    const bool known = std::any_of(descriptors.begin(), descriptors.end(),
                                   [&](const rocksdb::ColumnFamilyDescriptor& d) { return d.name == name; });
    if (!known) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }

  auto state = std::make_unique<DbState>();
  state->dir = dir;
  state->chain_id = options.chain_id;
  state->read_only = options.read_only;
  rocksdb::DB* raw_db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status status = options.read_only
                               ? rocksdb::DB::OpenForReadOnly(db_opts, dir.string(), descriptors, &handles, &raw_db)
                               : rocksdb::DB::Open(db_opts, dir.string(), descriptors, &handles, &raw_db);
  if (!status.ok()) return storage_error(status, "cannot open data directory " + dir_text);
  state->db.reset(raw_db);
  assert(handles.size() == descriptors.size());
  state->all_handles = handles;
  for (std::size_t i = 0; i < kColumnCount; ++i) {
    state->columns[i] = handles[i + 1];  // descriptors[0] is the default column family
    assert(handles[i + 1]->GetName() == column_name(kAllColumns[i]));
  }

  // From here the CueDb owns the handles: an early return closes them in its destructor.
  std::unique_ptr<CueDb> cue(new CueDb(std::move(state)));
  MN_TRY(check_or_init_meta(*cue->state_));
  return cue;
}

core::Result<std::optional<core::Bytes>> CueDb::get(Column column, core::ByteView key) const {
  return read_one(*state_, nullptr, column, key);
}
core::Status CueDb::for_each(Column column, core::ByteView from_key, const Visitor& visit) const {
  return scan(*state_, nullptr, column, from_key, std::nullopt, visit);
}
core::Status CueDb::for_each_prefix(Column column, core::ByteView prefix, const Visitor& visit) const {
  return scan(*state_, nullptr, column, prefix, prefix_successor(prefix), visit);
}
core::Result<std::optional<core::Bytes>> CueDb::last_key(Column column) const {
  return read_last_key(*state_, nullptr, column);
}
core::Result<std::optional<core::Bytes>> CueDb::get_node(const core::Hash32& id) const {
  return get(Column::kStateNodes, core::ByteView(id));
}

core::Status CueDb::write(WriteBatch&& batch, bool sync) {
  assert(state_->db && "CueDB used after close");
  const WriteBatch consumed = std::move(batch);
  batch = WriteBatch(consumed.size_bytes_max());  // the caller's batch is left empty, not half-moved
  if (state_->read_only) {
    return core::make_error(core::ErrorCode::kInvalidArgument,
                            "data directory " + quoted(state_->dir) + " is open read-only");
  }
  if (consumed.over_limit()) {
    return core::make_error(core::ErrorCode::kStorageBatchTooLarge,
                            "write batch exceeds its limit of " + std::to_string(consumed.size_bytes_max()) +
                                " bytes; nothing was written");
  }
  // Copying into RocksDB's batch costs one memcpy of the payload, small beside the fsync that
  // follows, and keeps RocksDB out of WriteBatch's header.
  //
  // The operations go in sorted by (column, key). A block's keys are mostly hashes (state
  // nodes, tx index), and the memtable's skip list inserts in key order by reusing the search
  // path of the previous insert; in hash order every insert searches from the top. The sort is
  // stable, so operations on one key keep their order and the batch means exactly the same.
  std::vector<std::uint32_t> order(consumed.count());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
  std::stable_sort(order.begin(), order.end(), [&consumed](std::uint32_t a, std::uint32_t b) {
    const WriteBatch::Op& x = consumed.op(a);
    const WriteBatch::Op& y = consumed.op(b);
    if (x.column != y.column) return x.column < y.column;
    const core::ByteView kx = consumed.key_of(x);
    const core::ByteView ky = consumed.key_of(y);
    return std::lexicographical_compare(kx.begin(), kx.end(), ky.begin(), ky.end());
  });
  rocksdb::WriteBatch rocks_batch(consumed.size_bytes());
  for (const std::uint32_t i : order) {
    const WriteBatch::Op& op = consumed.op(i);
    rocksdb::ColumnFamilyHandle* handle = state_->handle(op.column);
    const rocksdb::Status status =
        op.kind == WriteBatch::OpKind::kPut
            ? rocks_batch.Put(handle, to_slice(consumed.key_of(op)), to_slice(consumed.value_of(op)))
            : rocks_batch.Delete(handle, to_slice(consumed.key_of(op)));
    if (!status.ok()) return storage_error(status, "building write batch");
  }
  assert(rocks_batch.Count() == consumed.count());
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  const rocksdb::Status status = state_->db->Write(write_options, &rocks_batch);
  if (!status.ok()) {
    state_->write_failed = true;
    return storage_error(status, "write of " + std::to_string(consumed.count()) + " operations to " +
                                     quoted(state_->dir) + " failed");
  }
  return {};
}

Snapshot CueDb::snapshot() const {
  assert(state_->db && "CueDB used after close");
  state_->live_snapshots.fetch_add(1);
  return Snapshot(std::make_unique<Snapshot::Impl>(Snapshot::Impl{state_.get(), state_->db->GetSnapshot()}));
}

const std::filesystem::path& CueDb::dir() const { return state_->dir; }
const std::string& CueDb::chain_id() const { return state_->chain_id; }
bool CueDb::read_only() const { return state_->read_only; }

}  // namespace metanode::storage
