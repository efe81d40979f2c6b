#include "ledger/chain.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

#include "storage/keys.hpp"
#include "storage/write_batch.hpp"

namespace metanode::ledger {
namespace {

constexpr std::string_view kHeadKey = "chain/head";
constexpr std::string_view kCertificatePrefix = "chain/cert/";

core::Bytes certificate_key(std::uint64_t height) {
  const auto h = storage::height_key(height);
  core::Writer w(kCertificatePrefix.size() + h.size());
  w.fixed(core::as_bytes(kCertificatePrefix));
  w.fixed(h);
  return std::move(w).take();
}

core::Bytes receipt_key(std::uint64_t height, std::uint32_t index) {
  const auto h = storage::height_key(height);
  core::Bytes key(h.begin(), h.end());
  for (int i = 3; i >= 0; --i) key.push_back(static_cast<core::Byte>(index >> (8 * i)));  // big-endian: ordered
  return key;
}

core::Error corrupt(std::string why) { return core::make_error(core::ErrorCode::kBlockCorrupt, std::move(why)); }

// Writes tree nodes to an in-memory store and remembers which, so verify_all can compare each
// new node with the one stored on disk under the same id.
class RecordingNodeWriter final : public merkle::NodeWriter {
 public:
  explicit RecordingNodeWriter(merkle::MemoryNodeStore& store) : store_(store) {}
  void put_node(const core::Hash32& id, core::ByteView encoded) override {
    store_.put_node(id, encoded);
    written_.push_back(id);
  }
  std::vector<core::Hash32> take() { return std::exchange(written_, {}); }

 private:
  merkle::MemoryNodeStore& store_;
  std::vector<core::Hash32> written_;
};

// The head mark: the height and hash of the newest committed block, in a small file beside the
// database, rewritten after each commit. RocksDB recovers its write-ahead log by dropping a torn
// final record, which is right after a crash mid-write, but a damaged record at the end of the
// log looks the same: the mark is what tells a node, at start-up, that it holds fewer blocks than
// it committed (and may have reported), so it refuses to start instead of forking from them.
constexpr const char* kHeadMarkFile = "metanode-head";

void write_head_mark(const std::filesystem::path& dir, const ChainHead& head) {
  const auto tmp = dir / (std::string(kHeadMarkFile) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << head.height << " " << core::to_hex(head.block_hash) << "\n";
    if (!out) return;  // best effort: the blocks themselves are synced already
  }
  std::error_code ignored;
  std::filesystem::rename(tmp, dir / kHeadMarkFile, ignored);
}

core::Status check_head_mark(const std::filesystem::path& dir, const ChainHead& head,
                             const std::function<core::Result<std::optional<core::Hash32>>(std::uint64_t)>& hash_at) {
  std::ifstream in(dir / kHeadMarkFile);
  std::uint64_t height = 0;
  std::string hash_hex;
  if (!in || !(in >> height >> hash_hex)) return {};  // none yet (or torn by a power cut): nothing to compare
  const std::string where = "data directory " + dir.string();
  const std::string advice =
      "; restore it from a backup, or move it aside and start the node again to sync every block from its peers";
  if (height > head.height) {
    return core::make_error(core::ErrorCode::kStorageCorrupt,
                            where + " holds blocks up to height " + std::to_string(head.height) + ", but this node had "
                                "committed height " + std::to_string(height) + ": committed blocks were lost (a "
                                "damaged write-ahead log or table)" + advice);
  }
  MN_TRY_ASSIGN(const auto stored, hash_at(height));
  if (!stored.has_value() || core::to_hex(*stored) != hash_hex) {
    return core::make_error(core::ErrorCode::kStorageCorrupt,
                            where + " holds another block at height " + std::to_string(height) +
                                " than the one this node committed" + advice);
  }
  return {};
}

std::vector<merkle::SmtUpdate> state_updates(const StateChanges& changed) {
  std::vector<merkle::SmtUpdate> updates;
  updates.reserve(changed.size());
  for (const auto& [tree_key, value] : changed) updates.push_back(merkle::SmtUpdate{tree_key, value});
  return updates;
}

// An empty state: what the genesis hooks write over.
class EmptyState final : public StateReader {
 public:
  core::Result<std::optional<core::Bytes>> get(const core::Hash32&) const override { return std::optional<core::Bytes>{}; }
};

}  // namespace

void ChainHead::encode(core::Writer& w) const {
  w.u64(height);
  w.array(block_hash);
  w.array(state_root);
  w.i64(timestamp_unix_ms);
  w.u64(base_fee_next);
}

core::Result<ChainHead> ChainHead::decode(core::Reader& r) {
  ChainHead h;
  MN_TRY_ASSIGN(h.height, r.u64());
  MN_TRY_ASSIGN(h.block_hash, r.array<32>());
  MN_TRY_ASSIGN(h.state_root, r.array<32>());
  MN_TRY_ASSIGN(h.timestamp_unix_ms, r.i64());
  MN_TRY_ASSIGN(h.base_fee_next, r.u64());
  return h;
}

void StoredBlock::encode(core::Writer& w) const {
  block.encode(w);
  commit.encode(w);
  w.bytes(finality, kFinalityBytesMax);
}

core::Result<StoredBlock> StoredBlock::decode(core::Reader& r) {
  StoredBlock s;
  MN_TRY_ASSIGN(s.block, Block::decode(r));
  MN_TRY_ASSIGN(s.commit, CommitCertificate::decode(r));
  MN_TRY_ASSIGN(s.finality, r.bytes(kFinalityBytesMax));
  return s;
}

core::Hash32 tx_root_of(const std::vector<Transaction>& txs) {
  std::vector<core::Hash32> leaves;
  leaves.reserve(txs.size());
  for (const auto& tx : txs) leaves.push_back(merkle::leaf_hash(tx.hash()));
  return merkle::root_of(leaves);
}

core::Hash32 receipts_root_of(const std::vector<Receipt>& receipts) {
  std::vector<core::Hash32> leaves;
  leaves.reserve(receipts.size());
  for (const auto& r : receipts) leaves.push_back(merkle::leaf_hash(r.hash()));
  return merkle::root_of(leaves);
}

Chain::Chain(std::unique_ptr<storage::CueDb> db, Genesis genesis, ModuleSet modules)
    : db_(std::move(db)),
      nodes_(std::make_unique<StateNodeCache>(*db_)),
      genesis_(std::move(genesis)),
      genesis_digest_(genesis_.digest()),
      validators_(genesis_.validator_keys()),
      executor_(std::move(modules)) {}

core::Result<std::optional<core::Bytes>> StateNodeCache::get_node(const core::Hash32& id) const {
  {
    std::lock_guard lock(mutex_);
    if (auto it = current_.find(id); it != current_.end()) return std::optional<core::Bytes>{it->second};
    if (auto it = previous_.find(id); it != previous_.end()) {
      core::Bytes node = std::move(it->second);
      previous_.erase(it);
      insert_locked(id, node);
      return std::optional<core::Bytes>{std::move(node)};
    }
  }
  MN_TRY_ASSIGN(auto node, base_.get_node(id));
  if (node) remember(id, *node);
  return node;
}

void StateNodeCache::remember(const core::Hash32& id, core::ByteView encoded) const {
  std::lock_guard lock(mutex_);
  insert_locked(id, core::Bytes(encoded.begin(), encoded.end()));
}

void StateNodeCache::insert_locked(const core::Hash32& id, core::Bytes encoded) const {
  if (current_.size() >= kNodesPerGenerationMax) {
    previous_ = std::move(current_);
    current_ = Nodes();
    current_.reserve(kNodesPerGenerationMax);
  }
  current_.try_emplace(id, std::move(encoded));
}

std::size_t StateNodeCache::size() const {
  std::lock_guard lock(mutex_);
  return current_.size() + previous_.size();
}

namespace {
// Writes state nodes into the block's batch and into the cache (harmless if the batch then
// fails: a node is correct for its id whether or not it was persisted).
class CachingNodeWriter final : public merkle::NodeWriter {
 public:
  CachingNodeWriter(storage::WriteBatch& batch, const StateNodeCache& cache) : batch_(batch), cache_(cache) {}
  void put_node(const core::Hash32& id, core::ByteView encoded) override {
    batch_.put_node(id, encoded);
    cache_.remember(id, encoded);
  }

 private:
  storage::WriteBatch& batch_;
  const StateNodeCache& cache_;
};
}  // namespace

core::Result<std::unique_ptr<Chain>> Chain::open(const std::filesystem::path& dir, const Genesis& genesis,
                                                 ModuleSet modules) {
  MN_TRY(genesis.validate());
  for (const auto& [name, section] : genesis.modules) {
    if (modules.find(name) == nullptr) {
      return core::make_error(core::ErrorCode::kGenesisInvalid, "the genesis file has a section for module '" + name +
                                                                    "', which this node does not run");
    }
  }
  storage::OpenOptions options;
  options.chain_id = genesis.chain_id;
  MN_TRY_ASSIGN(auto db, storage::CueDb::open(dir, options));
  std::unique_ptr<Chain> chain(new Chain(std::move(db), genesis, std::move(modules)));
  MN_TRY(chain->initialise_or_check_genesis());
  return chain;
}

core::Result<StoredBlock> Chain::genesis_block(const Genesis& genesis, const ModuleSet& modules,
                                               merkle::NodeWriter& out) {
  const EmptyState nothing;
  StateOverlay state(nothing);
  for (const auto& module : modules.all()) {
    ModuleState module_state(module->name(), state);
    if (auto st = module->init_genesis(genesis, module_state); !st.ok()) {
      return core::make_error(core::ErrorCode::kGenesisInvalid,
                              "module " + std::string(module->name()) + ": " + st.error().message);
    }
  }
  merkle::MemoryNodeStore empty;
  merkle::SparseMerkleTree tree(empty);
  const auto updates = state_updates(state.changes());
  MN_TRY_ASSIGN(const core::Hash32 state_root, tree.apply(merkle::SparseMerkleTree::empty_root(), updates, out));
  StoredBlock genesis_block;
  Header& h = genesis_block.block.header;
  h.height = 0;
  h.parent_hash = genesis.digest();  // block 0 (and so the chain) commits to the whole genesis
  h.timestamp_unix_ms = genesis.genesis_time_unix_ms;
  h.tx_root = merkle::root_of({});
  h.receipts_root = merkle::root_of({});
  h.state_root = state_root;
  h.validator_set_hash = genesis.validator_set_hash();
  h.base_fee = genesis.base_fee_initial;
  genesis_block.commit.height = 0;
  genesis_block.commit.block_hash = h.hash();
  return genesis_block;
}

core::Result<std::optional<ChainHead>> read_chain_head(const storage::CueDb& db) {
  MN_TRY_ASSIGN(auto stored, db.get(storage::Column::kMeta, core::as_bytes(kHeadKey)));
  if (!stored) return std::optional<ChainHead>{};
  auto head = core::decode<ChainHead>(*stored);
  if (!head.ok()) return core::make_error(core::ErrorCode::kStorageCorrupt, "stored chain head: " + head.error().to_string());
  return std::optional<ChainHead>{std::move(head).value()};
}

core::Status Chain::initialise_or_check_genesis() {
  MN_TRY_ASSIGN(auto stored_head, db_->get(storage::Column::kMeta, core::as_bytes(kHeadKey)));
  if (stored_head.has_value()) {
    auto head = core::decode<ChainHead>(*stored_head);
    if (!head.ok()) return corrupt("stored chain head: " + head.error().to_string());
    merkle::MemoryNodeStore scratch;
    MN_TRY_ASSIGN(const StoredBlock expected, genesis_block(genesis_, modules(), scratch));
    MN_TRY_ASSIGN(auto block0, block(0));
    if (!block0.has_value() || block0->block.hash() != expected.block.hash()) {
      return core::make_error(core::ErrorCode::kGenesisInvalid,
                              "data directory " + db_->dir().string() + " was created from another genesis file");
    }
    MN_TRY(check_head_mark(db_->dir(), *head, [this](std::uint64_t h) -> core::Result<std::optional<core::Hash32>> {
      MN_TRY_ASSIGN(auto stored, block(h));
      if (!stored.has_value()) return std::optional<core::Hash32>{};
      return std::optional<core::Hash32>{stored->block.hash()};
    }));
    std::lock_guard lock(head_mutex_);
    head_ = *head;
    return {};
  }
  storage::WriteBatch batch;
  MN_TRY_ASSIGN(const StoredBlock block0, genesis_block(genesis_, modules(), batch));
  const auto key = storage::height_key(0);
  batch.put(storage::Column::kBlocks, key, core::encode(block0));
  ChainHead head;
  head.height = 0;
  head.block_hash = block0.block.hash();
  head.state_root = block0.block.header.state_root;
  head.timestamp_unix_ms = block0.block.header.timestamp_unix_ms;
  head.base_fee_next = genesis_.base_fee_initial;
  batch.put(storage::Column::kMeta, core::as_bytes(kHeadKey), core::encode(head));
  MN_TRY(db_->write(std::move(batch), /*sync=*/true));
  if (!db_->read_only()) write_head_mark(db_->dir(), head);
  std::lock_guard lock(head_mutex_);
  head_ = head;
  return {};
}

ChainHead Chain::head() const {
  std::lock_guard lock(head_mutex_);
  return head_;
}

core::Result<std::optional<core::Bytes>> Chain::get(const core::Hash32& tree_key) const {
  core::Hash32 root;
  std::uint64_t height = 0;
  {
    std::lock_guard lock(head_mutex_);
    if (auto it = state_cache_.find(tree_key); it != state_cache_.end()) return it->second;
    root = head_.state_root;
    height = head_.height;
  }
  MN_TRY_ASSIGN(auto value, StateAtRoot(*nodes_, root).get(tree_key));
  std::lock_guard lock(head_mutex_);
  if (head_.height == height) {  // still the head it was read at: safe to cache
    if (state_cache_.size() >= kStateCacheEntriesMax) state_cache_.clear();
    state_cache_.emplace(tree_key, value);
  }
  return value;
}

core::Result<Account> Chain::account(const crypto::Address& address) const {
  const core::Hash32 tree_key = account_tree_key(address);
  {
    // The hot path (admission and proposals read the senders' accounts): decode straight from
    // the cached bytes instead of copying them out first.
    std::lock_guard lock(head_mutex_);
    if (auto it = state_cache_.find(tree_key); it != state_cache_.end()) return decode_account(it->second, address);
  }
  MN_TRY_ASSIGN(const auto value, get(tree_key));
  return decode_account(value, address);
}

core::Result<StateRecord> Chain::entry_with_proof(std::string_view module, core::ByteView key,
                                                  std::optional<std::uint64_t> height) const {
  if (key.size() > kStateKeyBytesMax) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "a state key is at most " +
                                                                   std::to_string(kStateKeyBytesMax) + " bytes");
  }
  if (!is_valid_name(module, kModuleNameBytesMax)) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "module name is not 1-32 of [a-z0-9_]");
  }
  StateRecord record;
  record.module = std::string(module);
  record.key.assign(key.begin(), key.end());
  record.tree_key = state_tree_key(module, key);
  const ChainHead h = head();
  if (height.has_value() && *height != h.height) {
    if (*height > h.height) {
      return core::make_error(core::ErrorCode::kNotFound, "height " + std::to_string(*height) +
                                                              " is beyond the head " + std::to_string(h.height));
    }
    MN_TRY_ASSIGN(auto stored, block(*height));
    if (!stored.has_value()) return corrupt("block " + std::to_string(*height) + " is missing");
    record.height = *height;
    record.state_root = stored->block.header.state_root;
  } else {
    record.height = h.height;
    record.state_root = h.state_root;
  }
  merkle::SparseMerkleTree tree(*nodes_);
  MN_TRY_ASSIGN(record.value, tree.get(record.state_root, record.tree_key));
  MN_TRY_ASSIGN(record.proof, tree.prove(record.state_root, record.tree_key));
  return record;
}

core::Result<AccountRecord> Chain::account_with_proof(const crypto::Address& address,
                                                      std::optional<std::uint64_t> height) const {
  MN_TRY_ASSIGN(StateRecord entry, entry_with_proof(kAccountsModule, address.bytes, height));
  AccountRecord record;
  record.height = entry.height;
  record.state_root = entry.state_root;
  record.tree_key = entry.tree_key;
  record.proof = std::move(entry.proof);
  if (entry.value.has_value()) {
    auto account = core::decode<Account>(*entry.value);
    if (!account.ok()) return core::make_error(core::ErrorCode::kStateCorrupt, account.error().to_string());
    record.account = *account;
    record.exists = true;
  }
  return record;
}

core::Result<std::optional<Header>> Chain::header(std::uint64_t height) const {
  MN_TRY_ASSIGN(auto bytes, db_->get(storage::Column::kBlocks, storage::height_key(height)));
  if (!bytes.has_value()) return std::optional<Header>{};
  core::Reader r(*bytes);
  auto h = Header::decode(r);
  if (!h.ok() || h->height != height) return corrupt("block " + std::to_string(height) + "'s header does not decode");
  return std::optional<Header>{std::move(h).value()};
}

core::Result<std::optional<core::Hash32>> Chain::block_hash(std::uint64_t height) const {
  {
    std::lock_guard lock(head_mutex_);
    if (const auto it = recent_hashes_.find(height); it != recent_hashes_.end()) return std::optional<core::Hash32>{it->second};
  }
  MN_TRY_ASSIGN(auto bytes, db_->get(storage::Column::kBlocks, storage::height_key(height)));
  if (!bytes.has_value()) return std::optional<core::Hash32>{};
  core::Reader r(*bytes);
  auto header = Header::decode(r);  // the stored block starts with its header
  if (!header.ok() || header->height != height) return corrupt("block " + std::to_string(height) + " has no readable header");
  return std::optional<core::Hash32>{header->hash()};
}

core::Result<std::optional<StoredBlock>> Chain::block(std::uint64_t height) const {
  MN_TRY_ASSIGN(auto bytes, db_->get(storage::Column::kBlocks, storage::height_key(height)));
  if (!bytes.has_value()) return std::optional<StoredBlock>{};
  auto stored = core::decode<StoredBlock>(*bytes);
  if (!stored.ok()) return corrupt("block " + std::to_string(height) + " does not decode: " + stored.error().to_string());
  if (stored->block.header.height != height || stored->commit.height != height ||
      stored->commit.block_hash != stored->block.hash()) {
    return corrupt("block " + std::to_string(height) + " fails its hash check");
  }
  if (stored->block.header.tx_root != tx_root_of(stored->block.txs)) {
    return corrupt("block " + std::to_string(height) + " transactions do not match its tx root");
  }
  return std::optional<StoredBlock>{std::move(stored).value()};
}

core::Result<std::vector<Receipt>> Chain::receipts(std::uint64_t height) const {
  std::vector<Receipt> out;
  core::Status decode_status;
  const auto prefix = storage::height_key(height);
  MN_TRY(db_->for_each_prefix(storage::Column::kReceipts, prefix, [&](core::ByteView, core::ByteView value) {
    auto r = core::decode<Receipt>(value);
    if (!r.ok()) {
      decode_status = corrupt("receipt at height " + std::to_string(height) + ": " + r.error().to_string());
      return false;
    }
    out.push_back(std::move(r).value());
    return true;
  }));
  MN_TRY(decode_status);
  return out;
}

core::Result<std::optional<TxRecord>> Chain::find_tx(const core::Hash32& tx_hash) const {
  MN_TRY_ASSIGN(auto location, db_->get(storage::Column::kTxIndex, tx_hash));
  if (!location.has_value()) return std::optional<TxRecord>{};
  core::Reader r(*location);
  MN_TRY_ASSIGN(const std::uint64_t height, r.u64());
  MN_TRY_ASSIGN(const std::uint32_t index, r.u32());
  MN_TRY_ASSIGN(auto stored, block(height));
  if (!stored.has_value() || index >= stored->block.txs.size()) return corrupt("tx index points at a missing block");
  MN_TRY_ASSIGN(auto receipt_bytes, db_->get(storage::Column::kReceipts, receipt_key(height, index)));
  if (!receipt_bytes.has_value()) return corrupt("receipt missing for an indexed transaction");
  MN_TRY_ASSIGN(Receipt receipt, core::decode<Receipt>(*receipt_bytes));
  TxRecord record;
  record.tx = stored->block.txs[index];
  record.receipt = std::move(receipt);
  record.height = height;
  record.index = index;
  record.tx_root = stored->block.header.tx_root;
  std::vector<core::Hash32> leaves;
  for (const auto& tx : stored->block.txs) leaves.push_back(merkle::leaf_hash(tx.hash()));
  MN_TRY_ASSIGN(record.proof, merkle::inclusion_proof(leaves, index));
  return std::optional<TxRecord>{std::move(record)};
}

core::Result<ProducedBlock> Chain::produce_block(std::vector<Transaction> candidates, std::int64_t now_unix_ms,
                                                 const crypto::KeyPair& proposer, bool signatures_verified) {
  return build_and_store(std::move(candidates), now_unix_ms, proposer.public_key(), &proposer, {}, signatures_verified);
}

core::Result<ProducedBlock> Chain::apply_committed(std::vector<Transaction> txs, std::int64_t timestamp_unix_ms,
                                                   const crypto::PublicKey& proposer, core::Bytes finality,
                                                   bool signatures_verified) {
  if (finality.empty() || finality.size() > kFinalityBytesMax) {
    return core::make_error(core::ErrorCode::kInvalidArgument, "a committed block needs a finality proof");
  }
  return build_and_store(std::move(txs), timestamp_unix_ms, proposer, nullptr, std::move(finality), signatures_verified);
}

core::Result<ProducedBlock> Chain::build_and_store(std::vector<Transaction> candidates, std::int64_t now_unix_ms,
                                                   const crypto::PublicKey& proposer, const crypto::KeyPair* signer,
                                                   core::Bytes finality, bool signatures_verified) {
  const ChainHead parent = head();
  BlockContext params;
  params.chain = binding();
  params.height = parent.height + 1;
  // Block time never goes backwards, even if the wall clock does.
  params.timestamp_unix_ms = std::max(now_unix_ms, parent.timestamp_unix_ms + 1);
  params.base_fee = parent.base_fee_next;
  params.proposer = crypto::Address::from_public_key(proposer);
  params.verify_signatures = !signatures_verified;
  // The head is the parent while we build (single producer), so the cached head state serves.
  const StateReader& state = *this;
  MN_TRY_ASSIGN(ExecutionResult executed, executor_.execute(state, std::move(candidates), params, ExecutionMode::kBuild));

  storage::WriteBatch batch;
  merkle::SparseMerkleTree tree(*nodes_);
  const auto updates = state_updates(executed.changed);
  CachingNodeWriter node_writer(batch, *nodes_);
  MN_TRY_ASSIGN(const core::Hash32 state_root, tree.apply(parent.state_root, updates, node_writer));

  ProducedBlock produced;
  StoredBlock& stored = produced.stored;
  Header& h = stored.block.header;
  h.height = parent.height + 1;
  h.parent_hash = parent.block_hash;
  h.timestamp_unix_ms = params.timestamp_unix_ms;
  h.proposer = proposer;
  // Each receipt carries its transaction's hash: build the tx root from those rather than
  // re-encoding and re-hashing every transaction of the block.
  std::vector<core::Hash32> tx_leaves;
  tx_leaves.reserve(executed.receipts.size());
  for (const auto& receipt : executed.receipts) tx_leaves.push_back(merkle::leaf_hash(receipt.tx_hash));
  h.tx_root = merkle::root_of(tx_leaves);
  h.receipts_root = receipts_root_of(executed.receipts);
  h.state_root = state_root;
  h.validator_set_hash = genesis_.validator_set_hash();
  h.base_fee = params.base_fee;
  h.tx_count = static_cast<std::uint32_t>(executed.txs.size());
  stored.block.txs = std::move(executed.txs);
  stored.commit.height = h.height;
  stored.commit.block_hash = h.hash();
  if (signer != nullptr) {
    stored.commit.signatures.push_back(
        crypto::SignerSignature{signer->public_key(), signer->sign_digest(stored.commit.signing_digest(genesis_digest_))});
  }
  stored.finality = std::move(finality);
  // A single producer's signature is the block's certificate at once (quorum 1): stored where a
  // consensus block's gathered certificate goes, so readers look in one place.
  if (signer != nullptr) batch.put(storage::Column::kMeta, certificate_key(h.height), core::encode(stored.commit));

  batch.put(storage::Column::kBlocks, storage::height_key(h.height), core::encode(stored));
  for (std::uint32_t i = 0; i < stored.block.txs.size(); ++i) {
    core::Writer location(12);
    location.u64(h.height);
    location.u32(i);
    batch.put(storage::Column::kTxIndex, executed.receipts[i].tx_hash, location.data());
    batch.put(storage::Column::kReceipts, receipt_key(h.height, i), core::encode(executed.receipts[i]));
  }
  ChainHead next;
  next.height = h.height;
  next.block_hash = stored.commit.block_hash;
  next.state_root = state_root;
  next.timestamp_unix_ms = h.timestamp_unix_ms;
  next.base_fee_next = modules().accounts().base_fee_next(h.base_fee, h.tx_count, genesis_);
  batch.put(storage::Column::kMeta, core::as_bytes(kHeadKey), core::encode(next));
  MN_TRY(db_->write(std::move(batch), /*sync=*/true));
  write_head_mark(db_->dir(), next);
  {
    std::lock_guard lock(head_mutex_);
    head_ = next;
    recent_hashes_[next.height] = next.block_hash;
    if (recent_hashes_.size() > kRecentHashesMax) recent_hashes_.erase(recent_hashes_.begin());
    if (state_cache_.size() + executed.changed.size() > kStateCacheEntriesMax) state_cache_.clear();
    for (auto& [tree_key, value] : executed.changed) state_cache_.insert_or_assign(tree_key, std::move(value));
  }
  produced.receipts = std::move(executed.receipts);
  produced.rejected = std::move(executed.rejected);
  return produced;
}

core::Result<std::optional<CommitCertificate>> Chain::stored_certificate(std::uint64_t height) const {
  MN_TRY_ASSIGN(auto bytes, db_->get(storage::Column::kMeta, certificate_key(height)));
  if (!bytes.has_value()) return std::optional<CommitCertificate>{};
  auto cert = core::decode<CommitCertificate>(*bytes);
  if (!cert.ok() || cert->height != height) {
    return corrupt("header certificate of block " + std::to_string(height) + " does not decode");
  }
  return std::optional<CommitCertificate>{std::move(cert).value()};
}

core::Result<std::optional<CommitCertificate>> Chain::certificate(std::uint64_t height) const {
  // One place for every certificate: a single producer stores its own beside the block too.
  return stored_certificate(height);
}

core::Status Chain::store_certificate(const CommitCertificate& cert, bool signatures_verified) {
  MN_TRY_ASSIGN(const auto held, block_hash(cert.height));
  if (!held.has_value()) {
    return core::make_error(core::ErrorCode::kNotFound, "no block " + std::to_string(cert.height) + " to certify");
  }
  if (!signatures_verified) {
    std::vector<crypto::PublicKey> validators = validators_;
    if (validators_at_) {
      MN_TRY_ASSIGN(validators, validators_at_(cert.height));
    }
    MN_TRY(verify_commit(cert, genesis_digest_, validators, quorum_of(validators.size())));
  }
  if (*held != cert.block_hash) {
    return core::make_error(core::ErrorCode::kStateCorrupt,
                            "a quorum of validators certified block " + std::to_string(cert.height) + " as " +
                                core::to_hex(cert.block_hash) + "; this node holds " + core::to_hex(*held));
  }
  storage::WriteBatch batch;
  batch.put(storage::Column::kMeta, certificate_key(cert.height), core::encode(cert));
  // Not synced: a certificate lost in a crash is gathered again from the peers.
  return db_->write(std::move(batch), /*sync=*/false);
}

// Every stored tree node written at `at` (by id) must be the node recomputed there, byte for byte.
core::Status Chain::check_stored_nodes(const std::string& at, const merkle::MemoryNodeStore& recomputed,
                                       const std::vector<core::Hash32>& ids) const {
  for (const auto& id : ids) {
    auto stored = db_->get(storage::Column::kStateNodes, core::ByteView(id));
    if (!stored.ok()) return corrupt(at + "column state_nodes: " + stored.error().message);
    const std::string node = "stored state node " + core::to_hex(id).substr(0, 16) + " (column state_nodes)";
    if (!stored->has_value()) return corrupt(at + node + " is missing");
    MN_TRY_ASSIGN(const auto expected, recomputed.get_node(id));
    if (**stored != *expected) return corrupt(at + node + " differs from the recomputed one");
  }
  return {};
}

// The transaction index and the stored receipts of one block, against what re-execution gave.
core::Status Chain::check_stored_index(const std::string& at, std::uint64_t height, const std::vector<Transaction>& txs,
                                       const std::vector<Receipt>& receipts) const {
  for (std::uint32_t i = 0; i < txs.size(); ++i) {
    const std::string tx = "transaction " + std::to_string(i);
    auto location = db_->get(storage::Column::kTxIndex, receipts[i].tx_hash);
    if (!location.ok()) return corrupt(at + "column tx_index: " + location.error().message);
    core::Writer expected(12);
    expected.u64(height);
    expected.u32(i);
    if (!location->has_value() || **location != expected.data()) {
      return corrupt(at + tx + ": its entry in the transaction index (column tx_index) is missing or names another place");
    }
    auto receipt = db_->get(storage::Column::kReceipts, receipt_key(height, i));
    if (!receipt.ok()) return corrupt(at + "column receipts: " + receipt.error().message);
    if (!receipt->has_value() || **receipt != core::encode(receipts[i])) {
      return corrupt(at + tx + ": its stored receipt (column receipts) is missing or differs from the recomputed one");
    }
  }
  return {};
}

core::Result<std::uint64_t> Chain::verify_all(const FinalityCheck& finality_check) const {
  const ChainHead last = head();
  merkle::MemoryNodeStore nodes;
  RecordingNodeWriter recorder(nodes);
  MN_TRY_ASSIGN(const StoredBlock expected0, genesis_block(genesis_, modules(), recorder));
  MN_TRY(check_stored_nodes("block 0: ", nodes, recorder.take()));
  MN_TRY_ASSIGN(auto block0, block(0));
  if (!block0.has_value() || block0->block.hash() != expected0.block.hash()) return corrupt("block 0 is not the genesis");
  core::Hash32 parent_hash = expected0.block.hash();
  core::Hash32 state_root = expected0.block.header.state_root;
  std::int64_t parent_timestamp = expected0.block.header.timestamp_unix_ms;
  std::uint64_t base_fee = genesis_.base_fee_initial;
  const core::Hash32 validator_set_hash = genesis_.validator_set_hash();
  for (std::uint64_t height = 1; height <= last.height; ++height) {
    MN_TRY_ASSIGN(auto stored, block(height));
    if (!stored.has_value()) return corrupt("block " + std::to_string(height) + " is missing");
    const Header& h = stored->block.header;
    const std::string at = "block " + std::to_string(height) + ": ";
    if (h.parent_hash != parent_hash) return corrupt(at + "parent hash does not link");
    if (h.height != height) return corrupt(at + "header names height " + std::to_string(h.height));
    // Block time never goes backwards (a consensus chain's exact rule is the finality check's).
    if (h.timestamp_unix_ms <= parent_timestamp) return corrupt(at + "timestamp is not after the parent's");
    if (h.base_fee != base_fee) return corrupt(at + "base fee differs from the fee rule");
    if (h.validator_set_hash != validator_set_hash) return corrupt(at + "validator set hash differs from the genesis's");
    if (h.tx_count != stored->block.txs.size()) return corrupt(at + "tx_count differs from the transactions it holds");
    if (h.tx_root != tx_root_of(stored->block.txs)) return corrupt(at + "transaction root differs");
    if (stored->commit.height != height || stored->commit.block_hash != stored->block.hash()) {
      return corrupt(at + "commit names another block");
    }
    if (!stored->finality.empty()) {
      if (!finality_check) return corrupt(at + "carries a consensus finality proof and no consensus verifier was given");
      if (auto st = finality_check(*stored); !st.ok()) return corrupt(at + st.error().message);
    } else if (auto st = verify_commit(stored->commit, genesis_digest_, validators_, quorum_of(validators_.size()));
               !st.ok()) {
      return corrupt(at + st.error().message);
    }
    // A header certificate gathered after the block was applied, when there is one.
    MN_TRY_ASSIGN(const auto certificate, stored_certificate(height));
    if (certificate.has_value() && *certificate != stored->commit) {  // a single producer's: checked above
      if (certificate->block_hash != stored->block.hash()) return corrupt(at + "header certificate names another block");
      std::vector<crypto::PublicKey> validators = validators_;
      if (validators_at_) {
        auto at_height = validators_at_(height);
        if (!at_height.ok()) return corrupt(at + "no validator set: " + at_height.error().message);
        validators = std::move(*at_height);
      }
      if (auto st = verify_commit(*certificate, genesis_digest_, validators, quorum_of(validators.size())); !st.ok()) {
        return corrupt(at + "header certificate: " + st.error().message);
      }
    }
    BlockContext params;
    params.chain = binding();
    params.height = h.height;
    params.timestamp_unix_ms = h.timestamp_unix_ms;
    params.base_fee = h.base_fee;
    params.proposer = crypto::Address::from_public_key(h.proposer);
    StateAtRoot state(nodes, state_root);
    auto executed = executor_.execute(state, stored->block.txs, params, ExecutionMode::kVerify);
    if (!executed.ok()) return corrupt(at + executed.error().message);
    if (receipts_root_of(executed->receipts) != h.receipts_root) return corrupt(at + "receipts root differs");
    merkle::SparseMerkleTree tree(nodes);
    const auto updates = state_updates(executed->changed);
    // Content-addressed nodes: adding the new ones never changes what apply() reads.
    MN_TRY_ASSIGN(state_root, tree.apply(state_root, updates, recorder));
    if (state_root != h.state_root) return corrupt(at + "recomputed state root differs from the stored one");
    // What the node stored for this block, byte for byte: its tree nodes, index and receipts.
    MN_TRY(check_stored_nodes(at, nodes, recorder.take()));
    MN_TRY(check_stored_index(at, height, stored->block.txs, executed->receipts));
    parent_hash = stored->block.hash();
    parent_timestamp = h.timestamp_unix_ms;
    base_fee = modules().accounts().base_fee_next(h.base_fee, h.tx_count, genesis_);
  }
  if (parent_hash != last.block_hash || state_root != last.state_root) return corrupt("chain head does not match the last block");
  return last.height;
}

}  // namespace metanode::ledger
