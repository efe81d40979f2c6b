#include "core/result.hpp"

namespace metanode::core {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
#define METANODE_ERROR_NAME(name, number, text) \
  case ErrorCode::name:                         \
    return text;
    METANODE_ERROR_CODES(METANODE_ERROR_NAME)
#undef METANODE_ERROR_NAME
  }
  return "unknown_error";
}

std::string Error::to_string() const {
  std::string out(code_name());
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  return out;
}

}  // namespace metanode::core
