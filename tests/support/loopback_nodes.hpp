// What the in-process multi-node tests share (full nodes, validator joins): the standard module
// set as node plug-ins, a node configuration on loopback with fast round timers whose peers are
// the given validators, and the wait until every validator links with the others and commits.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "modules/module_set.hpp"
#include "node/node.hpp"
#include "support/wait.hpp"

namespace metanode::testing {

inline node::NodePlugins standard_plugins() {
  node::NodePlugins p;
  auto set = modules::standard_modules_with({});
  EXPECT_TRUE(set.ok());
  if (set.ok()) p.modules = *set;
  return p;
}

// `validators[j]` listens for XTMP on `bases[j] + 4`.
inline node::NodeConfig loopback_config(const std::filesystem::path& dir, const std::string& role, std::uint16_t base,
                                        const std::vector<crypto::KeyPair>& validators,
                                        const std::vector<std::uint16_t>& bases) {
  node::NodeConfig config;
  config.config_dir = dir;
  std::filesystem::create_directories(config.config_dir);
  config.role = role;
  config.port_base = base;
  config.round_timeout_ms = 300;
  config.round_timeout_cap_ms = 1200;
  config.http_threads = 1;
  for (std::size_t j = 0; j < validators.size(); ++j) {
    config.peers.push_back(validators[j].public_key().to_hex() + "@127.0.0.1:" + std::to_string(bases[j] + 4));
  }
  return config;
}

// Every validator linked with the others and at `height` or above.
inline bool network_formed(const std::vector<std::unique_ptr<node::Node>>& validators, std::uint64_t height,
                           std::chrono::milliseconds guard) {
  return eventually([&] {
    for (const auto& node : validators) {
      if (node->runtime_status().peers_connected != validators.size() - 1 || node->chain().head().height < height) return false;
    }
    return true;
  }, guard);
}

}  // namespace metanode::testing
