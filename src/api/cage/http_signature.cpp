#include "api/cage/http_signature.hpp"

#include <algorithm>
#include <cstring>

#include "crypto/encoding.hpp"

namespace metanode::api::cage {
namespace {

core::Error invalid(std::string why) { return core::make_error(core::ErrorCode::kInvalidArgument, std::move(why)); }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

core::Result<std::string> component_value(const MessageView& view, const std::string& name) {
  const std::string query = view.query.empty() ? std::string() : "?" + view.query;
  const std::string path = view.path.empty() ? std::string("/") : view.path;
  if (name == "@method") return view.method;
  if (name == "@target-uri") return lower(view.scheme) + "://" + lower(view.authority) + path + query;
  if (name == "@authority") return lower(view.authority);
  if (name == "@scheme") return lower(view.scheme);
  if (name == "@request-target") return path + query;
  if (name == "@path") return path;
  if (name == "@query") return "?" + view.query;
  if (!name.empty() && name[0] == '@') return invalid("component " + name + " is not supported");
  if (name != lower(name)) return invalid("component " + name + " is not lower case");
  const auto value = view.header ? view.header(name) : std::nullopt;
  if (!value) return invalid("covered header " + name + " is not in the message");
  return std::string(trim(*value));
}

}  // namespace

core::Result<std::string> signature_base(const MessageView& view, const SignatureParams& params) {
  std::string base;
  std::vector<std::string> seen;
  for (const auto& name : params.components) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) return invalid("component " + name + " is covered twice");
    seen.push_back(name);
    MN_TRY_ASSIGN(const std::string value, component_value(view, name));
    if (value.find_first_of("\r\n") != std::string::npos) return invalid("component " + name + " holds a line break");
    base += serialize_sf_bare(name) + ": " + value + "\n";
  }
  base += "\"@signature-params\": " + serialize_sf_inner_list(params.list);
  return base;
}

core::Result<ReceivedSignature> read_signature(std::string_view signature_input, std::string_view signature,
                                               std::string_view label) {
  MN_TRY_ASSIGN(const SfDictionary inputs, parse_sf_dictionary(signature_input));
  MN_TRY_ASSIGN(const SfDictionary signatures, parse_sf_dictionary(signature));
  std::string chosen(label);
  if (chosen.empty()) {
    if (inputs.size() != 1) return invalid("Signature-Input must carry exactly one signature (or name the label)");
    chosen = inputs.front().first;
  }
  const auto input = std::find_if(inputs.begin(), inputs.end(), [&](const auto& m) { return m.first == chosen; });
  const auto sig = std::find_if(signatures.begin(), signatures.end(), [&](const auto& m) { return m.first == chosen; });
  if (input == inputs.end()) return invalid("Signature-Input has no signature labelled " + chosen);
  if (sig == signatures.end()) return invalid("Signature has no signature labelled " + chosen);

  ReceivedSignature out;
  out.params.label = chosen;
  const auto* list = std::get_if<SfInnerList>(&input->second);
  if (list == nullptr) return invalid("Signature-Input's " + chosen + " is not an inner list");
  out.params.list = *list;
  for (const SfItem& item : list->items) {
    const auto* name = std::get_if<std::string>(&item.value);
    if (name == nullptr) return invalid("a covered component is a string");
    if (!item.params.empty()) return invalid("component parameters are not supported (" + *name + ")");
    out.params.components.push_back(*name);
  }
  for (const auto& [key, value] : list->params) {
    if (key == "created" || key == "expires") {
      const auto* n = std::get_if<std::int64_t>(&value);
      if (n == nullptr) return invalid(key + " must be an integer");
      (key == "created" ? out.params.created : out.params.expires) = *n;
    } else if (key == "keyid" || key == "alg" || key == "nonce") {
      const auto* s = std::get_if<std::string>(&value);
      if (s == nullptr) return invalid(key + " must be a string");
      (key == "keyid" ? out.params.keyid : key == "alg" ? out.params.alg : out.params.nonce) = *s;
    }
  }
  const auto* item = std::get_if<SfItem>(&sig->second);
  const auto* bytes = item != nullptr ? std::get_if<core::Bytes>(&item->value) : nullptr;
  if (bytes == nullptr) return invalid("Signature's " + chosen + " is not a byte sequence");
  if (bytes->size() != out.signature.bytes.size()) return invalid("an ed25519 signature is 64 bytes");
  std::memcpy(out.signature.bytes.data(), bytes->data(), bytes->size());
  return out;
}

SignatureHeaders sign_message(const MessageView& view, const std::vector<std::string>& components,
                              const crypto::KeyPair& key, std::string_view keyid, std::int64_t created,
                              std::string_view nonce, std::string_view label) {
  SignatureParams params;
  params.label = std::string(label);
  params.components = components;
  for (const auto& c : components) params.list.items.push_back(SfItem{c, {}});
  params.list.params = {{"created", created},
                        {"keyid", std::string(keyid)},
                        {"alg", std::string("ed25519")},
                        {"nonce", std::string(nonce)}};
  auto base = signature_base(view, params);
  SignatureHeaders out;
  out.signature_input = std::string(label) + "=" + serialize_sf_inner_list(params.list);
  if (!base.ok()) return out;  // a component the message lacks: no signature (the server refuses)
  const crypto::Signature sig = key.sign_raw(core::as_bytes(*base));
  out.signature = std::string(label) + "=:" + crypto::base64_encode(sig.bytes) + ":";
  return out;
}

std::string content_digest(std::string_view body) {
  return "sha-256=:" + crypto::base64_encode(crypto::sha256(core::as_bytes(body))) + ":";
}

core::Status check_content_digest(std::string_view header, std::string_view body) {
  MN_TRY_ASSIGN(const SfDictionary digests, parse_sf_dictionary(header));
  bool known = false;
  for (const auto& [alg, member] : digests) {
    if (alg != "sha-256" && alg != "sha-512") continue;
    const auto* item = std::get_if<SfItem>(&member);
    const auto* bytes = item != nullptr ? std::get_if<core::Bytes>(&item->value) : nullptr;
    if (bytes == nullptr) return invalid("Content-Digest's " + alg + " is not a byte sequence");
    known = true;
    const auto body_bytes = core::as_bytes(body);
    core::Bytes digest;
    if (alg == "sha-256") {
      const auto d = crypto::sha256(body_bytes);
      digest.assign(d.begin(), d.end());
    } else {
      const auto d = crypto::sha512(body_bytes);
      digest.assign(d.begin(), d.end());
    }
    const bool match = digest == *bytes;
    if (!match) return core::make_error(core::ErrorCode::kBadSignature, "Content-Digest " + alg + " does not match the body");
  }
  if (!known) return invalid("Content-Digest has no sha-256 or sha-512 member");
  return {};
}

}  // namespace metanode::api::cage
