#include "services/route_table.hpp"

namespace metanode::services {

using api::cage::Access;

api::cage::RouteTable route_table() {
  api::cage::RouteTable t;
  // Every listener: health, metrics and the API description are public.
  t.add("GET", "/health", Access::open());
  t.add("GET", "/metrics", Access::open());
  t.add("GET", "/v1/openapi.json", Access::open());
  // The proof verification service: stateless checks against the genesis, open to anyone.
  t.add("POST", "/v1/verify", Access::open());
  t.add("GET", "/v1/verify/kinds", Access::open());
  // The node's Cage decisions (what it let in and refused): auditors and admins.
  t.add("GET", "/v1/audit/decisions", Access::roles_of({"auditor", "admin"}));
  // The audit trail: events with inclusion proofs, signed checkpoints, consistency proofs.
  for (const char* pattern : {"/v1/audit/checkpoint", "/v1/audit/checkpoints", "/v1/audit/checkpoints/{size}",
                              "/v1/audit/events", "/v1/audit/events/{index}", "/v1/audit/consistency",
                              "/v1/audit/witness"}) {
    t.add("GET", pattern, Access::roles_of({"auditor", "admin"}));
  }

  // Ledger (base+1). Reads of chain data are public: every answer carries its proof. Submitting
  // stays open, since each transaction carries its own signature; the Cage rate-limits it.
  t.add("POST", "/v1/txs", Access::open());
  t.add("POST", "/v1/txs/batch", Access::open());
  t.add("GET", "/v1/txs/{hash}", Access::open());
  t.add("GET", "/v1/blocks/{height}", Access::open());
  t.add("GET", "/v1/accounts/{address}", Access::open());
  t.add("GET", "/v1/state/{module}/{key}", Access::open());
  t.add("GET", "/v1/mempool", Access::open());
  t.add("GET", "/v1/gov/roles", Access::open());
  t.add("GET", "/v1/gov/roles/{address}", Access::open());
  t.add("GET", "/v1/gov/proposals", Access::open());
  t.add("GET", "/v1/gov/proposals/{id}", Access::open());
  // Economics (base+7): committed state with its proofs and the fee history, public like the reads above.
  for (const char* pattern : {"/v1/econ/supply", "/v1/econ/params", "/v1/econ/validators", "/v1/econ/rewards/{address}",
                              "/v1/econ/payouts", "/v1/econ/fees", "/v1/econ/slashes"}) {
    t.add("GET", pattern, Access::open());
  }
  // Oracle (base+2): feeds and rounds, committed state with its proofs, public.
  for (const char* pattern : {"/v1/feeds", "/v1/feeds/{id}/latest", "/v1/feeds/{id}/rounds/{round}"}) {
    t.add("GET", pattern, Access::open());
  }
  // Registry (base+3): leases, committed state with its proofs, public.
  t.add("GET", "/v1/registry/services", Access::open());
  t.add("GET", "/v1/registry/services/{name}", Access::open());
  t.add("GET", "/v1/registry/watch", Access::open());
  // The committed-block stream (WebSocket): chain data, public like the reads above.
  t.add("GET", "/v1/events", Access::open());
  return t;
}

}  // namespace metanode::services
