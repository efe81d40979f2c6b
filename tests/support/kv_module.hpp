// A tiny key-value module, registered only in tests: the worked example of a module (see the
// README's "How a module plugs in"). Nothing in the executor, mempool, API or CLI knows it; the
// tests add it to the module set and use it end to end.
//
//   payload "put":    key (bytes, 1-64) || value (bytes, 0-1024)      JSON: {"key": "..", "value": ".."}
//   payload "delete": key (bytes, 1-64)                               JSON: {"key": ".."}
//   genesis section:  {"entries": {"<key text>": "<value text>", ...}}
//   events:           "put" and "delete", data = the key
//   end-block hook:   counts blocks under the key "#blocks" (u64 LE), to exercise the hooks
//
// Keys and values travel as UTF-8 text in JSON and as bytes on chain; in URLs a key is hex.
#pragma once

#include <nlohmann/json.hpp>

#include "ledger/module.hpp"

namespace metanode::testing {

class KvModule : public ledger::Module {
 public:
  static constexpr std::string_view kName = "kv";
  static constexpr std::size_t kKeyBytesMax = 64;
  static constexpr std::size_t kValueBytesMax = 1024;
  static constexpr std::string_view kBlocksKey = "#blocks";

  struct Put {
    core::Bytes key;
    core::Bytes value;
    void encode(core::Writer& w) const {
      w.bytes(key, kKeyBytesMax);
      w.bytes(value, kValueBytesMax);
    }
    static core::Result<Put> decode(core::Reader& r) {
      Put p;
      MN_TRY_ASSIGN(p.key, r.bytes(kKeyBytesMax));
      MN_TRY_ASSIGN(p.value, r.bytes(kValueBytesMax));
      return p;
    }
  };
  struct Delete {
    core::Bytes key;
    void encode(core::Writer& w) const { w.bytes(key, kKeyBytesMax); }
    static core::Result<Delete> decode(core::Reader& r) {
      Delete d;
      MN_TRY_ASSIGN(d.key, r.bytes(kKeyBytesMax));
      return d;
    }
  };

  static ledger::Payload put(std::string_view key, std::string_view value) {
    return {std::string(kName), "put", core::encode(Put{bytes_of(key), bytes_of(value)})};
  }
  static ledger::Payload erase(std::string_view key) {
    return {std::string(kName), "delete", core::encode(Delete{bytes_of(key)})};
  }

  std::string_view name() const override { return kName; }
  std::vector<std::string_view> payload_kinds() const override { return {"put", "delete"}; }

  core::Status check_payload(const ledger::Payload& payload, const crypto::Address&) const override {
    MN_TRY_ASSIGN(const core::Bytes key, key_of(payload));
    if (key.empty()) return malformed("key is empty");
    if (core::as_chars(key) == kBlocksKey) return malformed("key #blocks is the module's own");
    return {};
  }

  core::Status apply(const ledger::TxContext& tx, ledger::ModuleState& state,
                     std::vector<ledger::Event>& events) const override {
    if (tx.tx.payload.kind == "put") {
      MN_TRY_ASSIGN(Put p, core::decode<Put>(tx.tx.payload.data));
      MN_TRY(state.put(p.key, p.value));
      events.push_back(ledger::Event{std::string(kName), "put", p.key});
      return {};
    }
    MN_TRY_ASSIGN(Delete d, core::decode<Delete>(tx.tx.payload.data));
    MN_TRY_ASSIGN(auto existing, state.get(d.key));
    if (!existing.has_value()) return core::make_error(core::ErrorCode::kNotFound, "no entry to delete");
    MN_TRY(state.erase(d.key));
    events.push_back(ledger::Event{std::string(kName), "delete", d.key});
    return {};
  }

  core::Status init_genesis(const ledger::Genesis& genesis, ledger::ModuleState& state) const override {
    nlohmann::json section;
    if (!genesis.module_section(kName, section)) return {};
    const nlohmann::json entries = section.value("entries", nlohmann::json::object());
    if (!entries.is_object()) return malformed("entries must be an object");
    for (const auto& [key, value] : entries.items()) {
      if (!value.is_string()) return malformed("entry " + key + " must be a string");
      MN_TRY(state.put(bytes_of(key), bytes_of(value.get<std::string>())));
    }
    return {};
  }

  core::Status end_block(const ledger::BlockEnd&, ledger::ModuleState& state) const override {
    MN_TRY_ASSIGN(auto count, state.get(core::as_bytes(kBlocksKey)));
    const core::Bytes stored = count.value_or(core::Bytes(8, 0));
    core::Reader r(stored);
    MN_TRY_ASSIGN(const std::uint64_t blocks, r.u64());
    core::Writer w;
    w.u64(blocks + 1);
    return state.put(core::as_bytes(kBlocksKey), std::move(w).take());
  }

  core::Result<core::Bytes> payload_from_json(std::string_view kind, const nlohmann::json& fields) const override {
    if (!fields.contains("key") || !fields.at("key").is_string()) return malformed("payload.key must be a string");
    const std::string key = fields.at("key").get<std::string>();
    if (kind == "delete") return core::encode(Delete{bytes_of(key)});
    if (kind != "put") return core::make_error(core::ErrorCode::kTxUnknownPayload, "kv has kinds put and delete");
    if (!fields.contains("value") || !fields.at("value").is_string()) return malformed("payload.value must be a string");
    const std::string value = fields.at("value").get<std::string>();
    if (key.size() > kKeyBytesMax || value.size() > kValueBytesMax) return malformed("key or value too long");
    return core::encode(Put{bytes_of(key), bytes_of(value)});
  }

  nlohmann::json payload_to_json(const ledger::Payload& payload) const override {
    if (payload.kind == "put") {
      if (auto p = core::decode<Put>(payload.data); p.ok()) return {{"key", text_of(p->key)}, {"value", text_of(p->value)}};
    } else if (auto d = core::decode<Delete>(payload.data); d.ok()) {
      return {{"key", text_of(d->key)}};
    }
    return {{"data", core::to_hex(payload.data)}};
  }

  nlohmann::json event_to_json(const ledger::Event& event) const override { return {{"key", text_of(event.data)}}; }

  nlohmann::json value_to_json(core::ByteView, core::ByteView value) const override {
    return {{"text", text_of(value)}};
  }

 private:
  static core::Error malformed(std::string why) {
    return core::make_error(core::ErrorCode::kTxMalformed, "kv: " + std::move(why));
  }
  static core::Bytes bytes_of(std::string_view text) { return core::Bytes(text.begin(), text.end()); }
  // Printable ASCII as itself; anything else as "0x" + hex (JSON text must be valid UTF-8).
  static std::string text_of(core::ByteView bytes) {
    for (core::Byte b : bytes) {
      if (b < 0x20 || b > 0x7e) return "0x" + core::to_hex(bytes);
    }
    return std::string(core::as_chars(bytes));
  }
  core::Result<core::Bytes> key_of(const ledger::Payload& payload) const {
    if (payload.kind == "put") {
      auto p = core::decode<Put>(payload.data);
      if (!p.ok()) return malformed(p.error().to_string());
      return p->key;
    }
    if (payload.kind == "delete") {
      auto d = core::decode<Delete>(payload.data);
      if (!d.ok()) return malformed(d.error().to_string());
      return d->key;
    }
    return core::make_error(core::ErrorCode::kTxUnknownPayload, "kv has no payload kind '" + payload.kind + "'");
  }
};

}  // namespace metanode::testing
