// The ledger service's OpenAPI 3 document, served at GET /v1/openapi.json.
#include <nlohmann/json.hpp>

#include "api/ledger_service.hpp"

namespace metanode::api {
namespace {

nlohmann::json error_schema_ref() { return {{"$ref", "#/components/schemas/Error"}}; }

nlohmann::json json_response(const std::string& description, const nlohmann::json& schema) {
  return {{"description", description}, {"content", {{"application/json", {{"schema", schema}}}}}};
}

nlohmann::json build() {
  using nlohmann::json;
  const json err = json_response("error with a stable code", error_schema_ref());
  const json hash_param = {{"name", "hash"}, {"in", "path"}, {"required", true},
                           {"schema", {{"type", "string"}, {"pattern", "^[0-9a-f]{64}$"}}}};
  json doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = {{"title", "Metanode ledger API"}, {"version", "1"},
                 {"description", "Submit signed transactions, read blocks, transactions and accounts with Merkle "
                                 "proofs, watch the fee auction and stream new blocks."}};
  doc["paths"] = json::object();
  doc["paths"]["/v1/txs"]["post"] = {
      {"summary", "Submit a signed transaction"},
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
      {"parameters", json::array({{{"name", "address"}, {"in", "path"}, {"required", true},
                                   {"schema", {{"type", "string"}, {"pattern", "^mn1"}}}}})},
      {"responses", {{"200", json_response("the account", {{"type", "object"}})}, {"400", err}}}};
  doc["paths"]["/v1/mempool"]["get"] = {
      {"summary", "Pending count, base fee and the current bid ladder"},
      {"parameters", json::array({{{"name", "levels"}, {"in", "query"}, {"schema", {{"type", "integer"}}}}})},
      {"responses", {{"200", json_response("mempool status", {{"type", "object"}})}}}};
  doc["paths"]["/v1/events"]["get"] = {
      {"summary", "WebSocket: one JSON message per committed block"},
      {"responses", {{"101", {{"description", "switching protocols"}}}}}};
  doc["paths"]["/v1/openapi.json"]["get"] = {{"summary", "This document"},
                                             {"responses", {{"200", {{"description", "OpenAPI 3"}}}}}};
  doc["paths"]["/health"]["get"] = {{"summary", "Liveness and head"},
                                    {"responses", {{"200", {{"description", "ok"}}}}}};
  doc["paths"]["/metrics"]["get"] = {{"summary", "Prometheus metrics"},
                                     {"responses", {{"200", {{"description", "text exposition format"}}}}}};
  doc["components"]["schemas"]["Error"] = {
      {"type", "object"},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"properties", {{"code", {{"type", "string"}}}, {"number", {{"type", "integer"}}},
                          {"message", {{"type", "string"}}}}}}}}}};
  doc["components"]["schemas"]["Transaction"] = {
      {"type", "object"},
      {"required", json::array({"chain_id", "nonce", "max_fee", "bid", "payload"})},
      {"properties",
       {{"chain_id", {{"type", "string"}}},
        {"sender_kind", {{"type", "string"}, {"enum", json::array({"single", "multisig"})}}},
        {"sender_key", {{"type", "string"}}},
        {"sender_policy", {{"type", "object"}}},
        {"nonce", {{"type", "integer"}}},
        {"max_fee", {{"type", "integer"}}},
        {"bid", {{"type", "integer"}}},
        {"payload",
         {{"type", "object"},
          {"properties", {{"type", {{"type", "string"}, {"enum", json::array({"transfer"})}}},
                          {"to", {{"type", "string"}}}, {"amount", {{"type", "integer"}}}}}}},
        {"memo", {{"type", "string"}, {"maxLength", 256}}},
        {"signature", {{"type", "string"}}},
        {"signatures", {{"type", "array"}, {"items", {{"type", "object"}}}}}}}};
  doc["components"]["schemas"]["Block"] = {
      {"type", "object"},
      {"properties",
       {{"hash", {{"type", "string"}}},
        {"header", {{"type", "object"}}},
        {"commit", {{"type", "object"}}},
        {"finality",
         {{"type", "object"},
          {"description",
           "Consensus proof: the consensus block id, round and proposer, and the quorum certificate (vote kind, "
           "height, round, the block it commits, one signature per validator index); `encoded` is the canonical bytes"}}},
        {"tx_hashes", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}};
  return doc;
}

}  // namespace

const std::string& ledger_openapi_json() {
  static const std::string text = build().dump(2);
  return text;
}

}  // namespace metanode::api
