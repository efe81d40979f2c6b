// The auction mempool: pending transactions waiting for a block, ordered for proposals by the tip
// each actually pays over the protocol base fee (its bid, capped by what its max fee leaves)
// while keeping each sender's nonce order; one whose max fee no longer covers the base fee waits. It is policy,
// not consensus (CONVENTIONS.md): it decides what this node holds and proposes, never what a
// block may contain. Sans-IO and deterministic: no threads, clocks or randomness; the node
// serialises calls (one mutex) and reads committed state through an AccountReader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/address.hpp"
#include "ledger/account.hpp"
#include "ledger/module.hpp"
#include "ledger/transaction.hpp"

namespace metanode::mempool {

struct MempoolConfig {
  ledger::ChainBinding chain;  // the chain id transactions carry and the genesis digest they sign
  // The chain's modules: admission runs each payload's module checks (a set without a module
  // for a payload refuses it with tx_unknown_payload).
  ledger::ModuleSet modules;
  std::size_t count_max = 100'000;              // transactions held, all senders together
  std::size_t bytes_max = 64 * 1024 * 1024;     // encoded bytes held, signatures included
  std::size_t per_sender_max = 1'000;           // transactions held for one sender
  std::uint64_t bid_min = 0;                    // the smallest bid admitted
  std::uint32_t replace_bump_percent = 10;      // a replacement bids at least this much more
  std::uint64_t nonce_ahead_max = 1'000;        // how far beyond the account nonce a tx may be
};

// A replacement (same sender and nonce) needs new_bid * 100 >= old_bid * (100 + bump) and
// new_bid > old_bid: the bump makes each replacement cost the sender, so replacements cannot
// churn the pool (and the gossip network) for free; the strict inequality covers old_bid 0.
bool replacement_bid_sufficient(std::uint64_t old_bid, std::uint64_t new_bid, std::uint32_t bump_percent);

struct AdmitResult {
  core::Hash32 hash{};                  // the admitted transaction
  std::vector<core::Hash32> evicted;    // pushed out to make room: the node tells their submitters
  std::optional<core::Hash32> replaced; // the same sender+nonce transaction this one replaced
};

struct BidLevel {
  std::uint64_t bid = 0;
  std::size_t count = 0;  // pending transactions bidding exactly `bid`
  bool operator==(const BidLevel&) const = default;
};

// Hashes of transactions are BLAKE3 outputs, so their first 8 bytes are already uniform. A
// sender could grind memos to crowd one bucket, but each try costs a BLAKE3 evaluation per
// bucket count and the per-sender quota caps what one key can hold.
struct Hash32Hasher {
  std::size_t operator()(const core::Hash32& hash) const noexcept;
};

class AuctionMempool {
 public:
  // Most transactions a single admission may evict. A transaction is at most
  // ledger::kTxBytesMax, so making room never needs more than a few dozen minimal transactions;
  // past this bound the admission is refused as kMempoolFull rather than doing unbounded work.
  static constexpr std::size_t kEvictionsPerAdmitMax = 64;

  explicit AuctionMempool(MempoolConfig config);
  // Indexes point into entries_: a copy would point into the original, so none is allowed.
  // Moving keeps the nodes (and so the pointers) of the node-based containers.
  AuctionMempool(const AuctionMempool&) = delete;
  AuctionMempool& operator=(const AuctionMempool&) = delete;
  AuctionMempool(AuctionMempool&&) noexcept = default;
  AuctionMempool& operator=(AuctionMempool&&) noexcept = default;

  // Admits a transaction or says precisely why not. Pass signature_verified = true only when the
  // caller verified the signatures of exactly this transaction already, and stateless_checked =
  // true only when it ran the module set's stateless checks on it (node::TxPool's stateless stage
  // does both). On an error nothing changed; on success the result names what was replaced or
  // evicted.
  core::Result<AdmitResult> admit(ledger::Transaction tx, const ledger::AccountReader& state, std::uint64_t base_fee,
                                  bool signature_verified = false, bool stateless_checked = false);

  // The best transactions for a block: highest tip actually paid first (min(bid, max_fee -
  // base_fee): a bid the max fee cannot pay buys nothing) among each sender's next includable
  // transaction (its chain must start exactly at the account nonce and be contiguous), ties by
  // transaction hash ascending. A transaction whose max_fee does not cover base_fee, or that does
  // not fit in the bytes left, ends its sender's run (later nonces would be a gap). Same pool and
  // state give the same proposal.
  std::vector<ledger::Transaction> propose(std::size_t count_max, std::size_t bytes_max,
                                           const ledger::AccountReader& state, std::uint64_t base_fee) const;

  // After a commit: drops the committed transactions, and for every sender they touch, whatever
  // is now stale (nonce below the account nonce in state_after, e.g. a competing transaction for
  // a nonce that is now used).
  void remove_committed(const std::vector<ledger::Transaction>& committed, const ledger::AccountReader& state_after);

  // Drops a transaction the block builder refused (say, its fee is no longer covered), with
  // every later nonce of its sender, which could never be included without it. Returns the
  // hashes removed (empty when `hash` is not pending).
  std::vector<core::Hash32> remove(const core::Hash32& hash);

  std::size_t size() const { return entries_.size(); }
  std::size_t bytes() const { return bytes_; }
  std::size_t sender_count() const { return senders_.size(); }
  bool contains(const core::Hash32& hash) const { return entries_.contains(hash); }
  std::optional<ledger::Transaction> get(const core::Hash32& hash) const;
  // Up to count_max pending transactions, by sender and then nonce (the order a peer can admit
  // them in), for handing the pool to a peer that just linked.
  std::vector<ledger::Transaction> in_nonce_order(std::size_t count_max) const;
  // This very transaction, signatures included, is pending (`hash` is tx.hash()). A hash alone
  // does not say so: signatures are outside it, so a copy with other signature bytes has the
  // same hash.
  bool holds(const ledger::Transaction& tx, const core::Hash32& hash) const;

  // The nonce the sender's next transaction should carry: the account nonce plus the pending
  // transactions that continue it without a gap, so a client can fire many transactions in a
  // row. An error only when state cannot be read.
  core::Result<std::uint64_t> next_nonce(const crypto::Address& sender, const ledger::AccountReader& state) const;

  // The auction as the API shows it: distinct bids, highest first, with how many pending
  // transactions bid each; at most levels_max levels.
  std::vector<BidLevel> bid_ladder(std::size_t levels_max) const;

  const MempoolConfig& config() const { return config_; }

 private:
  struct Entry {
    ledger::Transaction tx;
    core::Hash32 hash{};
    crypto::Address sender;
    std::size_t size_bytes = 0;  // encoded, signatures included
  };

  struct SenderChain {
    // Entries are owned by entries_; unordered_map nodes keep their address across rehashing.
    std::map<std::uint64_t, const Entry*> by_nonce;
    // Sum of max_fee over by_nonce. Admission keeps it <= the committed balance, so it fits u64.
    std::uint64_t max_fee_total = 0;
  };

  // Eviction order: lowest bid first; among equal bids the hash the proposal would take last
  // (highest) goes first, so eviction and proposal agree on who is worth least.
  struct EvictionKey {
    std::uint64_t bid = 0;
    core::Hash32 hash{};
    bool operator<(const EvictionKey& other) const {
      if (bid != other.bid) return bid < other.bid;
      return hash > other.hash;
    }
  };

  core::Result<std::vector<const Entry*>> select_victims(std::size_t count_needed, std::size_t bytes_needed,
                                                   const crypto::Address& sender, std::uint64_t bid) const;
  void insert(Entry entry);
  void erase(const Entry* entry);
  void tail_detach(const SenderChain& chain);
  void tail_attach(const SenderChain& chain);

  MempoolConfig config_;
  std::unordered_map<core::Hash32, Entry, Hash32Hasher> entries_;
  std::map<crypto::Address, SenderChain> senders_;  // ordered: proposals iterate it deterministically
  // The last (highest-nonce) entry of every sender's chain: the only eviction candidates, so an
  // eviction never opens a nonce gap.
  std::set<EvictionKey> tails_;
  std::map<std::uint64_t, std::size_t, std::greater<>> bid_counts_;  // bid -> pending count
  std::size_t bytes_ = 0;
};

}  // namespace metanode::mempool
