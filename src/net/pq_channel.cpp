#include "net/pq_channel.hpp"

#include "core/codec.hpp"
#include "core/hash.hpp"

namespace metanode::net {
namespace {
using core::ErrorCode;
using core::make_error;

// Both directions' keys from one transcript: the TLS secret binds them to this handshake, the
// encapsulation key and ciphertext to this KEM run.
ChannelKeys derive(const crypto::MlkemSharedSecret& shared, const core::Hash32& tls_secret, core::ByteView offer,
                   core::ByteView reply, bool initiator) {
  core::Hasher master(core::Domain::XtmpKeys);
  master.update(tls_secret).update(shared).update(core::hash(core::Domain::XtmpKeys, offer)).update(
      core::hash(core::Domain::XtmpKeys, reply));
  const core::Hash32 m = master.finalize();
  auto direction = [&m](std::string_view label) {
    core::Hasher h(core::Domain::XtmpKeys);
    h.update(m).update(core::as_bytes(label));
    return h.finalize();
  };
  const core::Hash32 c2s = direction("client-to-server");
  const core::Hash32 s2c = direction("server-to-client");
  ChannelKeys keys;
  std::copy(c2s.begin(), c2s.end(), (initiator ? keys.send : keys.receive).begin());
  std::copy(s2c.begin(), s2c.end(), (initiator ? keys.receive : keys.send).begin());
  return keys;
}

crypto::AesNonce nonce_of(std::uint64_t counter) {
  crypto::AesNonce n{};
  for (int i = 0; i < 8; ++i) n[i] = static_cast<core::Byte>(counter >> (8 * i));
  return n;
}

core::Bytes aad_of(FrameType type, std::uint32_t stream) {
  core::Writer w(5);
  w.u8(static_cast<std::uint8_t>(type));
  w.u32(stream);
  return std::move(w).take();
}
}  // namespace

KemInitiator::KemInitiator() : kem_(std::make_unique<crypto::MlkemKeyPair>(crypto::MlkemKeyPair::generate())) {}

core::Bytes KemInitiator::offer() const {
  const auto& pk = kem_->public_key().bytes;
  return core::Bytes(pk.begin(), pk.end());
}

core::Result<ChannelKeys> KemInitiator::finish(core::ByteView reply, const core::Hash32& tls_secret) const {
  MN_TRY_ASSIGN(crypto::MlkemCiphertext ct, core::decode<crypto::MlkemCiphertext>(reply));
  const crypto::MlkemSharedSecret shared = kem_->decapsulate(ct);
  return derive(shared, tls_secret, offer(), reply, /*initiator=*/true);
}

core::Result<KemResponse> kem_respond(core::ByteView offer, const core::Hash32& tls_secret) {
  MN_TRY_ASSIGN(crypto::MlkemPublicKey pk, core::decode<crypto::MlkemPublicKey>(offer));
  const crypto::MlkemEncapsulation enc = crypto::mlkem_encapsulate(pk);
  KemResponse out;
  out.reply = core::encode(enc.ciphertext);
  out.keys = derive(enc.shared_secret, tls_secret, offer, out.reply, /*initiator=*/false);
  return out;
}

core::Bytes SealedChannel::seal(FrameType type, std::uint32_t stream, core::ByteView payload) {
  return crypto::aes256gcm_encrypt(keys_.send, nonce_of(sent_++), payload, aad_of(type, stream));
}

core::Result<core::Bytes> SealedChannel::open(FrameType type, std::uint32_t stream, core::ByteView sealed) {
  auto plain = crypto::aes256gcm_decrypt(keys_.receive, nonce_of(received_), sealed, aad_of(type, stream));
  if (!plain.ok()) return make_error(ErrorCode::kDecryptionFailed, "XTMP frame does not open: altered, replayed or reordered");
  ++received_;
  return plain;
}

}  // namespace metanode::net
