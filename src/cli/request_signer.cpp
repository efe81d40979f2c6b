#include "cli/request_signer.hpp"

#include <chrono>

#include "api/cage/http_signature.hpp"
#include "api/http/http_server.hpp"
#include "crypto/random.hpp"

namespace metanode::cli {
namespace {

// What the CLI asks the node to sign in its answer (RFC 9421 section 5.1).
constexpr const char* kAcceptResponseSignature =
    R"(sig1=("@status" "content-type" "content-digest" "metanode-key" "@method";req "@target-uri";req "signature";req;key="sig1");alg="ed25519")";

api::cage::MessageView request_view(const std::string& method, const std::string& authority, const std::string& target,
                                    const HeaderList& fields) {
  api::cage::MessageView view;
  view.method = method;
  view.scheme = "http";
  view.authority = authority;
  const auto q = target.find('?');
  view.path = target.substr(0, q);
  view.query = q == std::string::npos ? std::string() : target.substr(q + 1);
  view.header = [&fields](std::string_view name) { return api::find_header(fields, name); };
  return view;
}

}  // namespace

RequestSigner::RequestSigner(crypto::KeyPair key, std::string chain_tag)
    : key_(std::move(key)),
      chain_tag_(std::move(chain_tag)),
      address_(crypto::Address::from_public_key(key_.public_key())),
      key_hex_(key_.public_key().to_hex()) {}

HeaderList RequestSigner::sign(const std::string& method, const std::string& authority, const std::string& target,
                               const std::string& body) const {
  HeaderList fields{{"Metanode-Key", key_hex_}};
  std::vector<std::string> covered = {"@method", "@target-uri", std::string(api::cage::kKeyHeader)};
  if (!body.empty()) {
    fields.emplace_back("Content-Digest", api::cage::content_digest(body));
    covered.emplace_back("content-digest");
  }
  const std::int64_t created =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string nonce = core::to_hex(crypto::random_array<16>());
  const auto h = api::cage::sign_message(request_view(method, authority, target, fields), covered, key_,
                                         address_.to_string(), created, nonce, "sig1", chain_tag_);
  fields.emplace_back("Signature-Input", h.signature_input);
  fields.emplace_back("Signature", h.signature);
  fields.emplace_back("Accept-Signature", kAcceptResponseSignature);
  return fields;
}

core::Result<std::optional<std::string>> check_reply_signature(const HttpReply& reply, const std::string& method,
                                                               const std::string& authority, const std::string& target,
                                                               const HeaderList& sent, std::string_view chain_tag) {
  const auto input = api::find_header(reply.headers, "signature-input");
  const auto signature = api::find_header(reply.headers, "signature");
  if (!input || !signature) return std::optional<std::string>();
  const auto key_hex = api::find_header(reply.headers, "metanode-key");
  if (!key_hex) return core::make_error(core::ErrorCode::kBadSignature, "the node's answer is signed but names no key");
  MN_TRY_ASSIGN(const crypto::PublicKey key, crypto::PublicKey::from_hex(*key_hex));
  api::cage::MessageView response;
  response.status = reply.status;
  response.header = [&reply](std::string_view name) { return api::find_header(reply.headers, name); };
  // The body must be the one the signature's Content-Digest names.
  const auto digest = api::find_header(reply.headers, "content-digest");
  if (!digest) return core::make_error(core::ErrorCode::kBadSignature, "the node's signed answer has no Content-Digest");
  if (auto st = api::cage::check_content_digest(*digest, reply.body); !st.ok()) {
    return core::make_error(core::ErrorCode::kBadSignature, "the node's answer: " + st.error().message);
  }
  auto st = api::cage::verify_response(response, request_view(method, authority, target, sent), *input, *signature, key, {},
                                           chain_tag);
  if (!st.ok()) return core::make_error(core::ErrorCode::kBadSignature, "the node's answer signature: " + st.error().message);
  return std::optional<std::string>(*key_hex);
}

}  // namespace metanode::cli
