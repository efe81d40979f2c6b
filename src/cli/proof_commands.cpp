#include "cli/proof_commands.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/chain_client.hpp"
#include "services/proofs/proof_check.hpp"

namespace metanode::cli {
namespace {

using nlohmann::json;

struct ProofVerifyOptions {
  ClientOptions client;  // --genesis / --home: what the proof is checked against
  std::string file;
};

int run_proof_verify(Io& io, const ProofVerifyOptions& opts) {
  std::string text;
  if (opts.file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(opts.file, std::ios::binary);
    if (!in) return fail(io, core::make_error(core::ErrorCode::kNotFound, "cannot read " + opts.file));
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const json claim = json::parse(text, nullptr, false);
  if (claim.is_discarded()) return fail(io, core::make_error(core::ErrorCode::kInvalidArgument, opts.file + " is not JSON"));
  auto genesis = trusted_genesis(opts.client);
  if (!genesis.ok()) return fail(io, genesis.error());
  auto checked = services::verify_claim(claim, *genesis);
  if (opts.client.json_output) {
    json out = {{"kind", claim.value("kind", std::string())}, {"valid", checked.ok()}};
    if (checked.ok()) {
      out["summary"] = *checked;
    } else {
      out["code"] = std::string(checked.error().code_name());
      out["reason"] = checked.error().message;
    }
    io.out << out.dump(2) << "\n";
    return checked.ok() ? kExitOk : kExitFailed;
  }
  if (!checked.ok()) return fail(io, checked.error());
  io.out << *checked << "\n";
  return kExitOk;
}

}  // namespace

void add_proof_commands(CLI::App& app, Io& io, std::function<int()>& dispatch) {
  CLI::App* proof = app.add_subcommand("proof", "Check proofs offline against the genesis alone");
  proof->require_subcommand(1);
  auto v = std::make_shared<ProofVerifyOptions>();
  std::string kinds;
  for (const auto kind : services::claim_kinds()) kinds += (kinds.empty() ? "" : ", ") + std::string(kind);
  CLI::App* verify = proof->add_subcommand(
      "verify", "Check a claim (a JSON file {\"kind\": ..., ...}; '-' reads standard input) as the proof service on "
                "9006 does, with only --genesis (or --home's). Kinds: " + kinds +
                    ". Exit 0 when it verifies; 1 with the reason when not");
  verify->add_option("file", v->file, "The claim (JSON)")->required();
  verify->add_option("--genesis", v->client.genesis_file, "The genesis to check against");
  verify->add_option("--home", v->client.home, "A node home whose config names the genesis");
  verify->add_flag("--json", v->client.json_output, "Print the verdict as JSON");
  verify->callback([&io, &dispatch, v] { dispatch = [&io, v] { return run_proof_verify(io, *v); }; });
}

}  // namespace metanode::cli
