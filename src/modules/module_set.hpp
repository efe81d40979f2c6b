// The one list of modules a Metanode chain runs: the node, `metanode verify`, the bench and the
// tests all take it from here, so they can never disagree about what a block means.
#pragma once

#include <memory>
#include <vector>

#include "ledger/module.hpp"

namespace metanode::modules {

// Every module of the chain, in hook order (bank first: it owns accounts and fees).
ledger::ModuleSet standard_modules();

// The standard modules plus `extra` after them (tests register test-only modules this way);
// kInvalidArgument when a name repeats.
core::Result<ledger::ModuleSet> standard_modules_with(std::vector<std::shared_ptr<const ledger::Module>> extra);

}  // namespace metanode::modules
