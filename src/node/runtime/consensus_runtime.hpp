// The node runtime of a validator: drives the consensus engine genesis chose (IBFT or HotStuff)
// with real timers over XTMP links, and connects it to the ledger. The validator set is the one
// of each height's epoch (node/validator_sets.hpp: what the chain published); an EpochEngine
// (consensus/epochs.hpp) runs one engine per epoch. A node whose key is not in the epoch's set
// runs as a full node for that epoch: no engine, it follows the committed chain through block
// sync (every run's certificate checked against that epoch's set before anything is applied),
// gathers header certificates, and gossips the transactions submitted to it to the validators;
// when a later epoch's set holds its key (a candidate governance admitted, that bonded), it
// votes from that epoch's first height on, and the other way round for a member that leaves.
//
// One thread (the consensus thread) owns the engine. Engine actions are carried out in order;
// PersistState and StoreBlock are written to CueDB in one synced batch before any later send,
// so a vote never leaves before the state that forbids a second one is on disk. Payloads come
// from the auction mempool; proposed payloads are checked (decoding, limits, signatures not
// seen before) before the engine votes; committed payloads go through the executor into CueDB
// with their finality proof. A node that is behind fetches committed consensus blocks with
// their certificates from a peer, and the engine verifies them before anything is applied.
// Admitted transactions are gossiped to every validator in batches, so any node accepts
// submissions.
//
// One class, one file per job under src/node/runtime/: driver.cpp (engine, actions, timers,
// frame-handler registration), proposer.cpp, proposal_checks.cpp, committer.cpp, tx_gossip.cpp,
// block_sync.cpp, client_answers.cpp. They share the consensus thread's state below.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <vector>

#include "consensus/engine.hpp"
#include "consensus/epochs.hpp"
#include "ledger/chain.hpp"
#include "ledger/header_certs.hpp"
#include "net/transport.hpp"
#include "consensus/finality.hpp"
#include "consensus/sync.hpp"
#include "node/signature_checks.hpp"
#include "node/validator_sets.hpp"

namespace metanode::node {

// What the runtime needs from the node that hosts it (the mempool and the API side).
class RuntimeHost {
 public:
  virtual ~RuntimeHost() = default;
  // The mempool's best transactions for a block on `state` (committed state with the nonces of
  // uncommitted ancestors applied).
  virtual std::vector<ledger::Transaction> propose(const ledger::AccountReader& state) = 0;
  virtual bool has_pending() const = 0;
  // For each transaction: whether this exact transaction, signatures included, is pending here
  // (so its signatures were verified on admission). hashes[i] is txs[i].hash().
  virtual std::vector<char> pending_exact(const std::vector<ledger::Transaction>& txs,
                                          const std::vector<core::Hash32>& hashes) const = 0;
  // A block was applied: clean the mempool, publish the event, count.
  virtual void on_applied(const ledger::ProducedBlock& produced) = 0;
  // Up to count_max pending transactions, by sender and nonce: handed to a peer when its link
  // comes up.
  virtual std::vector<ledger::Transaction> pending_in_nonce_order(std::size_t count_max) const = 0;
  // Transactions a peer gossiped: check and admit them like a submission, without gossiping.
  virtual void admit_from_peer(std::vector<ledger::Transaction> txs) = 0;
  // Runs `work` on the node's worker threads (signature checks, sync replies).
  virtual void post_work(std::function<void()> work) = 0;
  // The runtime stopped for good: this node cannot trust its own state (an environment fault
  // while applying a block, consensus state it could not persist, or a state that differs from
  // what a quorum signed). Called once, on the consensus thread; the node should stop.
  virtual void on_fault(const core::Error& fault) = 0;
  // The engine saw a member of epoch `epoch`'s set sign two conflicting votes (consensus thread;
  // post anything slow). The node submits it as evidence (node/evidence_reporter.hpp).
  virtual void on_equivocation(std::uint64_t epoch, const crypto::PublicKey& offender,
                               const consensus::EquivocationSeen& seen) = 0;
  virtual void on_proposal_equivocation(std::uint64_t epoch, const crypto::PublicKey& offender,
                                        const consensus::ProposalEquivocationSeen& seen) = 0;
};

struct RuntimeConfig {
  std::string engine = "ibft";        // genesis.consensus
  consensus::TimerPolicy timers;
  net::TransportConfig transport;     // listen address, peers, allowed keys
  std::uint32_t idle_block_ms = 1000;  // with nothing to include, propose an empty block after this
  std::size_t sync_blocks_max = 64;    // per sync reply
  std::size_t sync_bytes_max = 8u << 20;
  bool leader_reputation = true;       // consensus::EngineConfig::leader_reputation
  // Frames other parts of the node handle (the audit witnesses), registered with the transport
  // beside the runtime's own; called on the transport thread (post anything slow).
  std::map<net::FrameType, net::FrameHandler> extra_handlers;
  // Test-only fault switch: every vote this node sends goes out a second time for another block
  // id, signed (equivocation, for the slashing tests). Never set outside tests.
  bool fault_equivocate = false;
};

struct RuntimeStatus {
  std::uint64_t committed_height = 0;
  std::uint64_t round = 0;
  std::uint64_t rounds_timed_out = 0;
  std::size_t peers_connected = 0;
  std::uint64_t messages_refused = 0;
  std::uint64_t messages_from_non_validators = 0;  // of messages_refused: sent by a key outside the set
  std::uint64_t equivocations_seen = 0;  // conflicting votes of one validator (consensus::EquivocationSeen)
  std::uint64_t syncs_applied = 0;
  std::uint64_t syncs_refused = 0;
  bool failed = false;  // storage failed, or this node's state differs from a quorum's: it stopped voting
  std::uint64_t certified_height = 0;  // newest block with a header certificate
  std::uint64_t certificates_gathered = 0;
  std::uint64_t header_signatures_refused = 0;
  bool full_node = false;  // follows the chain without voting (its key is not in this epoch's set)
  std::uint64_t epoch = 0;         // the validator set's number (0: genesis's)
  std::size_t validators = 0;      // members of this epoch's set
  std::uint16_t xtmp_port = 0;  // 0 until the transport listens
};

class ConsensusRuntime {
 public:
  ConsensusRuntime(RuntimeConfig config, RuntimeHost& host, ledger::Chain& chain, SignatureChecks& signatures,
                   crypto::KeyPair key, std::vector<crypto::PublicKey> genesis_validators);
  ~ConsensusRuntime();

  core::Status start();
  void stop();

  std::uint16_t xtmp_port() const;
  bool full_node() const { return full_node_.load(); }
  RuntimeStatus status() const;
  const core::Hash32& chain_id() const { return chain_id_; }

  // Thread-safe: new transactions are pending (a waiting proposal may go now), and these
  // admitted transactions go to the other validators.
  void on_admitted(const std::vector<ledger::Transaction>& txs);
  // Thread-safe: one frame to a linked peer (false when there is no link); for the parts of the
  // node that registered extra_handlers.
  bool send(const crypto::PublicKey& peer, net::FrameType type, core::ByteView payload);

 private:
  struct Inflight {
    std::uint64_t height = 0;
    core::Hash32 parent_id{};
    std::vector<std::pair<crypto::Address, std::uint64_t>> nonces;  // sender, nonce
  };

  std::uint64_t now_ms() const;
  core::Status make_engine();
  // The epoch's set (consensus thread).
  const consensus::ValidatorSet& validators() const { return epochs_->epoch().validators; }
  // After each applied block: a newly published set ends this epoch; a finished epoch hands
  // over to the next (driver.cpp).
  void follow_epochs();
  void note_epoch();  // status and logs after an epoch began
  // Frame handlers, registered with the transport per frame type (driver.cpp, tx_gossip.cpp).
  void on_consensus_frame(const crypto::PublicKey& peer, net::Frame frame);
  void on_gossip_frame(const crypto::PublicKey& peer, net::Frame frame);
  // New transactions may let a waiting proposal go: try it once on the consensus thread.
  void poke_proposer();
  void process(consensus::Actions& actions);
  // The fault_equivocate switch: `message`, when it is a vote, again for another block id.
  void send_conflicting_vote(const core::Bytes& message, std::optional<crypto::PublicKey> to);
  bool flush_writes(storage::WriteBatch& batch);
  void arm_timer(std::uint64_t deadline_ms);
  void try_payload();
  void validate_payload(const consensus::ValidatePayload& v);
  void apply_commit(const consensus::CommitBlock& c);
  // Verifies the signatures of a committed block this node has not checked yet; true when all do.
  bool verify_unchecked(const std::vector<ledger::Transaction>& txs);
  // Forgets the proposals and stored consensus blocks that `height` settles.
  void forget_settled(std::uint64_t height);
  void request_sync(consensus::ValidatorIndex peer, std::uint64_t peer_height);
  void answer_sync(const crypto::PublicKey& peer, std::uint32_t stream, core::ByteView request);
  void on_sync_reply(const crypto::PublicKey& peer, core::ByteView reply);
  void answer_client(const crypto::PublicKey& peer, std::uint32_t stream, core::ByteView request);
  void flush_gossip();
  bool send_gossip(const std::vector<ledger::Transaction>& txs, const crypto::PublicKey* to);
  void gossip_pool_to(const crypto::PublicKey& peer);
  // Header certificates (certifier.cpp).
  void start_certifier();
  void certify_applied(std::uint64_t height, const core::Hash32& block_hash);
  void handle_certifier(const core::Result<ledger::HeaderCertCollector::Outcome>& outcome);
  void on_header_signatures(const crypto::PublicKey& peer, net::Frame frame);
  void arm_certifier_timer();
  void request_missing_certificates();
  void answer_cert_request(const crypto::PublicKey& peer, std::uint32_t stream, core::ByteView request);
  void on_cert_reply(const crypto::PublicKey& peer, core::ByteView reply);
  // A quorum certified a header other than this node's (certifier.cpp): halts at once, asks the
  // signers for their header, and stops naming the differing fields when one answers (or after
  // kDivergenceWaitMs with the two hashes only).
  void stop_diverged(ledger::HeaderCertCollector::Divergence divergence);
  void answer_header_request(const crypto::PublicKey& peer, std::uint32_t stream, core::ByteView request);
  void on_header_reply(const crypto::PublicKey& peer, core::ByteView reply);
  Inflight inflight_of(std::uint64_t height, const core::Hash32& parent_id, const consensus::ConsensusPayload& payload) const;
  // Where the engine starts: the epoch of the next height, and the newest block of it that its
  // certificate names (or the epoch's root).
  core::Result<consensus::EngineStart> load_start(consensus::Epoch& epoch);
  std::uint32_t epoch_stream() const { return static_cast<std::uint32_t>(epochs_->epoch().number); }

  RuntimeConfig config_;
  RuntimeHost& host_;
  ledger::Chain& chain_;
  SignatureChecks& signatures_;
  std::shared_ptr<const crypto::KeyPair> key_;
  ValidatorSets sets_;
  std::atomic<bool> full_node_{false};
  core::Hash32 chain_id_{};
  std::shared_ptr<consensus::CachingVerifier> verifier_;
  std::unique_ptr<consensus::EpochEngine> epochs_;
  std::uint64_t published_set_ = 0;  // the newest set number follow_epochs has seen
  std::unique_ptr<net::Transport> transport_;

  boost::asio::io_context ctx_;
  // Proposal signature checks in flight on the consensus lane (stop() waits for them).
  std::mutex async_checks_mutex_;
  std::condition_variable async_checks_done_;
  std::size_t async_checks_ = 0;
  boost::asio::steady_timer engine_timer_;
  boost::asio::steady_timer payload_timer_;
  boost::asio::steady_timer gossip_timer_;
  boost::asio::steady_timer certifier_timer_;
  boost::asio::steady_timer divergence_timer_;
  std::thread thread_;
  bool started_ = false;
  std::chrono::steady_clock::time_point epoch_ = std::chrono::steady_clock::now();

  // Consensus thread only.
  std::optional<consensus::RequestPayload> payload_request_;
  std::uint64_t payload_requested_ms_ = 0;
  std::uint64_t last_tx_height_ = 0;                     // newest committed block with transactions
  std::deque<consensus::CommitBlock> commit_queue_;      // committed, not yet applied (see process)
  std::map<core::Hash32, Inflight> validated_;          // uncommitted proposals we checked, by block id
  std::map<std::uint64_t, Inflight> own_proposals_;     // uncommitted payloads we proposed, by height
  std::map<core::Hash32, std::uint64_t> stored_blocks_;  // StoreBlock ids on disk -> height
  static constexpr std::uint64_t kSyncRetryMs = 500;  // an unanswered sync request is sent again after this
  consensus::SyncClient sync_{kSyncRetryMs};
  bool failed_ = false;
  // Stops this runtime for good (sets failed_) and tells the host, once.
  void fail(core::Error why);
  // Set by stop_diverged: failed_ is set (nothing more is applied), the host not told yet.
  std::optional<ledger::HeaderCertCollector::Divergence> divergence_;
  bool fault_reported_ = false;
  static constexpr std::uint64_t kDivergenceWaitMs = 2000;
  std::optional<ledger::HeaderCertCollector> certifier_;
  std::size_t cert_request_peer_ = 0;

  // Gossip queue, filled from API threads.
  std::mutex gossip_mutex_;
  std::vector<ledger::Transaction> gossip_queue_;
  bool gossip_scheduled_ = false;
  std::atomic<bool> payload_poke_pending_{false};

  // Status, written on the consensus thread.
  std::atomic<std::uint64_t> committed_height_{0};
  std::atomic<std::uint64_t> round_{0};
  std::atomic<std::uint64_t> rounds_timed_out_{0};
  std::atomic<std::uint64_t> messages_refused_{0};
  std::atomic<std::uint64_t> messages_from_non_validators_{0};
  std::atomic<std::uint64_t> equivocations_seen_{0};
  std::atomic<std::uint64_t> syncs_applied_{0};
  std::atomic<std::uint64_t> syncs_refused_{0};
  std::atomic<bool> failed_flag_{false};
  std::atomic<std::uint16_t> xtmp_port_{0};
  std::atomic<std::uint64_t> certified_height_{0};
  std::atomic<std::uint64_t> certificates_gathered_{0};
  std::atomic<std::uint64_t> header_signatures_refused_{0};
  std::atomic<std::uint64_t> epoch_number_{0};
  std::atomic<std::size_t> epoch_size_{0};
};

}  // namespace metanode::node
