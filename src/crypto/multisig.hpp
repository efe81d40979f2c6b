// m-of-n multisignature policies over Ed25519 keys. A policy is an account of its own (its
// address derives from its canonical encoding); a set of signatures satisfies it when at least
// m distinct policy members signed the same domain-tagged digest.
#pragma once

#include <cstdint>
#include <vector>

#include "core/codec.hpp"
#include "core/hash.hpp"
#include "core/result.hpp"
#include "crypto/address.hpp"
#include "crypto/ed25519.hpp"

namespace metanode::crypto {

inline constexpr std::size_t kMultisigSignersMax = 16;

struct MultisigPolicy {
  std::uint8_t threshold = 0;       // m
  std::vector<PublicKey> signers;   // n distinct keys, in the order the account was created with

  bool operator==(const MultisigPolicy&) const = default;

  // 1 <= m <= n <= kMultisigSignersMax and no key twice.
  core::Status validate() const;
  Address address() const;

  void encode(core::Writer& w) const;
  // Rejects encodings of invalid policies too.
  static core::Result<MultisigPolicy> decode(core::Reader& r);
};

struct SignerSignature {
  PublicKey signer;
  Signature signature;

  bool operator==(const SignerSignature&) const = default;
  void encode(core::Writer& w) const;
  static core::Result<SignerSignature> decode(core::Reader& r);
};

// Encode / decode a list of signer signatures (at most kMultisigSignersMax).
void encode_signer_signatures(core::Writer& w, const std::vector<SignerSignature>& signatures);
core::Result<std::vector<SignerSignature>> decode_signer_signatures(core::Reader& r);

// Refuses duplicate signers, signers outside the policy and any signature that does not verify,
// then needs at least `threshold` signatures. The digest is hashed once for all signers.
core::Status verify_multisig(const MultisigPolicy& policy, core::Domain domain, core::ByteView message,
                             const std::vector<SignerSignature>& signatures);
core::Status verify_multisig_digest(const MultisigPolicy& policy, const core::Hash32& digest,
                                    const std::vector<SignerSignature>& signatures);

}  // namespace metanode::crypto
