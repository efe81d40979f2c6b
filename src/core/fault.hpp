// Environment faults: errors that come from the machine a node runs on (its disk, its I/O, data
// it stored that no longer reads back), not from what a transaction, a client or a peer sent.
// The same transaction on another node does not meet them, so they must never become a result
// (a failed receipt, a refused block): whatever meets one stops and reports it, and the node
// stops rather than commit from a state it cannot trust.
#pragma once

#include "core/result.hpp"

namespace metanode::core {

inline bool is_environment_fault(ErrorCode code) {
  switch (code) {
    case ErrorCode::kIo:
    case ErrorCode::kStorageIo:
    case ErrorCode::kStorageCorrupt:
    case ErrorCode::kStateCorrupt:
    case ErrorCode::kBlockCorrupt:
      return true;
    default:
      return false;
  }
}

}  // namespace metanode::core
