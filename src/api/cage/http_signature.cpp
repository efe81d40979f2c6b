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

// A structured field's dictionary member as the "key" parameter selects it (RFC 9421 2.1.2).
core::Result<std::string> dictionary_member(std::string_view field, const std::string& name, const std::string& key) {
  auto dict = parse_sf_dictionary(field);
  if (!dict.ok()) return invalid("covered field " + name + " is not a dictionary: " + dict.error().message);
  const auto member = std::find_if(dict->begin(), dict->end(), [&](const auto& m) { return m.first == key; });
  if (member == dict->end()) return invalid("covered field " + name + " has no member " + key);
  if (const auto* item = std::get_if<SfItem>(&member->second)) return serialize_sf_item(*item);
  return serialize_sf_inner_list(std::get<SfInnerList>(member->second));
}

core::Result<std::string> component_value(const MessageView& message, const MessageView* request, const SfItem& item) {
  const auto* component = std::get_if<std::string>(&item.value);
  if (component == nullptr) return invalid("a covered component is a string");
  const std::string& name = *component;
  bool from_request = false;
  const std::string* member = nullptr;
  for (const auto& [param, value] : item.params) {
    if (param == "req") {
      const auto* flag = std::get_if<bool>(&value);
      if (flag == nullptr || !*flag) return invalid("component " + name + ": req is a true boolean");
      from_request = true;
    } else if (param == "key") {
      member = std::get_if<std::string>(&value);
      if (member == nullptr) return invalid("component " + name + ": key is a string");
    } else {
      return invalid("component parameter " + param + " is not supported (" + name + ")");
    }
  }
  if (from_request && request == nullptr) return invalid("component " + name + ";req is only for a response");
  const MessageView& view = from_request ? *request : message;
  if (name == "@status") {
    if (from_request || !view.status) return invalid("@status is a response's component");
    return std::to_string(*view.status);
  }
  const std::string query = view.query.empty() ? std::string() : "?" + view.query;
  const std::string path = view.path.empty() ? std::string("/") : view.path;
  if (!name.empty() && name[0] == '@') {
    if (member != nullptr) return invalid("component " + name + ": key is for dictionary fields");
    if (name == "@method") return view.method;
    if (name == "@target-uri") return lower(view.scheme) + "://" + lower(view.authority) + path + query;
    if (name == "@authority") return lower(view.authority);
    if (name == "@scheme") return lower(view.scheme);
    if (name == "@request-target") return path + query;
    if (name == "@path") return path;
    if (name == "@query") return "?" + view.query;
    return invalid("component " + name + " is not supported");
  }
  if (name != lower(name)) return invalid("component " + name + " is not lower case");
  const auto value = view.header ? view.header(name) : std::nullopt;
  if (!value) return invalid("covered header " + name + " is not in the message");
  if (member != nullptr) return dictionary_member(*value, name, *member);
  return std::string(trim(*value));
}

SignatureHeaders sign_items(const MessageView& view, const MessageView* request, std::vector<SfItem> items,
                            SfParams params, const crypto::KeyPair& key, std::string_view label) {
  SignatureParams p;
  p.label = std::string(label);
  for (const auto& item : items) p.components.push_back(std::get<std::string>(item.value));
  p.list.items = std::move(items);
  p.list.params = std::move(params);
  auto base = signature_base(view, p, request);
  SignatureHeaders out;
  out.signature_input = std::string(label) + "=" + serialize_sf_inner_list(p.list);
  if (!base.ok()) return out;  // a component the message lacks: no signature (the verifier refuses)
  const crypto::Signature sig = key.sign_raw(core::as_bytes(*base));
  out.signature = std::string(label) + "=:" + crypto::base64_encode(sig.bytes) + ":";
  return out;
}

}  // namespace

core::Result<std::string> signature_base(const MessageView& view, const SignatureParams& params,
                                         const MessageView* request) {
  std::string base;
  std::vector<std::string> seen;
  for (const SfItem& item : params.list.items) {
    const std::string id = serialize_sf_item(item);
    if (std::find(seen.begin(), seen.end(), id) != seen.end()) return invalid("component " + id + " is covered twice");
    seen.push_back(id);
    MN_TRY_ASSIGN(const std::string value, component_value(view, request, item));
    if (value.find_first_of("\r\n") != std::string::npos) return invalid("component " + id + " holds a line break");
    base += id + ": " + value + "\n";
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
    out.params.components.push_back(*name);
  }
  for (const auto& [key, value] : list->params) {
    if (key == "created" || key == "expires") {
      const auto* n = std::get_if<std::int64_t>(&value);
      if (n == nullptr) return invalid(key + " must be an integer");
      (key == "created" ? out.params.created : out.params.expires) = *n;
    } else if (key == "keyid" || key == "alg" || key == "nonce" || key == "tag") {
      const auto* s = std::get_if<std::string>(&value);
      if (s == nullptr) return invalid(key + " must be a string");
      (key == "keyid" ? out.params.keyid : key == "alg" ? out.params.alg : key == "nonce" ? out.params.nonce : out.params.tag) = *s;
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
                              std::string_view nonce, std::string_view label, std::string_view tag) {
  std::vector<SfItem> items;
  for (const auto& c : components) items.push_back(SfItem{c, {}});
  SfParams params{{"created", created},
                  {"keyid", std::string(keyid)},
                  {"alg", std::string("ed25519")},
                  {"nonce", std::string(nonce)}};
  if (!tag.empty()) params.emplace_back("tag", std::string(tag));
  return sign_items(view, nullptr, std::move(items), std::move(params), key, label);
}

SignatureHeaders sign_response(const MessageView& response, const MessageView& request,
                               const std::vector<std::string>& fields, std::string_view request_label,
                               const crypto::KeyPair& key, std::string_view keyid, std::int64_t created,
                               std::string_view label, std::string_view tag) {
  std::vector<SfItem> items{SfItem{std::string("@status"), {}}};
  for (const auto& f : fields) items.push_back(SfItem{f, {}});
  items.push_back(SfItem{std::string("@method"), {{"req", true}}});
  items.push_back(SfItem{std::string("@target-uri"), {{"req", true}}});
  if (!request_label.empty()) {
    items.push_back(SfItem{std::string("signature"), {{"req", true}, {"key", std::string(request_label)}}});
  }
  SfParams params{{"created", created}, {"keyid", std::string(keyid)}, {"alg", std::string("ed25519")}};
  if (!tag.empty()) params.emplace_back("tag", std::string(tag));
  return sign_items(response, &request, std::move(items), std::move(params), key, label);
}

core::Status verify_response(const MessageView& response, const MessageView& request, std::string_view signature_input,
                             std::string_view signature, const crypto::PublicKey& key, std::string_view label,
                             std::string_view tag) {
  MN_TRY_ASSIGN(const ReceivedSignature received, read_signature(signature_input, signature, label));
  if (!tag.empty() && received.params.tag != tag) {
    return core::make_error(core::ErrorCode::kBadSignature, "the response signature is for another chain (tag '" +
                                                                received.params.tag + "', expected '" + std::string(tag) + "')");
  }
  const auto covered = [&](const std::string& name, bool req) {
    return std::any_of(received.params.list.items.begin(), received.params.list.items.end(), [&](const SfItem& item) {
      const auto* n = std::get_if<std::string>(&item.value);
      return n != nullptr && *n == name && (sf_param<bool>(item.params, "req") != nullptr) == req;
    });
  };
  if (received.params.alg != "ed25519") return invalid("the response signature's alg is not ed25519");
  if (!covered("@status", false) || !covered("@method", true) || !covered("@target-uri", true)) {
    return invalid("the response signature must cover @status, \"@method\";req and \"@target-uri\";req");
  }
  MN_TRY_ASSIGN(const std::string base, signature_base(response, received.params, &request));
  if (!crypto::verify_raw(key, core::as_bytes(base), received.signature)) {
    return core::make_error(core::ErrorCode::kBadSignature, "the response signature does not verify");
  }
  return {};
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
