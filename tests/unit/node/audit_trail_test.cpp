// What the audit trail records of a Cage decision: the request's fields, and the jurisdiction
// tags governance set on its signer and on the service that took it, merged.
#include "node/audit_log.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "modules/module_set.hpp"

namespace metanode::node {
namespace {

TEST(AuditTrail, ARequestEventCarriesItsSignersAndItsServicesJurisdictions) {
  const auto dir = std::filesystem::temp_directory_path() / ("audit-trail-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  storage::OpenOptions open;
  open.chain_id = "trail";
  auto db = std::move(storage::CueDb::open(dir, open)).value();
  const crypto::KeyPair key = crypto::KeyPair::generate();
  storage::AuditLogOptions options;
  options.origin = "trail/node/audit";
  options.ed25519 = &key;
  auto log = std::move(storage::AuditLog::open(*db, options)).value();
  const ledger::ModuleSet modules = modules::standard_modules();
  AuditTrail trail(*log, modules);
  int lookups = 0;
  trail.set_jurisdictions([&](const std::string& actor) {
    ++lookups;
    return actor == "mn1signer" ? std::vector<std::string>{"EU", "DE"} : std::vector<std::string>{};
  });
  trail.set_service_jurisdictions([](const std::string& service) {
    return service == "ledger" ? std::vector<std::string>{"SG", "EU"} : std::vector<std::string>{};
  });

  api::cage::Decision signed_request{1'796'000'000'000, "mn1signer", "10.0.0.7", "GET", "/v1/audit/events", true,
                                     "role:auditor", 200, "ab", "ledger"};
  trail.record(signed_request);
  trail.record(signed_request);
  api::cage::Decision unsigned_request{1'796'000'000'001, "", "10.0.0.8", "POST", "/v1/verify", true, "public", 200, "cd",
                                       "proofs"};
  trail.record(unsigned_request);
  ASSERT_TRUE(log->flush().ok());

  const auto first = log->event(0).value().event;
  EXPECT_EQ(first.action, "http.request");
  EXPECT_EQ(first.actor, "mn1signer");
  EXPECT_EQ(first.subject, "GET /v1/audit/events");
  EXPECT_EQ(first.jurisdictions, (std::vector<std::string>{"DE", "EU", "SG"})) << "sorted, without repeats";
  EXPECT_EQ(lookups, 1) << "an actor's tags are read once until governance changes them";
  const auto third = log->event(2).value().event;
  EXPECT_EQ(third.actor, "10.0.0.8");
  EXPECT_TRUE(third.jurisdictions.empty());
  log->stop();
  log.reset();
  db.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace metanode::node
