#include "storage/cue_db.hpp"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/codec.hpp"
#include "storage/keys.hpp"
#include "unit/storage/temp_dir.hpp"

namespace metanode::storage {
namespace {

using testing::TempDir;

constexpr const char* kChain = "metanode-test";

OpenOptions options_for(std::string chain_id = kChain) {
  OpenOptions options;
  options.chain_id = std::move(chain_id);
  options.block_cache_size_bytes = std::size_t{8} << 20;
  return options;
}

std::unique_ptr<CueDb> open_ok(const std::filesystem::path& dir, OpenOptions options = options_for()) {
  auto db = CueDb::open(dir, options);
  EXPECT_TRUE(db.ok()) << db.error().to_string();
  if (!db.ok()) return nullptr;
  return std::move(db).value();
}

std::string read_text(const CueDb& db, Column column, std::string_view key) {
  auto value = db.get(column, core::as_bytes(key));
  EXPECT_TRUE(value.ok()) << value.error().to_string();
  if (!value.ok() || !value->has_value()) return "<absent>";
  return std::string(core::as_chars(**value));
}

void write_ok(CueDb& db, WriteBatch batch, bool sync = true) {
  auto status = db.write(std::move(batch), sync);
  ASSERT_TRUE(status.ok()) << status.error().to_string();
}

// Opens the directory with raw RocksDB, as a newer (or damaged) build would have left it, and
// puts `value` under `key` in the meta column; optionally adds a column family this build does
// not know.
void raw_put_meta(const std::filesystem::path& dir, std::string_view key, const core::Bytes& value,
                  const std::string& extra_column = "") {
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.string(), &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir.string(), descriptors, &handles, &db).ok());
  auto meta = std::find(names.begin(), names.end(), "meta") - names.begin();
  rocksdb::WriteOptions sync;
  sync.sync = true;
  ASSERT_TRUE(db->Put(sync, handles[static_cast<std::size_t>(meta)], rocksdb::Slice(key.data(), key.size()),
                      rocksdb::Slice(reinterpret_cast<const char*>(value.data()), value.size()))
                  .ok());
  if (!extra_column.empty()) {
    rocksdb::ColumnFamilyHandle* extra = nullptr;
    ASSERT_TRUE(db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), extra_column, &extra).ok());
    handles.push_back(extra);
  }
  for (auto* handle : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
  ASSERT_TRUE(db->Close().ok());
  delete db;
}

core::Bytes u32_bytes(std::uint32_t v) {
  core::Writer writer;
  writer.u32(v);
  return std::move(writer).take();
}

TEST(CueDb, WritesReadsAndReopens) {
  TempDir tmp;
  {
    auto db = open_ok(tmp.db());
    ASSERT_TRUE(db);
    EXPECT_EQ(db->chain_id(), kChain);
    EXPECT_EQ(read_text(*db, Column::kBlocks, "h1"), "<absent>");
    WriteBatch batch;
    batch.put(Column::kBlocks, core::as_bytes("h1"), core::as_bytes("block one"));
    batch.put(Column::kTxIndex, core::as_bytes("tx1"), core::as_bytes("h1"));
    batch.put(Column::kAudit, core::as_bytes("e1"), core::as_bytes("event"));
    write_ok(*db, std::move(batch));
    EXPECT_EQ(read_text(*db, Column::kBlocks, "h1"), "block one");
    EXPECT_TRUE(db->close().ok());
    EXPECT_TRUE(db->close().ok());  // idempotent
  }
  auto db = open_ok(tmp.db());
  ASSERT_TRUE(db);
  EXPECT_EQ(read_text(*db, Column::kBlocks, "h1"), "block one");
  EXPECT_EQ(read_text(*db, Column::kTxIndex, "tx1"), "h1");
  EXPECT_EQ(read_text(*db, Column::kAudit, "e1"), "event");
  EXPECT_EQ(read_text(*db, Column::kBlocks, "h2"), "<absent>");
}

TEST(CueDb, RecordsFormatVersionAndChainIdOnFirstOpen) {
  TempDir tmp;
  auto db = open_ok(tmp.db());
  ASSERT_TRUE(db);
  auto version = db->get(Column::kMeta, core::as_bytes(kMetaFormatVersionKey));
  ASSERT_TRUE(version.ok() && version->has_value());
  EXPECT_EQ(core::to_hex(**version), core::to_hex(u32_bytes(kFormatVersion)));
  EXPECT_EQ(read_text(*db, Column::kMeta, kMetaChainIdKey), kChain);
}

TEST(CueDb, ColumnsAreSeparateKeyspaces) {
  TempDir tmp;
  auto db = open_ok(tmp.db());
  ASSERT_TRUE(db);
  WriteBatch batch;
  for (Column column : kAllColumns) {
    batch.put(column, core::as_bytes("same-key"), core::as_bytes(std::string(column_name(column))));
  }
  write_ok(*db, std::move(batch));
  for (Column column : kAllColumns) EXPECT_EQ(read_text(*db, column, "same-key"), column_name(column));

  WriteBatch del;
  del.del(Column::kReceipts, core::as_bytes("same-key"));
  write_ok(*db, std::move(del));
  for (Column column : kAllColumns) {
    EXPECT_EQ(read_text(*db, column, "same-key"),
              column == Column::kReceipts ? "<absent>" : std::string(column_name(column)));
  }
}

TEST(CueDb, BatchIsInvisibleUntilWrittenThenWhollyVisible) {
  TempDir tmp;
  constexpr int kPuts = 3000;
  auto key = [](int i) { return "key-" + std::to_string(i); };
  {
    auto db = open_ok(tmp.db());
    ASSERT_TRUE(db);
    WriteBatch batch;
    for (int i = 0; i < kPuts; ++i) {
      const Column column = kAllColumns[static_cast<std::size_t>(i) % kAllColumns.size()];
      batch.put(column == Column::kMeta ? Column::kBlocks : column, core::as_bytes(key(i)),
                core::as_bytes("value-" + std::to_string(i)));
    }
    ASSERT_EQ(batch.count(), static_cast<std::size_t>(kPuts));
    for (int i = 0; i < kPuts; i += 97) {
      for (Column column : kAllColumns) EXPECT_EQ(read_text(*db, column, key(i)), "<absent>");
    }
    write_ok(*db, std::move(batch));
    EXPECT_EQ(batch.count(), 0u);  // NOLINT(bugprone-use-after-move): write() leaves it empty
  }
  auto db = open_ok(tmp.db());
  ASSERT_TRUE(db);
  for (int i = 0; i < kPuts; ++i) {
    const Column column = kAllColumns[static_cast<std::size_t>(i) % kAllColumns.size()];
    ASSERT_EQ(read_text(*db, column == Column::kMeta ? Column::kBlocks : column, key(i)),
              "value-" + std::to_string(i))
        << i;
  }
}

TEST(CueDb, BatchAppliesOperationsInOrder) {
  TempDir tmp;
  auto db = open_ok(tmp.db());
  ASSERT_TRUE(db);
  WriteBatch batch;
  batch.put(Column::kBlocks, core::as_bytes("a"), core::as_bytes("1"));
  batch.del(Column::kBlocks, core::as_bytes("a"));
  batch.del(Column::kBlocks, core::as_bytes("b"));
  batch.put(Column::kBlocks, core::as_bytes("b"), core::as_bytes("2"));
  batch.put(Column::kBlocks, core::as_bytes("c"), core::as_bytes("old"));
  batch.put(Column::kBlocks, core::as_bytes("c"), core::as_bytes("new"));
  write_ok(*db, std::move(batch));
  EXPECT_EQ(read_text(*db, Column::kBlocks, "a"), "<absent>");
  EXPECT_EQ(read_text(*db, Column::kBlocks, "b"), "2");
  EXPECT_EQ(read_text(*db, Column::kBlocks, "c"), "new");
}

// write() hands RocksDB the operations sorted by key (cheaper memtable inserts); a long batch
// in shuffled key order, with many operations on the same keys, must still mean what it says in
// the order given. (Short batches would not catch an unstable sort: those sort by insertion.)
TEST(CueDb, LongShuffledBatchKeepsTheOrderOfOperationsOnEachKey) {
  TempDir tmp;
  auto db = open_ok(tmp.db());
  ASSERT_TRUE(db);
  std::mt19937 rng(7);
  std::map<std::pair<Column, std::string>, std::string> model;
  WriteBatch batch;
  for (int i = 0; i < 3000; ++i) {
    const Column column = rng() % 2 == 0 ? Column::kStateNodes : Column::kTxIndex;
    const std::string k = "key-" + std::to_string(rng() % 40);
    if (rng() % 4 == 0) {
      batch.del(column, core::as_bytes(k));
      model.erase({column, k});
    } else {
      const std::string v = "v" + std::to_string(i);
      batch.put(column, core::as_bytes(k), core::as_bytes(v));
      model[{column, k}] = v;
    }
  }
  write_ok(*db, std::move(batch));
  for (Column column : {Column::kStateNodes, Column::kTxIndex}) {
    for (int k = 0; k < 40; ++k) {
      const std::string key = "key-" + std::to_string(k);
      const auto it = model.find({column, key});
      EXPECT_EQ(read_text(*db, column, key), it == model.end() ? "<absent>" : it->second) << key;
    }
  }
}

// State nodes are hashes: their column is stored uncompressed (RocksDB records each column's
// options in the OPTIONS file it writes on open).
TEST(CueDb, StateNodesColumnIsNotCompressed) {
  TempDir tmp;
  {
    auto db = open_ok(tmp.db());
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->close().ok());
  }
  std::filesystem::path newest;
  for (const auto& entry : std::filesystem::directory_iterator(tmp.db())) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("OPTIONS-", 0) == 0 && (newest.empty() || name > newest.filename().string())) newest = entry.path();
  }
  ASSERT_FALSE(newest.empty());
  std::ifstream in(newest);
  std::map<std::string, std::map<std::string, std::string>> sections;
  std::string line;
  std::string section;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    line = line.substr(first);
    if (line.front() == '[') {
      section = line;
      continue;
    }
    const auto eq = line.find('=');
    if (eq != std::string::npos) sections[section][line.substr(0, eq)] = line.substr(eq + 1);
  }
  const auto& nodes = sections["[CFOptions \"state_nodes\"]"];
  ASSERT_FALSE(nodes.empty());
  EXPECT_EQ(nodes.at("compression"), "kNoCompression");
  EXPECT_EQ(nodes.at("bottommost_compression"), "kNoCompression");
  // The control: blocks (encoded transactions) are compressed where the library can.
  EXPECT_NE(sections["[CFOptions \"blocks\"]"].at("compression"), "kNoCompression");
}

TEST(CueDb, OversizedBatchIsRefusedWhole) {
  TempDir tmp;
  auto db = open_ok(tmp.db());
  ASSERT_TRUE(db);
  WriteBatch batch(200);
  batch.put(Column::kBlocks, core::as_bytes("first"), core::as_bytes("fits"));
  batch.put(Column::kBlocks, core::as_bytes("second"), core::Bytes(300, 0x33));
  ASSERT_TRUE(batch.over_limit());
  auto status = db->write(std::move(batch));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, core::ErrorCode::kStorageBatchTooLarge);
  EXPECT_EQ(read_text(*db, Column::kBlocks, "first"), "<absent>");
}

TEST(CueDb, UnsyncedWriteSurvivesCleanClose) {
  TempDir tmp;
  {
    auto db = open_ok(tmp.db());
    ASSERT_TRUE(db);
    WriteBatch batch;
    batch.put(Column::kAudit, core::as_bytes("k"), core::as_bytes("v"));
    write_ok(*db, std::move(batch), /*sync=*/false);
  }
  auto db = open_ok(tmp.db());
  ASSERT_TRUE(db);
  EXPECT_EQ(read_text(*db, Column::kAudit, "k"), "v");
}

TEST(CueDb, RefusesAnotherChainsDirectory) {
  TempDir tmp;
  ASSERT_TRUE(open_ok(tmp.db(), options_for("chain-a")));
  auto other = CueDb::open(tmp.db(), options_for("chain-b"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, core::ErrorCode::kStorageWrongChain);
  EXPECT_EQ(other.error().message,
            "data directory " + tmp.db().string() + " belongs to chain 'chain-a', not 'chain-b'");
  // The refusal changed nothing: the rightful chain still opens.
  EXPECT_TRUE(open_ok(tmp.db(), options_for("chain-a")));
}

TEST(CueDb, RefusesNewerFormatEvenWithColumnsItDoesNotKnow) {
  TempDir tmp;
  ASSERT_TRUE(open_ok(tmp.db()));
  raw_put_meta(tmp.db(), kMetaFormatVersionKey, u32_bytes(kFormatVersion + 1), "added_by_format_2");
  for (bool read_only : {false, true}) {
    OpenOptions options = options_for();
    options.read_only = read_only;
    auto db = CueDb::open(tmp.db(), options);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, core::ErrorCode::kStorageNewerFormat) << db.error().to_string();
    EXPECT_NE(db.error().message.find("upgrade metanode"), std::string::npos) << db.error().message;
    EXPECT_NE(db.error().message.find(tmp.db().string()), std::string::npos) << db.error().message;
  }
}

TEST(CueDb, RefusesOlderFormatWithWhatToDo) {
  TempDir tmp;
  ASSERT_TRUE(open_ok(tmp.db()));
  static_assert(kFormatVersion >= 2);
  raw_put_meta(tmp.db(), kMetaFormatVersionKey, u32_bytes(kFormatVersion - 1));
  for (bool read_only : {false, true}) {
    OpenOptions options = options_for();
    options.read_only = read_only;
    auto db = CueDb::open(tmp.db(), options);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, core::ErrorCode::kStorageOlderFormat) << db.error().to_string();
    EXPECT_NE(db.error().message.find("older than format " + std::to_string(kFormatVersion)), std::string::npos)
        << db.error().message;
    EXPECT_NE(db.error().message.find("empty data directory"), std::string::npos) << db.error().message;
    EXPECT_NE(db.error().message.find(tmp.db().string()), std::string::npos) << db.error().message;
  }
}

TEST(CueDb, RefusesMalformedFormatVersion) {
  TempDir tmp;
  ASSERT_TRUE(open_ok(tmp.db()));
  raw_put_meta(tmp.db(), kMetaFormatVersionKey, core::Bytes{1, 0, 0});
  auto db = CueDb::open(tmp.db(), options_for());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, core::ErrorCode::kStorageCorrupt) << db.error().to_string();

  raw_put_meta(tmp.db(), kMetaFormatVersionKey, u32_bytes(0));
  db = CueDb::open(tmp.db(), options_for());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, core::ErrorCode::kStorageCorrupt) << db.error().to_string();
}

TEST(CueDb, MissingDirectoryWithoutCreateIsNotFound) {
  TempDir tmp;
  OpenOptions options = options_for();
  options.create_if_missing = false;
  auto db = CueDb::open(tmp.db(), options);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, core::ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(tmp.db()));

  // An existing but empty directory holds no database either.
  std::filesystem::create_directories(tmp.db());
  db = CueDb::open(tmp.db(), options);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, core::ErrorCode::kNotFound);

  OpenOptions read_only = options_for();
  read_only.read_only = true;
  db = CueDb::open(tmp.path() / "elsewhere", read_only);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, core::ErrorCode::kNotFound);
}

TEST(CueDb, RejectsBadChainId) {
  TempDir tmp;
  for (const std::string& chain : {std::string(), std::string(kChainIdSizeBytesMax + 1, 'c')}) {
    auto db = CueDb::open(tmp.db(), options_for(chain));
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, core::ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(std::filesystem::exists(tmp.db()));
  EXPECT_TRUE(open_ok(tmp.db(), options_for(std::string(kChainIdSizeBytesMax, 'c'))));
}

TEST(CueDb, SecondWriterOnSameDirectoryGetsStorageIo) {
  TempDir tmp;
  auto first = open_ok(tmp.db());
  ASSERT_TRUE(first);
  auto second = CueDb::open(tmp.db(), options_for());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, core::ErrorCode::kStorageIo);
  EXPECT_NE(second.error().message.find("lock"), std::string::npos) << second.error().message;
  EXPECT_NE(second.error().message.find(tmp.db().string()), std::string::npos) << second.error().message;
}

TEST(CueDb, ReadOnlyOpenReadsButCannotWrite) {
  TempDir tmp;
  {
    auto db = open_ok(tmp.db());
    ASSERT_TRUE(db);
    WriteBatch batch;
    batch.put(Column::kBlocks, height_key(7), core::as_bytes("block 7"));
    write_ok(*db, std::move(batch));
  }
  OpenOptions options = options_for();
  options.read_only = true;
  auto db = open_ok(tmp.db(), options);
  ASSERT_TRUE(db);
  EXPECT_TRUE(db->read_only());
  auto value = db->get(Column::kBlocks, height_key(7));
  ASSERT_TRUE(value.ok() && value->has_value());
  EXPECT_EQ(core::as_chars(**value), "block 7");

  WriteBatch batch;
  batch.put(Column::kBlocks, height_key(8), core::as_bytes("block 8"));
  auto status = db->write(std::move(batch));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_TRUE(db->close().ok());

  // Two read-only opens at once are allowed (no lock), and the chain is still checked.
  auto reader_a = open_ok(tmp.db(), options);
  auto reader_b = open_ok(tmp.db(), options);
  EXPECT_TRUE(reader_a && reader_b);
  OpenOptions wrong = options;
  wrong.chain_id = "other";
  auto refused = CueDb::open(tmp.db(), wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, core::ErrorCode::kStorageWrongChain);
}

TEST(CueDb, SnapshotDoesNotSeeLaterWrites) {
  TempDir tmp;
  auto db = open_ok(tmp.db());
  ASSERT_TRUE(db);
  WriteBatch first;
  first.put(Column::kBlocks, height_key(1), core::as_bytes("one"));
  first.put(Column::kReceipts, core::as_bytes("r"), core::as_bytes("old"));
  write_ok(*db, std::move(first));

  Snapshot snapshot = db->snapshot();
  WriteBatch second;
  second.put(Column::kBlocks, height_key(2), core::as_bytes("two"));
  second.put(Column::kReceipts, core::as_bytes("r"), core::as_bytes("new"));
  second.del(Column::kBlocks, height_key(1));
  write_ok(*db, std::move(second));

  auto snap_text = [&](Column column, core::ByteView key) {
    auto value = snapshot.get(column, key);
    EXPECT_TRUE(value.ok());
    return value.ok() && value->has_value() ? std::string(core::as_chars(**value)) : "<absent>";
  };
  EXPECT_EQ(snap_text(Column::kBlocks, height_key(1)), "one");
  EXPECT_EQ(snap_text(Column::kBlocks, height_key(2)), "<absent>");
  EXPECT_EQ(snap_text(Column::kReceipts, core::as_bytes("r")), "old");
  EXPECT_EQ(read_text(*db, Column::kReceipts, "r"), "new");

  auto snap_last = snapshot.last_key(Column::kBlocks);
  ASSERT_TRUE(snap_last.ok() && snap_last->has_value());
  EXPECT_EQ(*height_from_key(**snap_last), 1u);
  auto live_last = db->last_key(Column::kBlocks);
  ASSERT_TRUE(live_last.ok() && live_last->has_value());
  EXPECT_EQ(*height_from_key(**live_last), 2u);

  std::vector<std::uint64_t> seen;
  ASSERT_TRUE(snapshot
                  .for_each(Column::kBlocks, {},
                            [&](core::ByteView key, core::ByteView) {
                              seen.push_back(*height_from_key(key));
                              return true;
                            })
                  .ok());
  EXPECT_EQ(seen, std::vector<std::uint64_t>{1});

  // A moved snapshot keeps its view; a new one sees the present.
  Snapshot moved = std::move(snapshot);
  auto still_old = moved.get(Column::kReceipts, core::as_bytes("r"));
  ASSERT_TRUE(still_old.ok() && still_old->has_value());
  EXPECT_EQ(core::as_chars(**still_old), "old");
  moved = db->snapshot();
  auto now = moved.get(Column::kReceipts, core::as_bytes("r"));
  ASSERT_TRUE(now.ok() && now->has_value());
  EXPECT_EQ(core::as_chars(**now), "new");
}

TEST(CueDb, IteratesHeightKeysInNumericOrder) {
  TempDir tmp;
  auto db = open_ok(tmp.db());
  ASSERT_TRUE(db);
  std::vector<std::uint64_t> heights = {0, 1, 2, 255, 256, 257, 65535, 65536, 1ULL << 32, 1ULL << 40};
  std::vector<std::uint64_t> shuffled = heights;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(42));
  // Separate batches in shuffled order so order comes from the keys, not insertion.
  for (auto height : shuffled) {
    WriteBatch batch;
    batch.put(Column::kBlocks, height_key(height), core::as_bytes("block " + std::to_string(height)));
    write_ok(*db, std::move(batch));
  }

  std::vector<std::uint64_t> seen;
  auto collect = [&](core::ByteView key, core::ByteView value) {
    auto height = height_from_key(key);
    EXPECT_TRUE(height.ok());
    EXPECT_EQ(core::as_chars(value), "block " + std::to_string(*height));
    seen.push_back(*height);
    return true;
  };
  ASSERT_TRUE(db->for_each(Column::kBlocks, {}, collect).ok());
  EXPECT_EQ(seen, heights);

  seen.clear();
  ASSERT_TRUE(db->for_each(Column::kBlocks, height_key(256), collect).ok());
  EXPECT_EQ(seen, std::vector<std::uint64_t>(heights.begin() + 4, heights.end()));

  seen.clear();
  ASSERT_TRUE(db->for_each(Column::kBlocks, height_key(3),
                           [&](core::ByteView key, core::ByteView value) {
                             collect(key, value);
                             return seen.size() < 3;  // stop after three
                           })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{255, 256, 257}));

  auto last = db->last_key(Column::kBlocks);
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ(*height_from_key(**last), 1ULL << 40);
  auto empty = db->last_key(Column::kReceipts);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
}

TEST(CueDb, ForEachPrefixVisitsExactlyThePrefix) {
  TempDir tmp;
  auto db = open_ok(tmp.db());
  ASSERT_TRUE(db);
  WriteBatch batch;
  const core::Bytes a_ff = {'a', 0xff};
  const core::Bytes b_0 = {'b', 0x00};
  for (const auto& key : {core::to_bytes(core::as_bytes("a")), core::to_bytes(core::as_bytes("a/1")),
                          core::to_bytes(core::as_bytes("a/2")), a_ff, core::to_bytes(core::as_bytes("b")), b_0,
                          core::to_bytes(core::as_bytes("ab"))}) {
    batch.put(Column::kTxIndex, key, core::as_bytes("v"));
  }
  write_ok(*db, std::move(batch));
  auto keys_with = [&](core::ByteView prefix) {
    std::vector<std::string> keys;
    EXPECT_TRUE(db->for_each_prefix(Column::kTxIndex, prefix,
                                    [&](core::ByteView key, core::ByteView) {
                                      keys.push_back(core::to_hex(key));
                                      return true;
                                    })
                    .ok());
    return keys;
  };
  EXPECT_EQ(keys_with(core::as_bytes("a/")),
            (std::vector<std::string>{core::to_hex(core::as_bytes("a/1")), core::to_hex(core::as_bytes("a/2"))}));
  EXPECT_EQ(keys_with(a_ff), std::vector<std::string>{core::to_hex(a_ff)});
  EXPECT_EQ(keys_with(core::as_bytes("b")),
            (std::vector<std::string>{core::to_hex(core::as_bytes("b")), core::to_hex(b_0)}));
  EXPECT_EQ(keys_with({}).size(), 7u);
  EXPECT_TRUE(keys_with(core::as_bytes("c")).empty());
}

TEST(CueDb, StateNodesRoundTripThroughNodeWriterAndNodeReader) {
  TempDir tmp;
  std::vector<std::pair<core::Hash32, core::Bytes>> nodes;
  for (int i = 0; i < 50; ++i) {
    core::Hash32 id{};
    id.fill(static_cast<core::Byte>(i));
    id[31] = 0xee;
    nodes.emplace_back(id, core::Bytes(static_cast<std::size_t>(33 + i), static_cast<core::Byte>(i * 3)));
  }
  core::Hash32 absent{};
  absent.fill(0x99);
  {
    auto db = open_ok(tmp.db());
    ASSERT_TRUE(db);
    WriteBatch batch;
    merkle::NodeWriter& writer = batch;
    for (const auto& [id, encoded] : nodes) writer.put_node(id, encoded);
    write_ok(*db, std::move(batch));
  }
  auto db = open_ok(tmp.db());
  ASSERT_TRUE(db);
  Snapshot snapshot = db->snapshot();
  for (const merkle::NodeReader* reader : {static_cast<const merkle::NodeReader*>(db.get()),
                                           static_cast<const merkle::NodeReader*>(&snapshot)}) {
    for (const auto& [id, encoded] : nodes) {
      auto got = reader->get_node(id);
      ASSERT_TRUE(got.ok() && got->has_value());
      EXPECT_EQ(**got, encoded);
    }
    auto missing = reader->get_node(absent);
    ASSERT_TRUE(missing.ok());
    EXPECT_FALSE(missing->has_value());
  }
  // The nodes live in the state_nodes column, keyed by id, and nowhere else.
  auto direct = db->get(Column::kStateNodes, nodes[0].first);
  ASSERT_TRUE(direct.ok() && direct->has_value());
  auto elsewhere = db->get(Column::kBlocks, nodes[0].first);
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_FALSE(elsewhere->has_value());
}

}  // namespace
}  // namespace metanode::storage
