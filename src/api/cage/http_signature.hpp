// HTTP Message Signatures (RFC 9421) with alg="ed25519", and Content-Digest (RFC 9530): what a
// signed request to a Metanode service carries, and how the Cage checks it.
//
// A signed request has, beside its body's Content-Digest (sha-256 or sha-512):
//   Signature-Input: sig1=("@method" "@target-uri" "content-digest" "metanode-key");
//                    created=1733050000;nonce="…";keyid="mn1…";alg="ed25519"
//   Signature:       sig1=:<base64 of the 64-byte Ed25519 signature over the signature base>:
//   Metanode-Key:    <the signer's Ed25519 public key, 64 hex digits>
// keyid is the signer's wallet address; the public key travels in a covered header (an address
// is a hash of the key, so the key itself must come with the request) and must hash to keyid.
// The signature base is the RFC's (section 2.5): one line per covered component, then the
// "@signature-params" line. Nothing here is Metanode-specific except the key header, so any
// RFC 9421 library signs requests the Cage accepts.
//
// A node may sign its answer too (sign_response): the response's "@status", "content-type",
// "content-digest" and "metanode-key" (the node's key), bound to the request it answers by
// "@method";req, "@target-uri";req and, for a signed request, "signature";req;key="sig1", so a
// client holds proof of what the node answered to exactly that request.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/cage/structured_fields.hpp"
#include "core/result.hpp"
#include "crypto/address.hpp"
#include "crypto/ed25519.hpp"

namespace metanode::api::cage {

inline constexpr std::string_view kKeyHeader = "metanode-key";

// The parts of a request a signature can cover. `header` returns a field's value (its lines
// combined with ", ", as RFC 9110 allows), or nullopt when absent; names are lower case.
struct MessageView {
  std::string method;     // as sent ("GET")
  std::string scheme;     // "http" or "https"
  std::string authority;  // host[:port], as the Host header has it
  std::string path;       // "/v1/gov/roles"
  std::string query;      // without '?': "" when there is none
  std::function<std::optional<std::string>(std::string_view)> header;
  std::optional<unsigned> status = std::nullopt;  // a response's status ("@status"); method..query are then its request's
};

// One signature's metadata, as Signature-Input carries it.
struct SignatureParams {
  std::string label;
  // The covered components' names ("@method", "content-digest", ...); their parameters (";req",
  // ";key=...") are in `list`, whose items are what the base is built from.
  std::vector<std::string> components;
  SfInnerList list;  // the whole inner list, for the "@signature-params" line
  std::optional<std::int64_t> created;
  std::optional<std::int64_t> expires;
  std::string keyid;
  std::string alg;
  std::string nonce;
  std::string tag;  // RFC 9421 section 2.3: what application context the signature is for
};

// The RFC 9421 signature base of `view` for `params` (kInvalidArgument: a component that is not
// supported or not present; a component listed twice). For a response, `request` is the request
// it answers, where components with the "req" parameter are read.
core::Result<std::string> signature_base(const MessageView& view, const SignatureParams& params,
                                         const MessageView* request = nullptr);

// Reads Signature-Input and Signature and returns the signature labelled `label`, or the only
// one when `label` is empty (kInvalidArgument when there are several, none, or they disagree).
struct ReceivedSignature {
  SignatureParams params;
  crypto::Signature signature;
};
core::Result<ReceivedSignature> read_signature(std::string_view signature_input, std::string_view signature,
                                               std::string_view label = {});

// Signing (clients, tests, response signatures): builds the params for `components` and
// returns the header values (Signature-Input, Signature).
struct SignatureHeaders {
  std::string signature_input;
  std::string signature;
};
// `tag`, when not empty, is the signature's tag parameter (the Cage wants chain_tag(genesis)).
SignatureHeaders sign_message(const MessageView& view, const std::vector<std::string>& components,
                              const crypto::KeyPair& key, std::string_view keyid, std::int64_t created,
                              std::string_view nonce, std::string_view label = "sig1", std::string_view tag = {});

// Signs a response (`response.status` set): "@status", then the response's header `fields`, then
// "@method";req and "@target-uri";req of `request`, and "signature";req;key="<request_label>"
// when the request was signed (request_label not empty). No nonce: a response is not replayable
// as anything but itself.
SignatureHeaders sign_response(const MessageView& response, const MessageView& request,
                               const std::vector<std::string>& fields, std::string_view request_label,
                               const crypto::KeyPair& key, std::string_view keyid, std::int64_t created,
                               std::string_view label = "sig1", std::string_view tag = {});
// Verifies a response signature made by `key` (the one labelled `label`, or the only one), and
// that it covers "@status" and binds the request ("@method";req and "@target-uri";req).
// With `tag` not empty, the signature must carry that tag (the chain it was made for).
// kBadSignature when it does not verify; kInvalidArgument when it cannot be read.
core::Status verify_response(const MessageView& response, const MessageView& request, std::string_view signature_input,
                             std::string_view signature, const crypto::PublicKey& key, std::string_view label = {},
                             std::string_view tag = {});

// Content-Digest (RFC 9530) of a body, with sha-256: "sha-256=:<base64>:".
std::string content_digest(std::string_view body);
// Checks a Content-Digest header against the body: every sha-256 and sha-512 member present
// must match and at least one must be present (kInvalidArgument: malformed or no known
// algorithm; kBadSignature: a digest that does not match the body).
core::Status check_content_digest(std::string_view header, std::string_view body);

}  // namespace metanode::api::cage
