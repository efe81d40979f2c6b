// XTMP's TLS 1.3 mutual authentication, in memory (two SSL objects joined by a BIO pair): the
// peer is identified by its validator key, keys outside the policy are refused, a client
// without a certificate or speaking TLS 1.2 fails the handshake; and the ML-KEM-768 inner layer
// agrees on keys, seals frames, and refuses altered, replayed or misrouted frames.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include "net/pq_channel.hpp"
#include "net/tls.hpp"

namespace metanode::net {
namespace {

crypto::Seed seed_of(int i) {
  crypto::Seed s{};
  s[0] = static_cast<core::Byte>(i);
  s[31] = 0x24;
  return s;
}

SslCtxPtr context(int i, bool server) {
  auto id = make_tls_identity(seed_of(i), "validator-" + std::to_string(i));
  EXPECT_TRUE(id.ok());
  auto ctx = make_tls_context(*id, server);
  EXPECT_TRUE(ctx.ok()) << ctx.error().to_string();
  return std::move(ctx).value();
}

struct Session {
  SSL* client = nullptr;
  SSL* server = nullptr;
  bool ok = false;
  ~Session() {
    SSL_free(client);
    SSL_free(server);
  }
};

// Runs both handshakes to completion over an in-memory BIO pair.
void handshake(Session& s, SSL_CTX* client_ctx, SSL_CTX* server_ctx) {
  s.client = SSL_new(client_ctx);
  s.server = SSL_new(server_ctx);
  BIO* a = nullptr;
  BIO* b = nullptr;
  ASSERT_EQ(BIO_new_bio_pair(&a, 0, &b, 0), 1);
  SSL_set_bio(s.client, a, a);
  SSL_set_bio(s.server, b, b);
  SSL_set_connect_state(s.client);
  SSL_set_accept_state(s.server);
  bool client_done = false, server_done = false;
  for (int i = 0; i < 50 && !(client_done && server_done); ++i) {
    for (auto [ssl, done] : {std::pair{s.client, &client_done}, std::pair{s.server, &server_done}}) {
      if (*done) continue;
      const int r = SSL_do_handshake(ssl);
      if (r == 1) {
        *done = true;
      } else {
        const int err = SSL_get_error(ssl, r);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) return;
      }
    }
  }
  s.ok = client_done && server_done;
}

TEST(XtmpTls, MutualHandshakeIdentifiesBothValidators) {
  auto client_ctx = context(1, false);
  auto server_ctx = context(2, true);
  Session s;
  handshake(s, client_ctx.get(), server_ctx.get());
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(SSL_version(s.client), TLS1_3_VERSION);
  EXPECT_EQ(*peer_key(s.client), crypto::KeyPair::from_seed(seed_of(2)).public_key());
  EXPECT_EQ(*peer_key(s.server), crypto::KeyPair::from_seed(seed_of(1)).public_key());
  const PeerPolicy policy({crypto::KeyPair::from_seed(seed_of(1)).public_key(), crypto::KeyPair::from_seed(seed_of(2)).public_key()});
  EXPECT_TRUE(policy.check(*peer_key(s.server)).ok());
  // Both ends export the same session secret; another session exports another.
  auto c = export_session_secret(s.client);
  auto v = export_session_secret(s.server);
  ASSERT_TRUE(c.ok() && v.ok());
  EXPECT_EQ(*c, *v);
  Session again;
  handshake(again, client_ctx.get(), server_ctx.get());
  ASSERT_TRUE(again.ok);
  EXPECT_NE(*export_session_secret(again.client), *c);
}

TEST(XtmpTls, UnknownKeyIsRefusedByPolicy) {
  auto client_ctx = context(9, false);  // a key outside the validator set
  auto server_ctx = context(2, true);
  Session s;
  handshake(s, client_ctx.get(), server_ctx.get());
  ASSERT_TRUE(s.ok);
  const PeerPolicy policy({crypto::KeyPair::from_seed(seed_of(1)).public_key(), crypto::KeyPair::from_seed(seed_of(2)).public_key()});
  auto st = policy.check(*peer_key(s.server));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, core::ErrorCode::kConsensusUnknownSigner);
}

TEST(XtmpTls, ClientWithoutCertificateOrWithTls12Fails) {
  auto server_ctx = context(2, true);
  {
    SslCtxPtr bare(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_verify(bare.get(), SSL_VERIFY_NONE, nullptr);
    Session s;
    handshake(s, bare.get(), server_ctx.get());
    EXPECT_FALSE(s.ok);
  }
  {
    auto old = context(1, false);
    SSL_CTX_set_min_proto_version(old.get(), TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(old.get(), TLS1_2_VERSION);
    Session s;
    handshake(s, old.get(), server_ctx.get());
    EXPECT_FALSE(s.ok);
  }
}

TEST(XtmpPqLayer, KemAgreesAndSealsFramesBothWays) {
  const core::Hash32 tls_secret{7};
  KemInitiator client;
  const core::Bytes offer = client.offer();
  EXPECT_EQ(offer.size(), crypto::kMlkemPublicKeyBytes);
  auto response = kem_respond(offer, tls_secret);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->reply.size(), crypto::kMlkemCiphertextBytes);
  auto client_keys = client.finish(response->reply, tls_secret);
  ASSERT_TRUE(client_keys.ok());
  EXPECT_EQ(client_keys->send, response->keys.receive);
  EXPECT_EQ(client_keys->receive, response->keys.send);
  EXPECT_NE(client_keys->send, client_keys->receive);

  SealedChannel c(*client_keys);
  SealedChannel s(response->keys);
  for (int i = 0; i < 3; ++i) {
    const core::Bytes msg{1, 2, static_cast<core::Byte>(i)};
    const core::Bytes sealed = c.seal(FrameType::kConsensus, 5, msg);
    EXPECT_EQ(*s.open(FrameType::kConsensus, 5, sealed), msg);
    const core::Bytes back = s.seal(FrameType::kResponse, 6, msg);
    EXPECT_EQ(*c.open(FrameType::kResponse, 6, back), msg);
  }
}

TEST(XtmpPqLayer, RefusesAlteredReplayedMisroutedAndMismatchedFrames) {
  const core::Hash32 tls_secret{7};
  KemInitiator client;
  auto response = kem_respond(client.offer(), tls_secret);
  ASSERT_TRUE(response.ok());
  SealedChannel c(*client.finish(response->reply, tls_secret));
  SealedChannel s(response->keys);
  const core::Bytes first = c.seal(FrameType::kConsensus, 1, core::Bytes{9, 9});
  core::Bytes altered = first;
  altered[0] ^= 1;
  EXPECT_EQ(s.open(FrameType::kConsensus, 1, altered).error().code, core::ErrorCode::kDecryptionFailed);
  EXPECT_FALSE(s.open(FrameType::kTxGossip, 1, first).ok());   // another frame type
  EXPECT_FALSE(s.open(FrameType::kConsensus, 2, first).ok());  // another stream
  ASSERT_TRUE(s.open(FrameType::kConsensus, 1, first).ok());
  EXPECT_FALSE(s.open(FrameType::kConsensus, 1, first).ok());  // replayed
  // Another TLS session's secret: the keys disagree.
  auto other = KemInitiator();
  auto r2 = kem_respond(other.offer(), tls_secret);
  auto mismatched = other.finish(r2->reply, core::Hash32{8});
  ASSERT_TRUE(mismatched.ok());
  EXPECT_NE(mismatched->send, r2->keys.receive);
  // Malformed offers and replies.
  EXPECT_FALSE(kem_respond(core::Bytes(10, 1), tls_secret).ok());
  EXPECT_FALSE(client.finish(core::Bytes(10, 1), tls_secret).ok());
}

}  // namespace
}  // namespace metanode::net
