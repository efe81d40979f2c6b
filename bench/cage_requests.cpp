// Writes N signed (or unsigned) GET requests for wrk to replay (bench/cage_load.sh): raw HTTP/1.1
// requests separated by a NUL byte, each signed by a fresh key with its own nonce and `created`
// now, so the file must be replayed within the node's signature window (30 s by default).
// With --no-accept-signature the requests do not ask for the node's signature on the answer.
// --genesis-digest is the node's (its /health): signatures are tagged for that chain.
//   cage_requests --host 127.0.0.1:PORT --path /v1/blocks/0 --count N --genesis-digest HEX
//                 [--unsigned|--no-accept-signature] > FILE
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "api/cage/request_auth.hpp"
#include "cli/request_signer.hpp"

int main(int argc, char** argv) {
  std::string host = "127.0.0.1:9001";
  std::string path = "/v1/blocks/0";
  long count = 10'000;
  bool sign = true;
  bool accept_signature = true;
  std::string genesis_digest;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--host" && has_value) {
      host = argv[++i];
    } else if (arg == "--path" && has_value) {
      path = argv[++i];
    } else if (arg == "--count" && has_value) {
      count = std::strtol(argv[++i], nullptr, 10);
    } else if (arg == "--genesis-digest" && has_value) {
      genesis_digest = argv[++i];
    } else if (arg == "--unsigned") {
      sign = false;
    } else if (arg == "--no-accept-signature") {
      accept_signature = false;
    } else {
      std::cerr << "usage: cage_requests --host HOST:PORT --path PATH --count N --genesis-digest HEX "
                   "[--unsigned|--no-accept-signature]\n";
      return 2;
    }
  }
  if (count <= 0) {
    std::cerr << "cage_requests: --count must be positive\n";
    return 2;
  }
  const auto digest = metanode::core::array_from_hex<32>(genesis_digest);
  if (sign && !digest.ok()) {
    std::cerr << "cage_requests: --genesis-digest must be the node's 64-hex genesis digest (GET /health)\n";
    return 2;
  }
  const metanode::cli::RequestSigner signer(metanode::crypto::KeyPair::generate(),
                                            sign ? metanode::api::cage::chain_tag(*digest) : std::string());
  std::string out;
  for (long n = 0; n < count; ++n) {
    out = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: wrk\r\n";
    if (sign) {
      for (const auto& [name, value] : signer.sign("GET", host, path, "")) {
        if (accept_signature || name != "Accept-Signature") out += name + ": " + value + "\r\n";
      }
    }
    out += "\r\n";
    out.push_back('\0');
    std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
  }
  return std::cout.good() ? 0 : 1;
}
