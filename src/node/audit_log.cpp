#include "node/audit_log.hpp"

#include <spdlog/spdlog.h>

namespace metanode::node {

void RecentDecisions::record(const api::cage::Decision& d) {
  if (!d.allowed) {
    spdlog::info("cage: refused {} {} from {}{}: {} ({})", d.method, d.route, d.client_address,
                 d.identity.empty() ? std::string() : " as " + d.identity, d.reason, d.status);
  }
  std::lock_guard lock(mutex_);
  decisions_.push_back(d);
  while (decisions_.size() > capacity_) decisions_.pop_front();
}

nlohmann::json RecentDecisions::to_json(std::size_t limit) const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  for (auto it = decisions_.rbegin(); it != decisions_.rend() && out.size() < limit; ++it) {
    out.push_back({{"unix_ms", it->unix_ms},
                   {"identity", it->identity.empty() ? nlohmann::json(nullptr) : nlohmann::json(it->identity)},
                   {"client_address", it->client_address},
                   {"method", it->method},
                   {"route", it->route},
                   {"allowed", it->allowed},
                   {"reason", it->reason},
                   {"status", it->status},
                   {"request_digest", it->request_digest}});
  }
  return out;
}

}  // namespace metanode::node
