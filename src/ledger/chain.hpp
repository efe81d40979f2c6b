// The chain on disk: blocks, transactions, receipts and keyed module state in CueDB, with the
// state in a sparse Merkle tree. A block is visible only after its one atomic, synced batch (block,
// tx index, receipts, state nodes, head) is written, so a crash at any instant leaves either
// the whole block or none of it.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "crypto/ed25519.hpp"
#include "ledger/account.hpp"
#include "ledger/block.hpp"
#include "ledger/executor.hpp"
#include "ledger/genesis.hpp"
#include "ledger/module.hpp"
#include "ledger/state.hpp"
#include "merkle/merkle_tree.hpp"
#include "merkle/sparse_merkle_tree.hpp"
#include "storage/cue_db.hpp"

namespace metanode::ledger {

struct ChainHead {
  std::uint64_t height = 0;
  core::Hash32 block_hash{};
  core::Hash32 state_root{};
  std::int64_t timestamp_unix_ms = 0;
  std::uint64_t base_fee_next = 0;  // the base fee of the next block

  bool operator==(const ChainHead&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<ChainHead> decode(core::Reader& r);
};

// The head stored in a chain's database, read without opening the chain (offline tools on a
// stopped node's data directory); nullopt for a database no block was ever written to.
core::Result<std::optional<ChainHead>> read_chain_head(const storage::CueDb& db);

// A finality proof holds a consensus block (with its payload) and a certificate.
inline constexpr std::size_t kFinalityBytesMax = 20u << 20;

struct StoredBlock {
  Block block;
  // Single producer: the producer's signature over the block hash. Under BFT consensus its
  // signature list is empty and `finality` carries the proof instead.
  CommitCertificate commit;
  // The consensus layer's proof that this block is final (opaque here: the node layer encodes
  // the consensus block whose payload this block executed, and the quorum certificate).
  core::Bytes finality;

  void encode(core::Writer& w) const;
  static core::Result<StoredBlock> decode(core::Reader& r);
};

struct TxRecord {
  Transaction tx;
  Receipt receipt;
  std::uint64_t height = 0;
  std::uint32_t index = 0;
  core::Hash32 tx_root{};
  merkle::InclusionProof proof;  // leaf = merkle::leaf_hash(tx hash), in the block's tx_root
};

// One module entry (or its absence) at one height, with its proof against that block's state root.
struct StateRecord {
  std::string module;
  core::Bytes key;
  core::Hash32 tree_key{};  // state_tree_key(module, key): the key the proof is for
  std::optional<core::Bytes> value;
  std::uint64_t height = 0;
  core::Hash32 state_root{};
  merkle::SmtProof proof;  // of tree_key holding value (or absent)
};

struct AccountRecord {
  Account account;
  bool exists = false;
  std::uint64_t height = 0;
  core::Hash32 state_root{};
  core::Hash32 tree_key{};  // account_tree_key(address)
  merkle::SmtProof proof;  // of tree_key, value = encoded account (or absence)
};

struct ProducedBlock {
  StoredBlock stored;
  std::vector<Receipt> receipts;
  std::vector<std::pair<core::Hash32, core::Error>> rejected;
};

// Recently written and read state-tree nodes in memory, in front of CueDB. Nodes are
// content-addressed (the id is the hash of the bytes), so a cached node is never stale.
// Thread-safe. Bounded by count in two generations: when the current one is full it becomes the
// previous one (the one before is dropped), and a node read from the previous generation moves
// back into the current one. Every block rewrites the paths it touches, so most cached nodes
// soon belong to no current tree: dropping the whole cache when full would also drop the live
// tree, and the blocks after it would read their paths from disk; the generations keep what is
// still being read.
class StateNodeCache final : public merkle::NodeReader {
 public:
  static constexpr std::size_t kNodesPerGenerationMax = std::size_t{1} << 18;

  explicit StateNodeCache(const merkle::NodeReader& base) : base_(base) { current_.reserve(kNodesPerGenerationMax); }
  core::Result<std::optional<core::Bytes>> get_node(const core::Hash32& id) const override;
  void remember(const core::Hash32& id, core::ByteView encoded) const;
  // Nodes held in memory (both generations); for tests and metrics.
  std::size_t size() const;

 private:
  using Nodes = std::unordered_map<core::Hash32, core::Bytes, merkle::NodeIdHasher, merkle::NodeIdEqual>;
  void insert_locked(const core::Hash32& id, core::Bytes encoded) const;

  const merkle::NodeReader& base_;
  mutable std::mutex mutex_;
  mutable Nodes current_;
  mutable Nodes previous_;
};

class Chain final : public StateReader, public AccountReader {
 public:
  // Opens (or creates, writing block 0 from `genesis` through the modules' genesis hooks) the
  // chain under `dir`. Refuses a directory that holds another chain or another genesis.
  static core::Result<std::unique_ptr<Chain>> open(const std::filesystem::path& dir, const Genesis& genesis,
                                                   ModuleSet modules);

  const Genesis& genesis() const { return genesis_; }
  const ModuleSet& modules() const { return executor_.modules(); }
  ChainHead head() const;

  // Keyed state at the head, through the head-state cache.
  core::Result<std::optional<core::Bytes>> get(const core::Hash32& tree_key) const override;
  // Account state at the head (absent accounts read as zero).
  core::Result<Account> account(const crypto::Address& address) const override;
  // At the head, or at `height` (any stored height: kNotFound beyond the head).
  core::Result<AccountRecord> account_with_proof(const crypto::Address& address,
                                                 std::optional<std::uint64_t> height = std::nullopt) const;
  // A module entry with its proof, at the head or at `height` (kNotFound beyond the head;
  // kInvalidArgument for a key over kStateKeyBytesMax).
  core::Result<StateRecord> entry_with_proof(std::string_view module, core::ByteView key,
                                             std::optional<std::uint64_t> height = std::nullopt) const;

  // kBlockCorrupt when the stored bytes do not decode or do not hash to what they claim.
  core::Result<std::optional<StoredBlock>> block(std::uint64_t height) const;
  // Only the header of block `height` (the stored block begins with it): for answers that need
  // the header and not the transactions, without decoding and re-hashing every transaction.
  // The header's integrity is what its certificate proves. kBlockCorrupt when it does not decode.
  core::Result<std::optional<Header>> header(std::uint64_t height) const;
  // The header certificate of block `height`: a quorum of the genesis validators' signatures
  // over its hash (verify_header checks one with only the genesis). nullopt while not gathered.
  core::Result<std::optional<CommitCertificate>> certificate(std::uint64_t height) const;
  // The validators of a height, when the set changes over time (node/validator_sets.hpp); by
  // default genesis's. Header certificates stored unverified are checked with these.
  using ValidatorsAt = std::function<core::Result<std::vector<crypto::PublicKey>>(std::uint64_t height)>;
  void set_validators_at(ValidatorsAt f) { validators_at_ = std::move(f); }
  // Stores a block's header certificate after checking it against the genesis validators
  // (kBlockInvalid; skipped when the caller verified every signature) and the block this node
  // holds at that height: kStateCorrupt when a valid quorum certified another block, i.e. this
  // node's chain is not the network's.
  core::Status store_certificate(const CommitCertificate& cert, bool signatures_verified = false);
  // The hash of the block this node holds at `height` (nullopt when none): from the recent
  // blocks' hashes kept in memory, else from the stored block's header alone (no transaction is
  // decoded).
  core::Result<std::optional<core::Hash32>> block_hash(std::uint64_t height) const;
  // Genesis::digest() of this chain's genesis: what every header signature is bound to.
  const core::Hash32& genesis_digest() const { return genesis_digest_; }
  // The chain id and genesis digest a transaction must carry and sign to be valid here.
  ChainBinding binding() const { return {genesis_.chain_id, genesis_digest_}; }
  core::Result<std::optional<TxRecord>> find_tx(const core::Hash32& tx_hash) const;
  core::Result<std::vector<Receipt>> receipts(std::uint64_t height) const;

  // Executes the candidates (invalid ones are left out and reported), persists the block with
  // `proposer`'s commit signature (synced) and advances the head. Single-producer: callers
  // serialise calls.
  core::Result<ProducedBlock> produce_block(std::vector<Transaction> candidates, std::int64_t now_unix_ms,
                                            const crypto::KeyPair& proposer, bool signatures_verified);

  // Consensus: executes the transactions of a committed consensus payload on the head (invalid
  // ones are left out and reported, the same way on every node) and persists the block with
  // `finality`. Deterministic: every node that applies the same payload on the same head gets
  // the same block hash.
  core::Result<ProducedBlock> apply_committed(std::vector<Transaction> txs, std::int64_t timestamp_unix_ms,
                                              const crypto::PublicKey& proposer, core::Bytes finality,
                                              bool signatures_verified);

  // Checks a block's `finality` proof (the consensus layer supplies it; called in height order).
  using FinalityCheck = std::function<core::Status(const StoredBlock&)>;

  // Re-executes every block from genesis in memory and checks links, roots and commits against
  // what is stored, and every stored byte it recomputes: each block's tree nodes, transaction
  // index entries and receipts (block_corrupt naming the block and the column). Blocks with a
  // finality proof need `finality_check`. Returns the number of blocks checked.
  core::Result<std::uint64_t> verify_all(const FinalityCheck& finality_check = {}) const;

  storage::CueDb& db() { return *db_; }

 private:
  Chain(std::unique_ptr<storage::CueDb> db, Genesis genesis, ModuleSet modules);
  core::Status initialise_or_check_genesis();
  // verify_all's checks of what is stored against what re-execution recomputed.
  core::Status check_stored_nodes(const std::string& at, const merkle::MemoryNodeStore& recomputed,
                                  const std::vector<core::Hash32>& ids) const;
  core::Status check_stored_index(const std::string& at, std::uint64_t height, const std::vector<Transaction>& txs,
                                  const std::vector<Receipt>& receipts) const;
  core::Result<ProducedBlock> build_and_store(std::vector<Transaction> candidates, std::int64_t timestamp_unix_ms,
                                              const crypto::PublicKey& proposer, const crypto::KeyPair* signer,
                                              core::Bytes finality, bool signatures_verified);
  static core::Result<StoredBlock> genesis_block(const Genesis& genesis, const ModuleSet& modules,
                                                 merkle::NodeWriter& out);
  core::Result<std::optional<CommitCertificate>> stored_certificate(std::uint64_t height) const;

  std::unique_ptr<storage::CueDb> db_;
  std::unique_ptr<StateNodeCache> nodes_;
  Genesis genesis_;
  core::Hash32 genesis_digest_;
  std::vector<crypto::PublicKey> validators_;
  ValidatorsAt validators_at_;
  Executor executor_;
  mutable std::mutex head_mutex_;
  // Hashes of the newest blocks applied here (head_mutex_): a certificate gathered for one is
  // checked against it without reading the block back.
  static constexpr std::size_t kRecentHashesMax = 1'024;
  std::map<std::uint64_t, core::Hash32> recent_hashes_;
  ChainHead head_;
  // State entries at the head (accounts above all), so admission, proposals and execution do
  // not walk the state tree on disk for every transaction. Written through on every block under
  // head_mutex_; a value read from the tree is cached only if the head did not move meanwhile.
  // Bounded: cleared when full.
  static constexpr std::size_t kStateCacheEntriesMax = 1 << 20;
  mutable std::unordered_map<core::Hash32, std::optional<core::Bytes>, merkle::NodeIdHasher, merkle::NodeIdEqual>
      state_cache_;
};

// Roots committed in a header.
core::Hash32 tx_root_of(const std::vector<Transaction>& txs);
core::Hash32 receipts_root_of(const std::vector<Receipt>& receipts);

}  // namespace metanode::ledger
