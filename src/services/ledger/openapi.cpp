// The ledger service's OpenAPI 3 paths and schemas (the host adds the common routes).
#include <nlohmann/json.hpp>

#include "services/ledger/ledger_service.hpp"
#include "services/service.hpp"

namespace metanode::services {
namespace {

nlohmann::json json_response(const std::string& description, const nlohmann::json& schema) {
  return openapi_json_response(description, schema);
}

// Longer than a screen on purpose: one declarative document, read top to bottom like the API it
// describes; splitting it would scatter each route from its neighbours.
nlohmann::json build() {
  using nlohmann::json;
  const json err = openapi_error_response();
  const json hash_param = {{"name", "hash"}, {"in", "path"}, {"required", true},
                           {"schema", {{"type", "string"}, {"pattern", "^[0-9a-f]{64}$"}}}};
  json doc;
  doc["paths"] = json::object();
  doc["paths"]["/v1/txs"]["post"] = {
      {"summary", "Submit a signed transaction"},
      {"description",
       "Signatures sign BLAKE3-derive-key(\"metanode/v1/tx-signature\", genesis_digest || transaction hash); "
       "genesis_digest is in GET /health. A signature for another chain is refused with bad_signature."},
      {"requestBody",
       {{"required", true},
        {"content",
         {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Transaction"}}}}},
          {"application/octet-stream",
           {{"schema", {{"type", "string"}, {"format", "binary"}, {"description", "canonical binary encoding"}}}}}}}}},
      {"responses",
       {{"202", json_response("admitted to the mempool",
                              {{"type", "object"},
                               {"properties", {{"hash", {{"type", "string"}}}, {"status", {{"type", "string"}}},
                                               {"replaced", {{"type", "string"}}},
                                               {"evicted", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}})},
        {"400", err}, {"409", err}, {"413", err}, {"429", err}, {"503", err}}}};
  doc["paths"]["/v1/txs/batch"]["post"] = {
      {"summary", "Submit up to 10,000 signed transactions at once"},
      {"requestBody",
       {{"required", true},
        {"content",
         {{"application/octet-stream",
           {{"schema", {{"type", "string"}, {"format", "binary"},
                        {"description", "u32 count, then per transaction a u32 length and its canonical bytes"}}}}}}}}},
      {"responses",
       {{"202", json_response("how many were admitted, and why the others were not",
                              {{"type", "object"},
                               {"properties", {{"accepted", {{"type", "integer"}}},
                                               {"rejected", {{"type", "array"}, {"items", {{"type", "object"}}}}}}}})},
        {"400", err}, {"413", err}, {"415", err}}}};
  doc["paths"]["/v1/txs/{hash}"]["get"] = {
      {"summary", "A transaction: committed (with receipt, height and inclusion proof), pending or dropped"},
      {"description",
       "A committed transaction comes with everything a light client needs, holding only the genesis file: "
       "`tx.encoded` and `receipt.encoded` (canonical bytes), `inclusion_proof` (leaf_hash(tx hash) in the "
       "header's tx_root) and `receipt_proof` (leaf_hash(receipt hash) in its receipts_root, same index), and "
       "`block` (SignedHeader) whose certificate a quorum of the genesis validators signed. Both proofs are for "
       "a tree of exactly header.tx_count leaves. A pending transaction says why it is not in a block yet: "
       "`waiting.code` is `tx_fee_too_low` (its max_fee no longer covers the base fee: it waits until the base fee "
       "falls), `tx_nonce_gap` (an earlier nonce of its sender is missing) or `in_line` (it pays `waiting.tip` over "
       "the base fee; proposals take the highest tip actually paid first)."},
      {"parameters", json::array({hash_param})},
      {"responses", {{"200", json_response("found", {{"type", "object"}})}, {"400", err}, {"404", err}}}};
  doc["paths"]["/v1/blocks/{height}"]["get"] = {
      {"summary", "A block by height, or the latest"},
      {"parameters",
       json::array({{{"name", "height"}, {"in", "path"}, {"required", true},
                     {"schema", {{"type", "string"}, {"description", "a number or 'latest'"}}}},
                    {{"name", "full"}, {"in", "query"}, {"schema", {{"type", "boolean"}}}},
                    {{"name", "receipts"}, {"in", "query"}, {"schema", {{"type", "boolean"}}}}})},
      {"responses", {{"200", json_response("the block", {{"$ref", "#/components/schemas/Block"}})}, {"400", err},
                     {"404", err}}}};
  doc["paths"]["/v1/accounts/{address}"]["get"] = {
      {"summary", "Balance and nonce of an account, with a sparse Merkle proof against the state root"},
      {"description",
       "`value` is the proven record's canonical bytes (u64le balance, u64le nonce; null: proven absent) and "
       "`block` the SignedHeader of `height`, so the proof checks against a header signed by a quorum."},
      {"parameters", json::array({{{"name", "address"}, {"in", "path"}, {"required", true},
                                   {"schema", {{"type", "string"}, {"pattern", "^mn1"}}}},
                                  {{"name", "height"}, {"in", "query"}, {"description", "a block height, or 'certified': the newest block with a header certificate (default: the latest block)"},
                                   {"schema", {{"type", "string"}}}}})},
      {"responses", {{"200", json_response("the account", {{"type", "object"}})}, {"400", err}, {"404", err}}}};
  doc["paths"]["/v1/state/{module}/{key}"]["get"] = {
      {"summary", "One module's state entry (or its absence) with a sparse Merkle proof of tree_key = "
                  "hash(state-key, module || key) against the state root at that height"},
      {"parameters",
       json::array({{{"name", "module"}, {"in", "path"}, {"required", true},
                     {"schema", {{"type", "string"}, {"pattern", "^[a-z0-9_]{1,32}$"}}}},
                    {{"name", "key"}, {"in", "path"}, {"required", true},
                     {"description", "hex bytes, or the module's own text form (bank: an address)"},
                     {"schema", {{"type", "string"}}}},
                    {{"name", "height"}, {"in", "query"}, {"description", "a block height, or 'certified': the newest block with a header certificate (default: the latest block)"},
                     {"schema", {{"type", "string"}}}}})},
      {"responses",
       {{"200", json_response("the entry: module, key, tree_key, exists, value_hex, value (the module's JSON form), "
                              "height, state_root, proof, and block (the SignedHeader of that height)",
                              {{"type", "object"}})},
        {"400", err},
        {"404", err}}}};
  const json height_query = {{"name", "height"}, {"in", "query"},
                             {"description", "a block height, or 'certified': the newest block with a header certificate (default: the latest block)"},
                             {"schema", {{"type", "string"}}}};
  doc["paths"]["/v1/gov/roles"]["get"] = {
      {"summary", "Every role (built-in and custom) with its holders, and the admin council, at the latest block"},
      {"description", "Each record is also a gov state entry with a proof: GET /v1/state/gov/role:NAME and "
                      "/v1/state/gov/council."},
      {"responses", {{"200", json_response("height, roles [{role, description, builtin, holders}], council {threshold, members} or null",
                                           {{"type", "object"}})}}}};
  doc["paths"]["/v1/gov/roles/{address}"]["get"] = {
      {"summary", "The roles one address holds, with the sparse Merkle proof of its gov entry (holder:ADDRESS)"},
      {"parameters", json::array({{{"name", "address"}, {"in", "path"}, {"required", true},
                                   {"schema", {{"type", "string"}, {"pattern", "^mn1"}}}},
                                  height_query})},
      {"responses", {{"200", json_response("address, roles, and the state entry fields of GET /v1/state (proof, block)",
                                           {{"type", "object"}})},
                     {"400", err},
                     {"404", err}}}};
  doc["paths"]["/v1/gov/proposals"]["get"] = {
      {"summary", "Governance proposals, newest first, with their status at the latest block"},
      {"parameters", json::array({{{"name", "status"}, {"in", "query"}, {"description", "open (default) or all"},
                                   {"schema", {{"type", "string"}, {"enum", json::array({"open", "all"})}}}},
                                  {{"name", "limit"}, {"in", "query"}, {"description", "1-200 (default 20)"},
                                   {"schema", {{"type", "integer"}}}}})},
      {"responses", {{"200", json_response("height, next_id, council, proposals [{id, action, role, subject, proposer, "
                                           "approvals, expiry_height, status: open|expired|executed|failed, ...}]",
                                           {{"type", "object"}})},
                     {"400", err}}}};
  doc["paths"]["/v1/gov/proposals/{id}"]["get"] = {
      {"summary", "One proposal with the sparse Merkle proof of its gov entry (proposal:ID)"},
      {"parameters", json::array({{{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "integer"}}}},
                                  height_query})},
      {"responses", {{"200", json_response("proposal, and the state entry fields of GET /v1/state (proof, block)",
                                           {{"type", "object"}})},
                     {"400", err},
                     {"404", err}}}};
  doc["paths"]["/v1/mempool"]["get"] = {
      {"summary", "Pending count, base fee and the current bid ladder"},
      {"parameters", json::array({{{"name", "levels"}, {"in", "query"}, {"schema", {{"type", "integer"}}}}})},
      {"responses", {{"200", json_response("mempool status", {{"type", "object"}})}}}};
  doc["paths"]["/v1/events"]["get"] = {
      {"summary", "WebSocket: one JSON message per committed block"},
      {"description", "Connect with Upgrade: websocket; the upgrade passes the Cage like any request."},
      {"responses", {{"101", {{"description", "switching protocols"}}}, {"426", err}}}};
  doc["components"]["schemas"]["Transaction"] = {
      {"type", "object"},
      {"required", json::array({"chain_id", "nonce", "max_fee", "bid", "payload"})},
      {"properties",
       {{"chain_id", {{"type", "string"}}},
        {"sender_kind", {{"type", "string"}, {"enum", json::array({"single", "multisig"})}}},
        {"sender_key", {{"type", "string"}}},
        {"sender_policy", {{"type", "object"}}},
        {"nonce", {{"type", "string"}, {"pattern", "^[0-9]{1,20}$"}, {"description", "u64 as a decimal string (a JSON number is accepted on input)"}}},
        {"max_fee", {{"type", "string"}, {"pattern", "^[0-9]{1,20}$"}, {"description", "u64 as a decimal string (a JSON number is accepted on input)"}}},
        {"bid", {{"type", "string"}, {"pattern", "^[0-9]{1,20}$"}, {"description", "u64 as a decimal string (a JSON number is accepted on input)"}}},
        {"payload",
         {{"type", "object"},
          {"description", "module and kind name what the transaction does; the other fields are the kind's "
                          "(bank/transfer: to, amount), or data: the payload's canonical bytes in hex"},
          {"required", json::array({"module", "kind"})},
          {"properties", {{"module", {{"type", "string"}}}, {"kind", {{"type", "string"}}},
                          {"data", {{"type", "string"}}}, {"to", {{"type", "string"}}},
                          {"amount", {{"type", "string"}, {"pattern", "^[0-9]{1,20}$"}, {"description", "u64 as a decimal string (a JSON number is accepted on input)"}}}}}}},
        {"memo", {{"type", "string"}, {"maxLength", 256}, {"description", "UTF-8 text, at most 256 bytes"}}},
        {"encoded", {{"type", "string"}, {"description", "read only: the canonical bytes (hex), signatures included"}}},
        {"signature", {{"type", "string"}}},
        {"signatures", {{"type", "array"}, {"items", {{"type", "object"}}}}}}}};
  doc["components"]["schemas"]["Block"] = {
      {"type", "object"},
      {"properties",
       {{"hash", {{"type", "string"}}},
        {"header", {{"type", "object"}, {"description", "its fields, and `encoded`: the canonical bytes it hashes to"}}},
        {"commit", {{"type", "object"}}},
        {"certificate", {{"$ref", "#/components/schemas/Certificate"}}},
        {"finality",
         {{"type", "object"},
          {"description",
           "Consensus proof: the consensus block id, round and proposer, and the quorum certificate (vote kind, "
           "height, round, the block it commits, one signature per validator index); `encoded` is the canonical bytes"}}},
        {"tx_hashes", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}};
  doc["components"]["schemas"]["Certificate"] = {
      {"type", "object"},
      {"nullable", true},
      {"description",
       "A quorum (floor(2n/3)+1) of the genesis validators' Ed25519 signatures over "
       "BLAKE3-derive-key(\"metanode/v1/vote\", genesis_digest || u64le(height) || block_hash), where genesis_digest = "
       "BLAKE3-derive-key(\"metanode/v1/genesis\", the genesis file in its canonical form) and block_hash is the "
       "header's hash. Null while the signatures are being gathered (a moment after the block is applied)."},
      {"properties",
       {{"height", {{"type", "integer"}}},
        {"block_hash", {{"type", "string"}}},
        {"signatures", {{"type", "array"}, {"items", {{"type", "object"}}}}},
        {"encoded", {{"type", "string"}}}}}};
  doc["components"]["schemas"]["SignedHeader"] = {
      {"type", "object"},
      {"properties",
       {{"hash", {{"type", "string"}}},
        {"header", {{"type", "object"}}},
        {"certificate", {{"$ref", "#/components/schemas/Certificate"}}}}}};
  return doc;
}

}  // namespace

nlohmann::json ledger_openapi_paths() { return build()["paths"]; }
nlohmann::json ledger_openapi_schemas() { return build()["components"]["schemas"]; }

}  // namespace metanode::services
