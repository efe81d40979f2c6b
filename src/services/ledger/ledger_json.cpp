#include "services/ledger/ledger_json.hpp"

#include "consensus/finality.hpp"
#include "modules/econ/econ.hpp"

namespace metanode::services {

using nlohmann::json;

namespace {
core::Error malformed(std::string why) { return core::make_error(core::ErrorCode::kTxMalformed, std::move(why)); }
}  // namespace

core::Result<ledger::Payload> payload_from_json(const json& doc, const ledger::ModuleSet& modules) {
  if (!doc.is_object()) return malformed("payload must be a JSON object");
  if (!doc.contains("module") || !doc.at("module").is_string()) return malformed("payload.module must be a string");
  if (!doc.contains("kind") || !doc.at("kind").is_string()) return malformed("payload.kind must be a string");
  ledger::Payload payload;
  payload.module = doc.at("module").get<std::string>();
  payload.kind = doc.at("kind").get<std::string>();
  if (!ledger::is_valid_name(payload.module, ledger::kModuleNameBytesMax) ||
      !ledger::is_valid_name(payload.kind, ledger::kPayloadKindBytesMax)) {
    return malformed("payload.module and payload.kind must be 1-32 of [a-z0-9_]");
  }
  if (doc.contains("data")) {
    // Raw bytes need no mapping: whoever runs the module checks them.
    if (!doc.at("data").is_string()) return malformed("payload.data must be hex");
    auto data = core::from_hex(doc.at("data").get<std::string>());
    if (!data.ok()) return malformed("payload.data: " + data.error().message);
    payload.data = std::move(data).value();
  } else {
    MN_TRY_ASSIGN(const ledger::Module* module, modules.module_for(payload));
    MN_TRY_ASSIGN(payload.data, module->payload_from_json(payload.kind, doc));
  }
  if (payload.data.size() > ledger::kPayloadDataBytesMax) {
    return malformed("payload data exceeds " + std::to_string(ledger::kPayloadDataBytesMax) + " bytes");
  }
  return payload;
}

namespace {

std::vector<std::string> hex_list(const std::vector<core::Hash32>& hashes) {
  std::vector<std::string> out;
  out.reserve(hashes.size());
  for (const auto& h : hashes) out.push_back(core::to_hex(h));
  return out;
}
}  // namespace

json to_json(const ledger::Transaction& tx, const ledger::ModuleSet& modules) {
  json doc;
  doc["hash"] = core::to_hex(tx.hash());
  doc["chain_id"] = tx.chain_id;
  doc["sender"] = tx.sender().to_string();
  if (tx.sender_kind == ledger::SenderKind::kSingle) {
    doc["sender_kind"] = "single";
    doc["sender_key"] = tx.sender_key.to_hex();
  } else {
    doc["sender_kind"] = "multisig";
    json signers = json::array();
    for (const auto& key : tx.sender_policy.signers) signers.push_back(key.to_hex());
    doc["sender_policy"] = {{"threshold", tx.sender_policy.threshold}, {"signers", signers}};
  }
  doc["nonce"] = ledger::u64_to_json(tx.nonce);
  doc["max_fee"] = ledger::u64_to_json(tx.max_fee);
  doc["bid"] = ledger::u64_to_json(tx.bid);
  json payload = {{"module", tx.payload.module}, {"kind", tx.payload.kind}};
  if (const ledger::Module* module = modules.find(tx.payload.module)) {
    payload.update(module->payload_to_json(tx.payload));
  } else {
    payload["data"] = core::to_hex(tx.payload.data);
  }
  doc["payload"] = std::move(payload);
  doc["memo"] = tx.memo;
  doc["encoded"] = core::to_hex(core::encode(tx));  // the canonical bytes, signatures included
  if (tx.sender_kind == ledger::SenderKind::kSingle) {
    doc["signature"] = tx.signature.to_hex();
  } else {
    json sigs = json::array();
    for (const auto& s : tx.multisig_signatures) {
      sigs.push_back({{"signer", s.signer.to_hex()}, {"signature", s.signature.to_hex()}});
    }
    doc["signatures"] = sigs;
  }
  return doc;
}

core::Result<ledger::Transaction> transaction_from_json(const json& doc, const ledger::ModuleSet& modules) {
  if (!doc.is_object()) return malformed("a transaction must be a JSON object");
  ledger::Transaction tx;
  try {
    tx.chain_id = doc.at("chain_id").get<std::string>();
    if (tx.chain_id.size() > ledger::kChainIdBytesMax) return malformed("chain_id too long");
    const std::string kind = doc.value("sender_kind", std::string("single"));
    if (kind == "single") {
      tx.sender_kind = ledger::SenderKind::kSingle;
      auto key = crypto::PublicKey::from_hex(doc.at("sender_key").get<std::string>());
      if (!key.ok()) return malformed("sender_key: " + key.error().message);
      tx.sender_key = *key;
      auto sig = crypto::Signature::from_hex(doc.at("signature").get<std::string>());
      if (!sig.ok()) return malformed("signature: " + sig.error().message);
      tx.signature = *sig;
    } else if (kind == "multisig") {
      tx.sender_kind = ledger::SenderKind::kMultisig;
      const json& policy = doc.at("sender_policy");
      const auto threshold = policy.at("threshold").get<int>();
      if (threshold < 0 || threshold > 255) return malformed("sender_policy.threshold out of range");
      tx.sender_policy.threshold = static_cast<std::uint8_t>(threshold);
      if (policy.at("signers").size() > crypto::kMultisigSignersMax) return malformed("too many signers");
      for (const auto& s : policy.at("signers")) {
        auto key = crypto::PublicKey::from_hex(s.get<std::string>());
        if (!key.ok()) return malformed("sender_policy.signers: " + key.error().message);
        tx.sender_policy.signers.push_back(*key);
      }
      if (doc.at("signatures").size() > crypto::kMultisigSignersMax) return malformed("too many signatures");
      for (const auto& s : doc.at("signatures")) {
        auto signer = crypto::PublicKey::from_hex(s.at("signer").get<std::string>());
        auto sig = crypto::Signature::from_hex(s.at("signature").get<std::string>());
        if (!signer.ok() || !sig.ok()) return malformed("signatures: bad hex");
        tx.multisig_signatures.push_back({*signer, *sig});
      }
    } else {
      return malformed("sender_kind must be 'single' or 'multisig'");
    }
    MN_TRY_ASSIGN(tx.nonce, ledger::u64_from_json(doc.at("nonce"), "nonce"));
    MN_TRY_ASSIGN(tx.max_fee, ledger::u64_from_json(doc.at("max_fee"), "max_fee"));
    MN_TRY_ASSIGN(tx.bid, ledger::u64_from_json(doc.at("bid"), "bid"));
    MN_TRY_ASSIGN(tx.payload, payload_from_json(doc.at("payload"), modules));
    tx.memo = doc.value("memo", std::string());
    if (tx.memo.size() > ledger::kMemoBytesMax) return malformed("memo longer than 256 bytes");
  } catch (const json::exception& e) {
    return malformed(std::string("missing or mistyped field: ") + e.what());
  }
  tx.seal();
  return tx;
}

json to_json(const ledger::Receipt& receipt, const ledger::ModuleSet& modules) {
  json doc;
  doc["tx_hash"] = core::to_hex(receipt.tx_hash);
  doc["status"] = receipt.status == ledger::ReceiptStatus::kSuccess ? "success" : "failed";
  doc["fee_paid"] = ledger::u64_to_json(receipt.fee_paid);
  if (receipt.status == ledger::ReceiptStatus::kFailed) {
    doc["error"] = {{"code", core::error_code_name(static_cast<core::ErrorCode>(receipt.error_code))},
                    {"number", receipt.error_code},
                    {"message", receipt.error_message}};
  }
  json events = json::array();
  for (const auto& e : receipt.events) {
    json ev = {{"module", e.module}, {"kind", e.kind}};
    if (const ledger::Module* module = modules.find(e.module)) {
      ev.update(module->event_to_json(e));
    } else {
      ev["data"] = core::to_hex(e.data);
    }
    events.push_back(ev);
  }
  doc["events"] = events;
  doc["encoded"] = core::to_hex(core::encode(receipt));
  // What the receipts tree commits to (without the message): its leaf is leaf_hash(this).
  doc["hash"] = core::to_hex(receipt.hash());
  return doc;
}

json to_json(const ledger::Header& h) {
  return {{"height", h.height},
          {"parent_hash", core::to_hex(h.parent_hash)},
          {"timestamp_unix_ms", h.timestamp_unix_ms},
          {"proposer", h.proposer.to_hex()},
          {"tx_root", core::to_hex(h.tx_root)},
          {"receipts_root", core::to_hex(h.receipts_root)},
          {"state_root", core::to_hex(h.state_root)},
          {"validator_set_hash", core::to_hex(h.validator_set_hash)},
          {"base_fee", ledger::u64_to_json(h.base_fee)},
          {"tx_count", h.tx_count},
          {"encoded", core::to_hex(core::encode(h))}};
}

json to_json(const ledger::CommitCertificate& c) {
  json sigs = json::array();
  for (const auto& s : c.signatures) sigs.push_back({{"signer", s.signer.to_hex()}, {"signature", s.signature.to_hex()}});
  return {{"height", c.height},
          {"block_hash", core::to_hex(c.block_hash)},
          {"signatures", sigs},
          {"encoded", core::to_hex(core::encode(c))}};
}

json to_json(const merkle::InclusionProof& p) {
  return {{"index", p.index}, {"tree_size", p.tree_size}, {"path", hex_list(p.path)}, {"encoded", core::to_hex(core::encode(p))}};
}

json to_json(const merkle::SmtProof& p) {
  json doc;
  if (p.leaf.has_value()) {
    doc["leaf"] = {{"key", core::to_hex(p.leaf->key)}, {"value_hash", core::to_hex(p.leaf->value_hash)}};
  } else {
    doc["leaf"] = nullptr;
  }
  doc["siblings"] = hex_list(p.siblings);
  doc["encoded"] = core::to_hex(core::encode(p));
  return doc;
}

json to_json(const ledger::StateRecord& record, const ledger::Module& module) {
  json doc;
  doc["module"] = record.module;
  doc["key"] = core::to_hex(record.key);
  doc["tree_key"] = core::to_hex(record.tree_key);
  doc["exists"] = record.value.has_value();
  doc["height"] = record.height;
  doc["state_root"] = core::to_hex(record.state_root);
  if (record.value.has_value()) {
    doc["value_hex"] = core::to_hex(*record.value);
    doc["value"] = module.value_to_json(record.key, *record.value);
  } else {
    doc["value_hex"] = nullptr;
    doc["value"] = nullptr;
  }
  doc["proof"] = to_json(record.proof);
  return doc;
}

json block_to_json(const ledger::StoredBlock& stored, bool full, const ledger::ModuleSet& modules) {
  json doc;
  doc["hash"] = core::to_hex(stored.block.hash());
  doc["header"] = to_json(stored.block.header);
  doc["commit"] = to_json(stored.commit);
  if (!stored.finality.empty()) {
    // The consensus proof: which consensus block this is, and the quorum that finalised it.
    auto finality = core::decode<consensus::Finality>(stored.finality);
    if (finality.ok()) {
      const auto& b = finality->block;
      const auto& cert = finality->cert;
      json signers = json::array();
      for (const auto& sig : cert.signatures) {
        signers.push_back({{"validator", sig.signer}, {"signature", sig.signature.to_hex()}});
      }
      json target = nullptr;
      if (cert.data.commit) {
        target = {{"height", cert.data.commit->height}, {"block_id", core::to_hex(cert.data.commit->block_id)}};
      }
      doc["finality"] = {{"consensus_block_id", core::to_hex(b.id())},
                         {"round", b.round},
                         {"parent_id", core::to_hex(b.parent_id)},
                         {"proposer_index", b.proposer},
                         {"payload_bytes", b.payload.size()},
                         {"certificate",
                          {{"kind", consensus::vote_kind_name(cert.data.kind)},
                           {"height", cert.data.height},
                           {"round", cert.data.round},
                           {"block_id", core::to_hex(cert.data.block_id)},
                           {"commits", target},
                           {"signatures", signers}}},
                         {"encoded", core::to_hex(stored.finality)}};
    } else {
      doc["finality"] = {{"error", finality.error().message}, {"encoded", core::to_hex(stored.finality)}};
    }
  }
  json txs = json::array();
  for (const auto& tx : stored.block.txs) {
    if (full) {
      txs.push_back(to_json(tx, modules));
    } else {
      txs.push_back(core::to_hex(tx.hash()));
    }
  }
  doc[full ? "txs" : "tx_hashes"] = txs;
  return doc;
}

core::Result<json> epoch_transitions_json(const ledger::Chain& chain, std::uint64_t height) {
  json transitions = json::array();
  const ledger::Module* econ = chain.modules().find(modules::kEconModule);
  if (econ == nullptr) return transitions;  // no economics module: genesis's set for ever
  std::uint64_t previous_first = 1;
  for (std::uint64_t n = 1;; ++n) {
    MN_TRY_ASSIGN(auto set, modules::read_epoch_set(chain, n));
    if (!set || set->first_height > height) break;
    // A header the previous set certified whose state holds set n: the newest certified one
    // before set n begins (it was published at least kSetActivationBlocksMin blocks earlier).
    std::optional<std::uint64_t> at;
    const std::uint64_t lowest = std::max(previous_first, set->first_height > modules::kSetActivationBlocksMin
                                                              ? set->first_height - modules::kSetActivationBlocksMin
                                                              : std::uint64_t{1});
    for (std::uint64_t h = set->first_height - 1; h >= lowest && h > 0; --h) {
      MN_TRY_ASSIGN(auto certificate, chain.certificate(h));
      if (certificate) {
        at = h;
        break;
      }
    }
    if (!at) {
      return core::make_error(core::ErrorCode::kNotFound, "no header certificate yet in the last blocks before validator set " +
                                                              std::to_string(n) + " began: try again in a moment");
    }
    MN_TRY_ASSIGN(json transition, signed_header_json(chain, *at, /*with_epochs=*/false));
    transition["set"] = n;
    json entries = json::array();
    for (const auto& key : modules::econ_epoch_set_keys(*set)) {
      MN_TRY_ASSIGN(auto record, chain.entry_with_proof(modules::kEconModule, key, *at));
      json entry = to_json(record, *econ);
      entry.erase("value");  // the canonical bytes are what is checked
      entries.push_back(std::move(entry));
    }
    transition["entries"] = std::move(entries);
    transitions.push_back(std::move(transition));
    previous_first = set->first_height;
  }
  return transitions;
}

core::Result<json> signed_header_json(const ledger::Chain& chain, std::uint64_t height, bool with_epochs) {
  MN_TRY_ASSIGN(auto header, chain.header(height));
  if (!header.has_value()) return core::make_error(core::ErrorCode::kNotFound, "no block " + std::to_string(height));
  MN_TRY_ASSIGN(auto certificate, chain.certificate(height));
  json doc = {{"hash", core::to_hex(header->hash())},
              {"header", to_json(*header)},
              {"certificate", certificate.has_value() ? to_json(*certificate) : json(nullptr)}};
  if (with_epochs) {
    MN_TRY_ASSIGN(doc["epochs"], epoch_transitions_json(chain, height));
  }
  return doc;
}

core::Result<json> state_answer(const ledger::Chain& chain, const ledger::Module& module, core::ByteView key,
                                std::optional<std::uint64_t> height) {
  MN_TRY_ASSIGN(auto record, chain.entry_with_proof(module.name(), key, height));
  MN_TRY_ASSIGN(json block, signed_header_json(chain, record.height));
  json doc = to_json(record, module);
  doc["block"] = std::move(block);
  return doc;
}

}  // namespace metanode::services
