// Domain-separated hashing: every hash is BLAKE3 in derive-key mode with the context string
// "metanode/v1/<domain>", so a hash made for one purpose can never stand for another.
// Each domain's context key is derived once per process; hashing then costs exactly what plain
// keyed BLAKE3 costs (a 64-byte Merkle node is one compression).
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "core/bytes.hpp"


namespace metanode::core {

// The one registry of hash domains. A domain's text is part of every hash made in it: never
// rename one; add new domains at the end.
#define METANODE_HASH_DOMAINS(X)              \
  X(Tx, "tx")                                 \
  X(BlockHeader, "block-header")              \
  X(Vote, "vote")                             \
  X(MerkleLeaf, "merkle-leaf")                \
  X(MerkleNode, "merkle-node")                \
  X(AuditEvent, "audit-event")                \
  X(Address, "address")                       \
  X(MultisigPolicy, "multisig-policy")        \
  X(Checkpoint, "checkpoint")                 \
  X(Receipt, "receipt")                       \
  X(StateLeaf, "state-leaf")                  \
  X(StateNode, "state-node")                  \
  X(StateKey, "state-key")                    \
  X(Proposal, "proposal")                     \
  X(Timeout, "timeout")                       \
  X(ValidatorSet, "validator-set")            \
  X(KeystoreAad, "keystore-aad")              \
  X(Message, "message")                       \
  X(Test, "test")                             \
  X(ConsensusVote, "consensus-vote")          \
  X(ConsensusBlock, "consensus-block")        \
  X(ConsensusPayload, "consensus-payload")    \
  X(ConsensusMessage, "consensus-message")    \
  X(SignatureCache, "signature-cache")        \
  X(XtmpKeys, "xtmp-keys")                    \
  X(Genesis, "genesis")                      \
  X(TxSignature, "tx-signature")              \
  X(ConfigFile, "config-file")               \
  X(ConsensusEpoch, "consensus-epoch")        \
  X(SlashEvidence, "slash-evidence")          \
  X(OracleObservation, "oracle-observation")

enum class Domain : std::uint8_t {
#define METANODE_DOMAIN_ENUM(name, text) name,
  METANODE_HASH_DOMAINS(METANODE_DOMAIN_ENUM)
#undef METANODE_DOMAIN_ENUM
      kCount
};

inline constexpr std::size_t kDomainCount = static_cast<std::size_t>(Domain::kCount);

// "tx", "merkle-node", ...
std::string_view domain_name(Domain domain);
// "metanode/v1/tx": the BLAKE3 derive-key context string.
std::string_view domain_context(Domain domain);

Hash32 hash(Domain domain, ByteView input);
// Hash of the concatenation a || b without building it (Merkle nodes, pairs).
Hash32 hash(Domain domain, ByteView a, ByteView b);

// Incremental hashing in one domain, for inputs that arrive in parts.
class Hasher {
 public:
  explicit Hasher(Domain domain);
  Hasher& update(ByteView input);
  Hash32 finalize() const;

 private:
  // Opaque storage for blake3_hasher (its size is checked in hash.cpp).
  alignas(8) std::array<std::byte, 1912> state_;
};

}  // namespace metanode::core
