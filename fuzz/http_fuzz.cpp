// libFuzzer target for what an HTTP client controls: the request's framing, before any route
// runs, and the JSON body of the route that takes one (POST /v1/txs). Run: scripts/fuzz.sh [seconds]
//   - Framing: request_head_end and check_request_head never crash on any bytes; a head they
//     accept is parsed by Beast without crashing, and never with two framings at once (chunked
//     and a Content-Length), which is what request smuggling needs.
//   - JSON body: transaction_from_json never crashes on any JSON; a transaction it accepts maps
//     back to JSON (to_json) and parses to the very same transaction, so the JSON form is one to
//     one with the canonical one.
//   - Signature headers (the Cage): structured-field parsing never crashes; what it accepts
//     serialises canonically, and the canonical form parses back to the same canonical form;
//     reading a signature, building its signature base (for a request, and for a response with
//     ;req and ;key= components) and checking a Content-Digest never crash on any header value.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "api/cage/http_signature.hpp"
#include "api/cage/structured_fields.hpp"
#include "api/http/framing.hpp"
#include "modules/module_set.hpp"
#include "services/ledger/ledger_json.hpp"

namespace {

namespace http = boost::beast::http;
using namespace metanode;

void check_framing(std::string_view input) {
  const auto end = api::request_head_end(input);
  if (!end) return;
  if (*end > input.size()) std::abort();
  if (!api::check_request_head(input.substr(0, *end)).ok()) return;
  http::request_parser<http::string_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(input.data(), input.size()), ec);
  if (parser.is_header_done() && parser.chunked() && parser.content_length().has_value()) std::abort();
}

void check_json_body(std::string_view input) {
  const nlohmann::json doc = nlohmann::json::parse(input, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return;
  static const ledger::ModuleSet modules = modules::standard_modules();
  const auto tx = services::transaction_from_json(doc, modules);
  if (!tx.ok()) return;
  const auto again = services::transaction_from_json(services::to_json(*tx, modules), modules);
  if (!again.ok() || !(*again == *tx)) std::abort();
}

}  // namespace

std::string serialize(const api::cage::SfDictionary& dict) {
  std::string out;
  for (const auto& [key, member] : dict) {
    if (!out.empty()) out += ", ";
    out += key;
    if (const auto* item = std::get_if<api::cage::SfItem>(&member)) {
      const auto* flag = std::get_if<bool>(&item->value);
      out += (flag && *flag) ? api::cage::serialize_sf_params(item->params) : "=" + api::cage::serialize_sf_item(*item);
    } else {
      out += "=" + api::cage::serialize_sf_inner_list(std::get<api::cage::SfInnerList>(member));
    }
  }
  return out;
}

void check_signature_headers(std::string_view input) {
  if (auto dict = api::cage::parse_sf_dictionary(input); dict.ok()) {
    const std::string canonical = serialize(*dict);
    auto again = api::cage::parse_sf_dictionary(canonical);
    if (!again.ok() || serialize(*again) != canonical) std::abort();
  }
  const auto split = input.find('\n');
  if (split != std::string_view::npos) {
    auto got = api::cage::read_signature(input.substr(0, split), input.substr(split + 1));
    if (got.ok()) {
      // Its signature base, as a request's and as a response's (components with ;req and ;key=
      // parameters, dictionary members), over a message whose every field is the input's first
      // line: never a crash, whatever the components and the field values.
      const std::string field(input.substr(0, split));
      api::cage::MessageView request{"GET", "http", "127.0.0.1:9001", "/v1/blocks/0", "a=1",
                                     [&field](std::string_view) { return std::optional<std::string>(field); }};
      api::cage::MessageView response = request;
      response.status = 200;
      (void)api::cage::signature_base(request, got->params);
      (void)api::cage::signature_base(response, got->params, &request);
    }
  }
  (void)api::cage::check_content_digest(input, input);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_framing(input);
  check_json_body(input);
  check_signature_headers(input);
  return 0;
}
