// Shared pieces of the consensus unit tests: deterministic validator keys and engine configs.
#pragma once

#include <memory>
#include <vector>

#include "consensus/engine.hpp"

namespace metanode::consensus::testing {

inline std::shared_ptr<const crypto::KeyPair> validator_key(std::size_t i) {
  crypto::Seed seed{};
  seed[0] = static_cast<core::Byte>(i + 1);
  seed[31] = 0x77;
  return std::make_shared<const crypto::KeyPair>(crypto::KeyPair::from_seed(seed));
}

inline ValidatorSet validator_set(std::size_t n) {
  std::vector<crypto::PublicKey> keys;
  for (std::size_t i = 0; i < n; ++i) keys.push_back(validator_key(i)->public_key());
  return ValidatorSet::create(keys).value();
}

inline core::Hash32 test_chain_id() { return core::hash(core::Domain::Test, core::as_bytes(std::string_view("chain"))); }

inline EngineConfig engine_config(std::size_t n, ValidatorIndex self) {
  return EngineConfig{test_chain_id(), validator_set(n), self, validator_key(self),
                      std::make_shared<CachingVerifier>(), TimerPolicy{100, 800}, UnsafeForTesting{}};
}

inline SignedVote sign_vote(const VoteData& data, ValidatorIndex signer) {
  SignedVote v;
  v.data = data;
  v.signature = VoteSignature{signer, validator_key(signer)->sign_digest(data.signing_digest(test_chain_id()))};
  return v;
}

inline QuorumCert make_qc(const VoteData& data, const std::vector<ValidatorIndex>& signers) {
  QuorumCert qc;
  qc.data = data;
  for (ValidatorIndex s : signers) qc.signatures.push_back(sign_vote(data, s).signature);
  return qc;
}

template <typename T>
std::vector<const T*> actions_of(const Actions& actions) {
  std::vector<const T*> out;
  for (const auto& a : actions) {
    if (const auto* p = std::get_if<T>(&a)) out.push_back(p);
  }
  return out;
}

// Index of the first action of type T, or -1.
template <typename T>
int first_index(const Actions& actions) {
  for (std::size_t i = 0; i < actions.size(); ++i) {
    if (std::holds_alternative<T>(actions[i])) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace metanode::consensus::testing

#include <deque>
#include <functional>

namespace metanode::consensus::testing {

// A synchronous, loss-free network of n engines for unit tests: every message is delivered in
// send order, payloads and verdicts are answered at once. Returns each validator's commits.
struct CleanRun {
  std::vector<std::vector<CommitBlock>> commits;
  std::size_t messages = 0;
};

inline CleanRun run_clean(std::size_t n, std::uint64_t heights,
                          const std::function<std::unique_ptr<Engine>(EngineConfig)>& make) {
  CleanRun run;
  run.commits.resize(n);
  std::vector<std::unique_ptr<Engine>> engines;
  for (std::size_t i = 0; i < n; ++i) engines.push_back(make(engine_config(n, static_cast<ValidatorIndex>(i))));
  struct Work {
    std::size_t to;
    std::function<void(Engine&, Actions&)> input;
  };
  std::deque<Work> queue;
  std::uint64_t now = 0;
  std::uint64_t payload_counter = 0;
  std::function<void(std::size_t, Actions&)> handle = [&](std::size_t i, Actions& actions) {
    for (auto& a : actions) {
      if (auto* s = std::get_if<SendTo>(&a)) {
        auto msg = s->message;
        const auto from = static_cast<ValidatorIndex>(i);
        queue.push_back({s->to, [msg, from, &now](Engine& e, Actions& out) { (void)e.on_message(from, *msg, now, out); }});
      } else if (auto* b = std::get_if<Broadcast>(&a)) {
        auto msg = b->message;
        const auto from = static_cast<ValidatorIndex>(i);
        for (std::size_t j = 0; j < n; ++j) {
          if (j != i) queue.push_back({j, [msg, from, &now](Engine& e, Actions& out) { (void)e.on_message(from, *msg, now, out); }});
        }
      } else if (auto* r = std::get_if<RequestPayload>(&a)) {
        const core::Bytes payload{static_cast<core::Byte>(++payload_counter), static_cast<core::Byte>(i)};
        const auto h = r->height;
        queue.push_back({i, [payload, h, &now](Engine& e, Actions& out) { e.on_payload(h, payload, now, out); }});
      } else if (auto* v = std::get_if<ValidatePayload>(&a)) {
        const auto id = v->block_id;
        queue.push_back({i, [id, &now](Engine& e, Actions& out) { e.on_payload_verdict(id, true, now, out); }});
      } else if (auto* c = std::get_if<CommitBlock>(&a)) {
        run.commits[i].push_back(*c);
      }
    }
  };
  for (std::size_t i = 0; i < n; ++i) {
    Actions out;
    EngineStart start;
    start.committed = genesis_block(test_chain_id());
    engines[i]->start(start, out);
    handle(i, out);
  }
  auto done = [&] {
    for (const auto& c : run.commits) {
      if (c.size() < heights) return false;
    }
    return true;
  };
  while (!queue.empty() && !done() && run.messages < 1'000'000) {
    Work w = std::move(queue.front());
    queue.pop_front();
    ++now;
    ++run.messages;
    Actions out;
    w.input(*engines[w.to], out);
    handle(w.to, out);
  }
  return run;
}

}  // namespace metanode::consensus::testing
