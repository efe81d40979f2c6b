#include "modules/module_set.hpp"

#include <cassert>

#include "modules/audit/audit.hpp"
#include "modules/bank.hpp"
#include "modules/econ/econ.hpp"
#include "modules/governance/governance.hpp"
#include "modules/oracle/oracle.hpp"
#include "modules/registry/registry.hpp"

namespace metanode::modules {

core::Result<ledger::ModuleSet> standard_modules_with(std::vector<std::shared_ptr<const ledger::Module>> extra) {
  // Economics last: its end-block pays out the block's fees after every other module ran.
  std::vector<std::shared_ptr<const ledger::Module>> others{std::make_shared<Governance>(), std::make_shared<AuditModule>(),
                                                           std::make_shared<OracleModule>(), std::make_shared<RegistryModule>(),
                                                           std::make_shared<Econ>()};
  // A new module: one line here, in the order its block hooks should run.
  for (auto& module : extra) others.push_back(std::move(module));
  return ledger::ModuleSet::create(std::make_shared<Bank>(), std::move(others));
}

ledger::ModuleSet standard_modules() {
  auto set = standard_modules_with({});
  assert(set.ok() && "the standard module set is valid");
  return std::move(set).value();
}

}  // namespace metanode::modules
