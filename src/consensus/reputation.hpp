// Leader reputation (DiemBFT v4 and Aptos's LeaderReputation; Jolteon/Ditto use the same idea):
// leaders are chosen, deterministically, only among validators that recently took part, so a
// crashed validator stops being elected after a short window instead of costing a round timeout
// every time its turn comes. "Took part" is read from committed history only: the proposer of each
// committed block and the signers of the certificate it carries (HotStuff: the block's justify QC;
// IBFT: its parent's commit certificate, which each block carries as `justify` so that the signers
// are part of the block and not whichever quorum a validator happened to collect). Every honest
// validator holds the same committed history, so all
// that have committed far enough compute the same leader; one that has not (it is behind) may
// disagree for a while, which costs liveness in the views it disagrees on, never safety: neither
// engine's safety rules look at who the leader is.
//
//   candidates(p) = every validator when the newest committed block this validator knows is more
//                   than `stall` positions below p (commits stopped: histories may differ between
//                   validators that committed different amounts, and only plain round-robin is
//                   the same for all; it is what brings the commits back); otherwise
//                   proposers and signers of the last `window` committed blocks whose position
//                   (HotStuff view, IBFT height) is below p - lag, less those that failed as a
//                   leader after they last took part; every validator while fewer than `window`
//                   such blocks are known (a young chain).
//
// Failures are read from committed blocks too (as Aptos's "failed authors"): a HotStuff block
// whose view is more than one past its justify QC's says the views in between ended in timeouts,
// so their leaders failed; an IBFT block first proposed in round r > 0 says the proposers of
// rounds 0..r-1 of its height failed. A crashed validator is thus dropped as soon as one block that skipped
// its views is committed, instead of after a window without it.
//   leader(p, s)  = candidates(p)[s mod |candidates(p)|]   (s: the engine's rotation slot)
//
// A validator that is excluded comes back as soon as it signs a certificate again. The cost of the
// rule is fairness, not safety: a validator that is alive but always the slowest to vote (never in
// the first quorum of votes) and no longer proposes stays out of the rotation until it is faster.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <vector>

#include "consensus/types.hpp"

namespace metanode::consensus {

class LeaderReputation {
 public:
  // window: committed blocks looked at; lag: positions just below p that are not looked at
  // (what a validator may not have committed yet when it needs the leader of p).
  LeaderReputation(std::size_t validators, std::size_t window, std::uint64_t lag, std::uint64_t stall);

  // One committed block, in commit order (positions ascending; older or repeated ones are ignored):
  // its proposer took part at `position`, the signers of its certificate at `signed_at`, and the
  // leaders of the views in `failed` (each with its view) failed there.
  void on_committed(std::uint64_t position, ValidatorIndex proposer, std::uint64_t signed_at,
                    const std::vector<VoteSignature>& signers,
                    const std::vector<std::pair<std::uint64_t, ValidatorIndex>>& failed = {});

  std::vector<ValidatorIndex> candidates(std::uint64_t position) const;
  ValidatorIndex leader(std::uint64_t position, std::uint64_t slot) const;

  // The window a validator set of n uses: long enough that each validator proposes in it at least
  // twice while all are up.
  static std::size_t window_for(std::size_t validators) { return std::max<std::size_t>(10, 2 * validators + 2); }

 private:
  struct Record {
    std::uint64_t position = 0;
    std::vector<std::pair<std::uint64_t, ValidatorIndex>> took_part;  // (when, who)
    std::vector<std::pair<std::uint64_t, ValidatorIndex>> failed;     // (view, its leader)
  };
  std::size_t validators_;
  std::size_t window_;
  std::uint64_t lag_;
  std::uint64_t stall_;
  std::deque<Record> records_;  // ascending positions; at most window + lag + kSlack
  static constexpr std::size_t kSlack = 16;
};

}  // namespace metanode::consensus
