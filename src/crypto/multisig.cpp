#include "crypto/multisig.hpp"

#include <algorithm>
#include <set>

namespace metanode::crypto {
namespace {
core::Error policy_error(std::string why) {
  return core::make_error(core::ErrorCode::kMultisigInvalidPolicy, std::move(why));
}
}  // namespace

core::Status MultisigPolicy::validate() const {
  if (signers.empty()) return policy_error("a policy needs at least one signer");
  if (signers.size() > kMultisigSignersMax) {
    return policy_error(std::to_string(signers.size()) + " signers, more than the limit " +
                        std::to_string(kMultisigSignersMax));
  }
  if (threshold < 1 || threshold > signers.size()) {
    return policy_error("threshold " + std::to_string(threshold) + " is not between 1 and " +
                        std::to_string(signers.size()));
  }
  std::set<PublicKey> seen;
  for (const auto& key : signers) {
    if (!seen.insert(key).second) return policy_error("key " + key.to_hex() + " appears twice");
  }
  return {};
}

Address MultisigPolicy::address() const { return Address::from_kind(kAddressKindMultisig, core::encode(*this)); }

void MultisigPolicy::encode(core::Writer& w) const {
  w.u8(threshold);
  w.vector(signers, kMultisigSignersMax, [](core::Writer& out, const PublicKey& key) { key.encode(out); });
}

core::Result<MultisigPolicy> MultisigPolicy::decode(core::Reader& r) {
  MultisigPolicy policy;
  MN_TRY_ASSIGN(policy.threshold, r.u8());
  MN_TRY_ASSIGN(policy.signers, r.vector<PublicKey>(kMultisigSignersMax, PublicKey::decode));
  if (auto st = policy.validate(); !st.ok()) {
    return core::make_error(core::ErrorCode::kDecodeInvalidValue, st.error().message);
  }
  return policy;
}

void SignerSignature::encode(core::Writer& w) const {
  signer.encode(w);
  signature.encode(w);
}

core::Result<SignerSignature> SignerSignature::decode(core::Reader& r) {
  MN_TRY_ASSIGN(auto signer, PublicKey::decode(r));
  MN_TRY_ASSIGN(auto signature, Signature::decode(r));
  return SignerSignature{signer, signature};
}

void encode_signer_signatures(core::Writer& w, const std::vector<SignerSignature>& signatures) {
  w.vector(signatures, kMultisigSignersMax, [](core::Writer& out, const SignerSignature& s) { s.encode(out); });
}

core::Result<std::vector<SignerSignature>> decode_signer_signatures(core::Reader& r) {
  return r.vector<SignerSignature>(kMultisigSignersMax, SignerSignature::decode);
}

core::Status verify_multisig(const MultisigPolicy& policy, core::Domain domain, core::ByteView message,
                             const std::vector<SignerSignature>& signatures) {
  return verify_multisig_digest(policy, core::hash(domain, message), signatures);
}

core::Status verify_multisig_digest(const MultisigPolicy& policy, const core::Hash32& digest,
                                    const std::vector<SignerSignature>& signatures) {
  MN_TRY(policy.validate());
  std::set<PublicKey> seen;
  for (const auto& entry : signatures) {
    if (std::find(policy.signers.begin(), policy.signers.end(), entry.signer) == policy.signers.end()) {
      return core::make_error(core::ErrorCode::kMultisigUnknownSigner,
                              "signer " + entry.signer.to_hex() + " is not a member of the policy");
    }
    if (!seen.insert(entry.signer).second) {
      return core::make_error(core::ErrorCode::kMultisigDuplicateSigner,
                              "signer " + entry.signer.to_hex() + " signed more than once");
    }
    if (!verify_digest(entry.signer, digest, entry.signature)) {
      return core::make_error(core::ErrorCode::kBadSignature,
                              "signature of signer " + entry.signer.to_hex() + " does not verify");
    }
  }
  if (seen.size() < policy.threshold) {
    return core::make_error(core::ErrorCode::kMultisigTooFewSignatures,
                            std::to_string(seen.size()) + " valid signatures, the policy needs " +
                                std::to_string(policy.threshold));
  }
  return {};
}

}  // namespace metanode::crypto
