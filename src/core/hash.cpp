#include "core/hash.hpp"

#include <blake3.h>

#include <cassert>
#include <cstddef>
#include <cstring>
#include <string>

namespace metanode::core {
namespace {

static_assert(sizeof(blake3_hasher) <= 1912, "Hasher::state_ too small for blake3_hasher");
static_assert(alignof(blake3_hasher) <= 8);

constexpr std::string_view kDomainNames[] = {
#define METANODE_DOMAIN_NAME(name, text) text,
    METANODE_HASH_DOMAINS(METANODE_DOMAIN_NAME)
#undef METANODE_DOMAIN_NAME
};
static_assert(std::size(kDomainNames) == kDomainCount);

// A hasher in derive-key mode, initialised from the context once, is a plain struct whose
// fields up to the chaining-value stack hold all of its state (the stack is empty until input
// spans more than one chunk). Copying that prefix gives a fresh hasher for the domain without
// re-hashing the context string.
constexpr std::size_t kPrototypeBytes = offsetof(blake3_hasher, cv_stack);

struct Prototypes {
  std::string contexts[kDomainCount];
  blake3_hasher hashers[kDomainCount];

  Prototypes() {
    for (std::size_t i = 0; i < kDomainCount; ++i) {
      contexts[i] = "metanode/v1/" + std::string(kDomainNames[i]);
      blake3_hasher_init_derive_key(&hashers[i], contexts[i].c_str());
    }
  }
};

// Built once, read-only afterwards (thread-safe static initialisation).
const Prototypes& prototypes() {
  static const Prototypes instance;
  return instance;
}

void init_hasher(blake3_hasher* hasher, Domain domain) {
  const auto index = static_cast<std::size_t>(domain);
  assert(index < kDomainCount);
  std::memcpy(static_cast<void*>(hasher), &prototypes().hashers[index], kPrototypeBytes);
}

}  // namespace

std::string_view domain_name(Domain domain) { return kDomainNames[static_cast<std::size_t>(domain)]; }

std::string_view domain_context(Domain domain) {
  return prototypes().contexts[static_cast<std::size_t>(domain)];
}

Hash32 hash(Domain domain, ByteView input) {
  blake3_hasher hasher;
  init_hasher(&hasher, domain);
  blake3_hasher_update(&hasher, input.data(), input.size());
  Hash32 out;
  blake3_hasher_finalize(&hasher, out.data(), out.size());
  return out;
}

Hash32 hash(Domain domain, ByteView a, ByteView b) {
  blake3_hasher hasher;
  init_hasher(&hasher, domain);
  blake3_hasher_update(&hasher, a.data(), a.size());
  blake3_hasher_update(&hasher, b.data(), b.size());
  Hash32 out;
  blake3_hasher_finalize(&hasher, out.data(), out.size());
  return out;
}

Hasher::Hasher(Domain domain) { init_hasher(reinterpret_cast<blake3_hasher*>(state_.data()), domain); }

Hasher& Hasher::update(ByteView input) {
  blake3_hasher_update(reinterpret_cast<blake3_hasher*>(state_.data()), input.data(), input.size());
  return *this;
}

Hash32 Hasher::finalize() const {
  Hash32 out;
  blake3_hasher_finalize(reinterpret_cast<const blake3_hasher*>(state_.data()), out.data(), out.size());
  return out;
}

}  // namespace metanode::core
