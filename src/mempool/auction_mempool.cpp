#include "mempool/auction_mempool.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <iterator>
#include <queue>
#include <utility>

#include "core/codec.hpp"
#include "crypto/multisig.hpp"

namespace metanode::mempool {
namespace {

core::Error error(core::ErrorCode code, std::string message) { return core::make_error(code, std::move(message)); }

std::string str(std::uint64_t value) { return std::to_string(value); }

}  // namespace

bool replacement_bid_sufficient(std::uint64_t old_bid, std::uint64_t new_bid, std::uint32_t bump_percent) {
  // 128-bit products: bids are full u64 values and bid * 100 must not wrap.
  __extension__ using Uint128 = unsigned __int128;
  return new_bid > old_bid &&
         static_cast<Uint128>(new_bid) * 100 >= static_cast<Uint128>(old_bid) * (100 + static_cast<Uint128>(bump_percent));
}

std::size_t Hash32Hasher::operator()(const core::Hash32& hash) const noexcept {
  std::size_t out = 0;
  std::memcpy(&out, hash.data(), sizeof(out));
  return out;
}

AuctionMempool::AuctionMempool(MempoolConfig config) : config_(std::move(config)) {
  assert(!config_.chain.chain_id.empty() && config_.chain.chain_id.size() <= ledger::kChainIdBytesMax);
  assert(config_.count_max >= 1 && config_.per_sender_max >= 1);
  // Any single valid transaction must fit in an empty pool.
  assert(config_.bytes_max >= ledger::kTxBytesMax);
}

// Longer than a screen on purpose: the admission checks in the order that matters (cheapest first,
// the signature last, nothing changed before every check passed), each with its own message.
core::Result<AdmitResult> AuctionMempool::admit(ledger::Transaction tx, const ledger::AccountReader& state,
                                                std::uint64_t base_fee, bool signature_verified,
                                                bool stateless_checked) {
  // Cheapest checks first; the signature (the one expensive check, ~46 µs) comes last, after
  // every check that could refuse the transaction for free, and before anything changes.
  if (!stateless_checked) MN_TRY(config_.modules.check_stateless(tx, config_.chain, /*verify_signatures=*/false));
  // The encoder asserts its field limits (a decoded transaction always meets them); a
  // transaction built in memory is held to them here before it is encoded.
  if (tx.memo.size() > ledger::kMemoBytesMax) {
    return error(core::ErrorCode::kTxTooLarge,
                 "memo is " + str(tx.memo.size()) + " bytes, the limit is " + str(ledger::kMemoBytesMax));
  }
  if (tx.sender_kind == ledger::SenderKind::kMultisig && tx.multisig_signatures.size() > crypto::kMultisigSignersMax) {
    return error(core::ErrorCode::kTxTooLarge, "transaction carries " + str(tx.multisig_signatures.size()) +
                                                   " signatures, the limit is " + str(crypto::kMultisigSignersMax));
  }
  const std::size_t size_bytes = core::encode(tx).size();
  if (size_bytes > ledger::kTxBytesMax) {
    return error(core::ErrorCode::kTxTooLarge,
                 "transaction encodes to " + str(size_bytes) + " bytes, the limit is " + str(ledger::kTxBytesMax));
  }
  const core::Hash32 hash = tx.hash();
  if (entries_.contains(hash)) {
    return error(core::ErrorCode::kMempoolDuplicate, "transaction " + core::to_hex(hash) + " is already pending");
  }
  if (tx.bid < config_.bid_min) {
    return error(core::ErrorCode::kMempoolBidTooLow,
                 "bid " + str(tx.bid) + " is below the minimum bid " + str(config_.bid_min));
  }
  if (tx.max_fee < base_fee) {
    return error(core::ErrorCode::kTxFeeTooLow,
                 "max_fee " + str(tx.max_fee) + " does not cover the base fee " + str(base_fee));
  }

  const crypto::Address sender = tx.sender();
  MN_TRY_ASSIGN(const ledger::Account account, state.account(sender));
  if (tx.nonce < account.nonce) {
    return error(core::ErrorCode::kTxNonceTooLow, "nonce " + str(tx.nonce) + " is used already: account " +
                                                      sender.to_string() + " is at nonce " + str(account.nonce));
  }
  if (tx.nonce - account.nonce > config_.nonce_ahead_max) {
    return error(core::ErrorCode::kTxNonceGap, "nonce " + str(tx.nonce) + " is too far ahead of the account nonce " +
                                                   str(account.nonce) + " (at most " + str(config_.nonce_ahead_max) +
                                                   " ahead)");
  }

  const auto chain_it = senders_.find(sender);
  const Entry* replaced = nullptr;
  std::uint64_t max_fee_pending = 0;  // of the sender's other pending transactions
  std::size_t sender_pending = 0;
  if (chain_it != senders_.end()) {
    const SenderChain& chain = chain_it->second;
    sender_pending = chain.by_nonce.size();
    max_fee_pending = chain.max_fee_total;
    if (const auto it = chain.by_nonce.find(tx.nonce); it != chain.by_nonce.end()) {
      replaced = it->second;
      max_fee_pending -= replaced->tx.max_fee;
    }
  }
  if (replaced != nullptr && !replacement_bid_sufficient(replaced->tx.bid, tx.bid, config_.replace_bump_percent)) {
    return error(core::ErrorCode::kMempoolReplacementUnderpriced,
                 "replacing nonce " + str(tx.nonce) + " needs a bid above " + str(replaced->tx.bid) + " by at least " +
                     str(config_.replace_bump_percent) + "%, got " + str(tx.bid));
  }

  // The sender's committed balance must cover this max_fee on top of the max_fees of all its
  // other pending transactions, so every transaction the pool holds can pay its fee whatever
  // order they are included in. An empty account can do nothing useful; refusing it also keeps
  // fee-free junk (max_fee 0 at base fee 0) out of the pool.
  if (account.balance == 0) {
    return error(core::ErrorCode::kTxInsufficientBalance,
                 "account " + sender.to_string() + " is unknown or empty (balance 0)");
  }
  if (max_fee_pending > account.balance || tx.max_fee > account.balance - max_fee_pending) {
    return error(core::ErrorCode::kTxInsufficientBalance,
                 "balance " + str(account.balance) + " does not cover max_fee " + str(tx.max_fee) + " plus " +
                     str(max_fee_pending) + " reserved by the sender's other pending transactions");
  }
  if (replaced == nullptr && sender_pending >= config_.per_sender_max) {
    return error(core::ErrorCode::kMempoolSenderQuota, "sender " + sender.to_string() + " has " +
                                                           str(sender_pending) + " pending transactions, the limit is " +
                                                           str(config_.per_sender_max));
  }

  const std::size_t count_needed = entries_.size() + (replaced == nullptr ? 1 : 0);
  const std::size_t bytes_needed = bytes_ - (replaced == nullptr ? 0 : replaced->size_bytes) + size_bytes;
  MN_TRY_ASSIGN(const std::vector<const Entry*> victims, select_victims(count_needed, bytes_needed, sender, tx.bid));

  if (!signature_verified) MN_TRY(tx.check_signatures(config_.chain.genesis_digest));

  AdmitResult result;
  result.hash = hash;
  result.evicted.reserve(victims.size());
  // Victims of one sender come highest nonce first, so each erase takes a chain's current tail.
  for (const Entry* victim : victims) {
    result.evicted.push_back(victim->hash);
    erase(victim);
  }
  if (replaced != nullptr) {
    result.replaced = replaced->hash;
    erase(replaced);
  }
  insert(Entry{std::move(tx), hash, sender, size_bytes});
  assert(entries_.size() <= config_.count_max && bytes_ <= config_.bytes_max);
  return result;
}

core::Result<std::vector<const AuctionMempool::Entry*>> AuctionMempool::select_victims(std::size_t count_needed,
                                                                                  std::size_t bytes_needed,
                                                                                  const crypto::Address& sender,
                                                                                  std::uint64_t bid) const {
  std::vector<const Entry*> victims;
  if (count_needed <= config_.count_max && bytes_needed <= config_.bytes_max) return victims;

  // Walks chain tails from the lowest bid without changing anything. Once a sender's tail is
  // chosen, the entry below it becomes that sender's tail: `promoted` holds those, and the next
  // victim is the lower of the two streams. The newcomer's own sender is never a victim: evicting
  // from its chain could remove the very nonce the newcomer builds on.
  struct Candidate {
    EvictionKey key;
    const Entry* entry = nullptr;
    bool operator<(const Candidate& other) const { return key < other.key; }
  };
  std::set<Candidate> promoted;
  auto tail_it = tails_.begin();
  while (count_needed > config_.count_max || bytes_needed > config_.bytes_max) {
    const Entry* tail_entry = nullptr;
    while (tail_it != tails_.end()) {
      const Entry* entry = &entries_.find(tail_it->hash)->second;
      if (entry->sender != sender) {
        tail_entry = entry;
        break;
      }
      ++tail_it;
    }
    const Entry* victim = nullptr;
    if (tail_entry != nullptr && (promoted.empty() || *tail_it < promoted.begin()->key)) {
      victim = tail_entry;
      ++tail_it;
    } else if (!promoted.empty()) {
      victim = promoted.begin()->entry;
      promoted.erase(promoted.begin());
    }
    const auto full = [this](const std::string& why) {
      return error(core::ErrorCode::kMempoolFull, "mempool is full (" + str(entries_.size()) + " of " +
                                                      str(config_.count_max) + " transactions, " + str(bytes_) +
                                                      " of " + str(config_.bytes_max) + " bytes) and " + why);
    };
    if (victim == nullptr) return full("holds nothing this sender may evict");
    if (victim->tx.bid >= bid) {
      return full("its lowest evictable bid " + str(victim->tx.bid) + " is not below bid " + str(bid));
    }
    if (victims.size() == kEvictionsPerAdmitMax) {
      return full("making room would evict more than " + str(kEvictionsPerAdmitMax) + " transactions");
    }
    victims.push_back(victim);
    count_needed -= 1;
    bytes_needed -= victim->size_bytes;
    const SenderChain& chain = senders_.at(victim->sender);
    const auto at = chain.by_nonce.find(victim->tx.nonce);
    assert(at != chain.by_nonce.end());
    if (at != chain.by_nonce.begin()) {
      const Entry* below = std::prev(at)->second;
      promoted.insert(Candidate{EvictionKey{below->tx.bid, below->hash}, below});
    }
  }
  return victims;
}

void AuctionMempool::tail_detach(const SenderChain& chain) {
  assert(!chain.by_nonce.empty());
  const Entry* tail = chain.by_nonce.rbegin()->second;
  const auto erased = tails_.erase(EvictionKey{tail->tx.bid, tail->hash});
  assert(erased == 1);
  (void)erased;
}

void AuctionMempool::tail_attach(const SenderChain& chain) {
  assert(!chain.by_nonce.empty());
  const Entry* tail = chain.by_nonce.rbegin()->second;
  const bool inserted = tails_.insert(EvictionKey{tail->tx.bid, tail->hash}).second;
  assert(inserted);
  (void)inserted;
}

void AuctionMempool::insert(Entry entry) {
  const auto [it, inserted] = entries_.emplace(entry.hash, std::move(entry));
  assert(inserted);
  (void)inserted;
  const Entry* stored = &it->second;
  SenderChain& chain = senders_[stored->sender];
  if (!chain.by_nonce.empty()) tail_detach(chain);
  const bool nonce_new = chain.by_nonce.emplace(stored->tx.nonce, stored).second;
  assert(nonce_new);
  (void)nonce_new;
  chain.max_fee_total += stored->tx.max_fee;
  tail_attach(chain);
  bid_counts_[stored->tx.bid] += 1;
  bytes_ += stored->size_bytes;
}

void AuctionMempool::erase(const Entry* entry) {
  const auto chain_it = senders_.find(entry->sender);
  assert(chain_it != senders_.end());
  SenderChain& chain = chain_it->second;
  tail_detach(chain);
  chain.by_nonce.erase(entry->tx.nonce);
  chain.max_fee_total -= entry->tx.max_fee;
  if (chain.by_nonce.empty()) {
    assert(chain.max_fee_total == 0);
    senders_.erase(chain_it);
  } else {
    tail_attach(chain);
  }
  const auto level = bid_counts_.find(entry->tx.bid);
  assert(level != bid_counts_.end() && level->second > 0);
  if (--level->second == 0) bid_counts_.erase(level);
  assert(bytes_ >= entry->size_bytes);
  bytes_ -= entry->size_bytes;
  const core::Hash32 hash = entry->hash;  // a copy: the entry dies in the erase below
  entries_.erase(hash);
}

std::vector<ledger::Transaction> AuctionMempool::propose(std::size_t count_max, std::size_t bytes_max,
                                                         const ledger::AccountReader& state,
                                                         std::uint64_t base_fee) const {
  using NonceIterator = std::map<std::uint64_t, const Entry*>::const_iterator;
  struct Cursor {
    const Entry* entry = nullptr;
    NonceIterator next;  // the sender's following entry (maybe not contiguous)
    NonceIterator end;
  };
  // priority_queue pops the greatest: the higher tip actually paid at this base fee first (the
  // bid, capped by what max_fee leaves over the base fee), then lower hash. A bid its max_fee
  // cannot pay does not buy a place.
  const auto tip = [base_fee](const Entry& e) {
    return e.tx.max_fee < base_fee ? 0 : std::min(e.tx.bid, e.tx.max_fee - base_fee);
  };
  const auto lower_priority = [&tip](const Cursor& a, const Cursor& b) {
    const std::uint64_t ta = tip(*a.entry);
    const std::uint64_t tb = tip(*b.entry);
    if (ta != tb) return ta < tb;
    return a.entry->hash > b.entry->hash;
  };
  std::vector<Cursor> heads;
  heads.reserve(senders_.size());
  for (const auto& [address, chain] : senders_) {
    const auto account = state.account(address);
    // Unreadable state: leave the sender out rather than guess its nonce (fail closed).
    if (!account.ok()) continue;
    const auto first = chain.by_nonce.find(account->nonce);
    if (first == chain.by_nonce.end()) continue;  // a gap at the account nonce: nothing includable yet
    heads.push_back(Cursor{first->second, std::next(first), chain.by_nonce.end()});
  }
  std::priority_queue<Cursor, std::vector<Cursor>, decltype(lower_priority)> queue(lower_priority, std::move(heads));

  std::vector<ledger::Transaction> proposal;
  proposal.reserve(std::min(count_max, entries_.size()));
  std::size_t bytes_used = 0;
  // Each pass consumes one pending entry, so the loop ends within size() passes.
  while (!queue.empty() && proposal.size() < count_max) {
    const Cursor cursor = queue.top();
    queue.pop();
    const Entry& entry = *cursor.entry;
    // Either way the sender's later nonces would follow a missing one: its run ends here.
    if (entry.tx.max_fee < base_fee) continue;
    if (entry.size_bytes > bytes_max - bytes_used) continue;
    proposal.push_back(entry.tx);
    bytes_used += entry.size_bytes;
    if (cursor.next != cursor.end && cursor.next->first == entry.tx.nonce + 1) {
      queue.push(Cursor{cursor.next->second, std::next(cursor.next), cursor.end});
    }
  }
  return proposal;
}

void AuctionMempool::remove_committed(const std::vector<ledger::Transaction>& committed,
                                      const ledger::AccountReader& state_after) {
  std::set<crypto::Address> touched;
  for (const ledger::Transaction& tx : committed) {
    touched.insert(tx.sender());
    if (const auto it = entries_.find(tx.hash()); it != entries_.end()) erase(&it->second);
  }
  for (const crypto::Address& sender : touched) {
    const auto account = state_after.account(sender);
    // Unreadable state: keep the sender's entries; proposals skip them and the next commit
    // retries. Dropping them on a read error would lose transactions for good.
    if (!account.ok()) continue;
    for (auto chain_it = senders_.find(sender); chain_it != senders_.end(); chain_it = senders_.find(sender)) {
      const auto lowest = chain_it->second.by_nonce.begin();
      if (lowest->first >= account->nonce) break;
      erase(lowest->second);
    }
  }
}

std::vector<core::Hash32> AuctionMempool::remove(const core::Hash32& hash) {
  std::vector<core::Hash32> removed;
  const auto it = entries_.find(hash);
  if (it == entries_.end()) return removed;
  const crypto::Address sender = it->second.sender;
  const std::uint64_t from_nonce = it->second.tx.nonce;
  // From the tail down, so every erase removes a chain's tail and no nonce gap ever exists.
  for (auto chain_it = senders_.find(sender); chain_it != senders_.end(); chain_it = senders_.find(sender)) {
    const auto highest = std::prev(chain_it->second.by_nonce.end());
    if (highest->first < from_nonce) break;
    removed.push_back(highest->second->hash);
    erase(highest->second);
  }
  return removed;
}

std::optional<ledger::Transaction> AuctionMempool::get(const core::Hash32& hash) const {
  const auto it = entries_.find(hash);
  if (it == entries_.end()) return std::nullopt;
  return it->second.tx;
}

std::vector<ledger::Transaction> AuctionMempool::in_nonce_order(std::size_t count_max) const {
  std::vector<ledger::Transaction> out;
  out.reserve(std::min(count_max, entries_.size()));
  for (const auto& [sender, chain] : senders_) {
    for (const auto& [nonce, entry] : chain.by_nonce) {
      if (out.size() >= count_max) return out;
      out.push_back(entry->tx);
    }
  }
  return out;
}

bool AuctionMempool::holds(const ledger::Transaction& tx, const core::Hash32& hash) const {
  const auto it = entries_.find(hash);
  // Equal hashes mean equal bodies: only the signatures, which the hash does not cover, remain.
  return it != entries_.end() && it->second.tx.signature == tx.signature &&
         it->second.tx.multisig_signatures == tx.multisig_signatures;
}

core::Result<std::uint64_t> AuctionMempool::next_nonce(const crypto::Address& sender,
                                                       const ledger::AccountReader& state) const {
  MN_TRY_ASSIGN(const ledger::Account account, state.account(sender));
  std::uint64_t next = account.nonce;
  const auto chain_it = senders_.find(sender);
  if (chain_it == senders_.end()) return next;
  const auto& by_nonce = chain_it->second.by_nonce;
  // Bounded by per_sender_max entries.
  for (auto it = by_nonce.find(next); it != by_nonce.end() && it->first == next; ++it) ++next;
  return next;
}

std::vector<BidLevel> AuctionMempool::bid_ladder(std::size_t levels_max) const {
  std::vector<BidLevel> levels;
  levels.reserve(std::min(levels_max, bid_counts_.size()));
  for (const auto& [bid, count] : bid_counts_) {
    if (levels.size() == levels_max) break;
    levels.push_back(BidLevel{bid, count});
  }
  return levels;
}

}  // namespace metanode::mempool
