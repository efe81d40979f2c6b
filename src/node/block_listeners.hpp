// Who hears about applied blocks: the transaction pool cleans up, the ledger service streams an
// event, the node counts; later the audit log and indexers. Parts subscribe at setup; each
// applied block is told to every listener, in subscription order, on the thread that applied
// it (so a listener must be quick and must not apply blocks itself).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ledger/chain.hpp"

namespace metanode::node {

class BlockListeners {
 public:
  using Listener = std::function<void(const ledger::ProducedBlock&)>;

  // Not thread-safe: subscribe during setup, before blocks are applied.
  void subscribe(std::string name, Listener listener) { listeners_.emplace_back(std::move(name), std::move(listener)); }
  void notify(const ledger::ProducedBlock& produced) const {
    for (const auto& [name, listener] : listeners_) listener(produced);
  }

 private:
  std::vector<std::pair<std::string, Listener>> listeners_;
};

}  // namespace metanode::node
