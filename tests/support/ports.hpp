// Fixed loopback ports for tests whose nodes must name each other before any starts (peer lists).
// Below Linux's ephemeral range (32768+), so an outgoing connection does not take one meanwhile,
// and above the defaults a developer's devnet holds; random per process so parallel tests differ.
#pragma once

#include <unistd.h>

#include <boost/asio.hpp>
#include <cstdint>
#include <random>
#include <set>

namespace metanode::testing {

inline bool port_free(std::uint16_t port) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  acceptor.open(boost::asio::ip::tcp::v4(), ec);
  if (ec) return false;
  acceptor.bind(boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), port), ec);
  return !ec;
}

class PortPicker {
 public:
  PortPicker() : rng_(static_cast<std::uint32_t>(::getpid()) * 7919u + static_cast<std::uint32_t>(std::random_device{}())) {}
  // A node's port base whose every service port (base+1 … base+7: ledger, oracle, registry, XTMP,
  // storage, proofs, economics) is free; 0 when none was found.
  std::uint16_t base() {
    for (int attempt = 0; attempt < 1000; ++attempt) {
      const auto b = static_cast<std::uint16_t>(20'000 + rng_() % 12'000);
      if (taken(b, 8) || !all_free(b)) continue;
      used_.insert(b);
      return b;
    }
    return 0;
  }
  // One free port (for a listener that is not a node).
  std::uint16_t single() {
    const std::uint16_t b = base();
    return b == 0 ? 0 : static_cast<std::uint16_t>(b + 4);
  }

 private:
  static bool all_free(std::uint16_t b) {
    for (std::uint16_t offset = 1; offset <= 7; ++offset) {
      if (!port_free(static_cast<std::uint16_t>(b + offset))) return false;
    }
    return true;
  }
  bool taken(std::uint16_t b, std::uint16_t span) const {
    for (const auto u : used_) {
      if (b + span > u && u + span > b) return true;
    }
    return false;
  }
  std::mt19937 rng_;
  std::set<std::uint16_t> used_;
};

}  // namespace metanode::testing
