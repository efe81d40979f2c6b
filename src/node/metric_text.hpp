// One Prometheus metric in the text exposition format: HELP, TYPE (a counter when the name ends
// in _total, as the format's convention has it, else a gauge) and the value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace metanode::node {

inline std::string metric_text(std::string_view name, std::string_view help, std::uint64_t value) {
  const std::string n(name);
  return "# HELP " + n + " " + std::string(help) + "\n# TYPE " + n + (name.ends_with("_total") ? " counter\n" : " gauge\n") +
         n + " " + std::to_string(value) + "\n";
}

}  // namespace metanode::node
