// Signed requests from the CLI (the Cage's scheme, README "Signed requests"): each request to a
// node carries an RFC 9421 signature by a key from the key store, and the node's signature on
// its answer, when it sends one, is checked against the request it answers.
#pragma once

#include <optional>
#include <string>

#include "api/http/http_client.hpp"
#include "core/result.hpp"
#include "crypto/address.hpp"
#include "crypto/ed25519.hpp"

namespace metanode::cli {

// The CLI speaks HTTP through the HTTP library's client.
using api::HeaderList;
using api::http_request;
using api::HttpConnection;
using api::HttpReply;
using api::split_url;

class RequestSigner {
 public:
  // `chain_tag`: api::cage::chain_tag of the genesis the requests are for.
  RequestSigner(crypto::KeyPair key, std::string chain_tag);

  // The fields that sign one request: Content-Digest (when there is a body), Metanode-Key,
  // Signature-Input and Signature (created now, a fresh random nonce, tagged with the chain),
  // covering @method, @target-uri, metanode-key and content-digest; and Accept-Signature, asking
  // the node to sign its answer. `authority` is the Host it is sent with.
  HeaderList sign(const std::string& method, const std::string& authority, const std::string& target,
                  const std::string& body) const;
  const crypto::Address& address() const { return address_; }
  const std::string& chain_tag() const { return chain_tag_; }

 private:
  crypto::KeyPair key_;
  std::string chain_tag_;
  crypto::Address address_;
  std::string key_hex_;
};

// When `reply` carries a signature (Signature-Input, Signature, Metanode-Key): checks that it
// verifies under that key and binds this request (method, target, and its signature when
// `sent` signed it), and carries `chain_tag` when that is not empty. nullopt when the reply is
// unsigned; the key (hex) that signed it when it verifies; kBadSignature when it does not.
core::Result<std::optional<std::string>> check_reply_signature(const HttpReply& reply, const std::string& method,
                                                               const std::string& authority, const std::string& target,
                                                               const HeaderList& sent, std::string_view chain_tag = {});

}  // namespace metanode::cli
