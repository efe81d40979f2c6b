// Shared by the transport and node tests: an XTMP peer a test drives by hand.
#pragma once

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <optional>

#include "net/frame.hpp"
#include "net/identity.hpp"
#include "net/pq_channel.hpp"
#include "net/tls.hpp"

namespace metanode::net::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// A raw XTMP client built from the transport's own pieces (TLS 1.3 with a chosen identity, then
// the ML-KEM exchange), so a test can misbehave on purpose: send garbage, oversized or unsealed
// frames, stop reading, or stay silent.
struct RawXtmpClient {
  asio::io_context io;
  std::optional<asio::ssl::context> ctx;
  std::optional<asio::ssl::stream<tcp::socket>> ssl;
  std::optional<SealedChannel> channel;
  FrameReader reader;

  // TLS 1.3 with `seed`'s certificate, then (post_quantum) the KEM exchange. False on failure.
  bool connect(std::uint16_t port, const crypto::Seed& seed, bool post_quantum = true) {
    auto id = make_tls_identity(seed, "raw");
    if (!id.ok()) return false;
    auto native = make_tls_context(*id, /*server=*/false);
    if (!native.ok()) return false;
    ctx.emplace(native->release());
    ssl.emplace(io, *ctx);
    boost::system::error_code ec;
    ssl->next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (ec) return false;
    ssl->handshake(asio::ssl::stream_base::client, ec);
    if (ec) return false;
    if (!post_quantum) return true;
    KemInitiator kem;
    write_frame(FrameType::kKemOffer, 0, kem.offer());
    auto reply = read_frame(3000ms);
    if (!reply || reply->type != FrameType::kKemReply) return false;
    auto secret = export_session_secret(ssl->native_handle());
    auto keys = kem.finish(reply->payload, *secret);
    if (!keys.ok()) return false;
    channel.emplace(*keys);
    return true;
  }
  void write_bytes(core::ByteView bytes) {
    boost::system::error_code ec;
    asio::write(*ssl, asio::buffer(bytes.data(), bytes.size()), ec);
  }
  void write_frame(FrameType type, std::uint32_t stream, core::ByteView payload) {
    core::Bytes out;
    append_frame(out, type, stream, payload);
    write_bytes(out);
  }
  void send_sealed(FrameType type, std::uint32_t stream, core::ByteView payload) {
    write_frame(type, stream, channel->seal(type, stream, payload));
  }
  // Reads until one frame arrives (opened when keyed), the link ends, or the time is up.
  std::optional<Frame> read_frame(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto next = reader.next();
      if (!next.ok()) return std::nullopt;
      if (next->has_value()) {
        Frame f = std::move(**next);
        if (channel) {
          auto plain = channel->open(f.type, f.stream, f.payload);
          if (!plain.ok()) return std::nullopt;
          f.payload = *plain;
        }
        return f;
      }
      if (closed_ || !read_some(end)) return std::nullopt;
    }
  }
  // True when the other side ends the link within `limit` (whatever it sends before that is read
  // and ignored).
  bool closed_within(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!closed_) {
      if (!read_some(end) && !closed_) return false;
    }
    return true;
  }

 private:
  bool closed_ = false;
  // One read with a deadline; false on timeout or end of stream.
  bool read_some(std::chrono::steady_clock::time_point end) {
    std::array<core::Byte, 65536> buf;
    bool done = false;
    boost::system::error_code result;
    std::size_t got = 0;
    ssl->async_read_some(asio::buffer(buf), [&](const boost::system::error_code& ec, std::size_t n) {
      done = true;
      result = ec;
      got = n;
    });
    io.restart();
    const auto left = end - std::chrono::steady_clock::now();
    io.run_for(left > 0ms ? std::chrono::duration_cast<std::chrono::milliseconds>(left) : 0ms);
    if (!done) {
      boost::system::error_code ignored;
      ssl->next_layer().cancel(ignored);
      io.restart();
      io.run();
      if (!result || result == asio::error::operation_aborted) return false;
    }
    if (result) {
      closed_ = true;
      return false;
    }
    reader.feed(core::ByteView(buf.data(), got));
    return true;
  }
};

}  // namespace metanode::net::testing
