// The body of a C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the text a log signs as a signed
// note (crypto/signed_note.hpp) to commit to its size and root.
//
//   <origin>\n          who the log is: "<chain id>/<node address>/audit" for a node's audit log
//   <tree size>\n       decimal, no leading zeros
//   <root hash>\n       base64 of 32 bytes
//   [extension lines]   this project writes "metanode-time <unix ms>": when it was made
//
// The root is this project's Merkle tree (merkle_tree.hpp): RFC 9162's shape with
// domain-separated BLAKE3 in place of SHA-256, so a checkpoint checks only with this project's
// tree code (or an independent implementation of that tree), not with SHA-256 tlog tools.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace metanode::merkle {

inline constexpr std::string_view kCheckpointTimeExtension = "metanode-time ";

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  core::Hash32 root{};
  std::vector<std::string> extensions;  // lines after the root, without their newline

  // The note text (every line ends in "\n").
  std::string to_text() const;
  // kInvalidArgument naming what is wrong: fewer than three lines, an empty origin, a size that
  // is not a canonical decimal, a root that is not base64 of 32 bytes, an empty extension line.
  static core::Result<Checkpoint> parse(std::string_view text);

  // The "metanode-time" extension, when present and well formed.
  std::optional<std::int64_t> unix_ms() const;
  bool operator==(const Checkpoint&) const = default;
};

}  // namespace metanode::merkle
