// AES-256-GCM authenticated encryption (OpenSSL EVP: hardware AES where present, constant-time
// software elsewhere, unlike libsodium's variant which needs AES-NI).
#pragma once

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace metanode::crypto {

inline constexpr std::size_t kAesKeyBytes = 32;
inline constexpr std::size_t kAesNonceBytes = 12;
inline constexpr std::size_t kAesTagBytes = 16;

using AesKey = core::ByteArray<kAesKeyBytes>;
using AesNonce = core::ByteArray<kAesNonceBytes>;

// Returns ciphertext || 16-byte tag. A (key, nonce) pair must never encrypt twice.
core::Bytes aes256gcm_encrypt(const AesKey& key, const AesNonce& nonce, core::ByteView plaintext,
                              core::ByteView associated_data);

// kDecryptionFailed when the tag does not match: wrong key, altered ciphertext, altered AAD.
core::Result<core::Bytes> aes256gcm_decrypt(const AesKey& key, const AesNonce& nonce,
                                            core::ByteView ciphertext_and_tag, core::ByteView associated_data);

// Convenience with a fresh random nonce: returns nonce || ciphertext || tag.
core::Bytes aes256gcm_seal(const AesKey& key, core::ByteView plaintext, core::ByteView associated_data);
core::Result<core::Bytes> aes256gcm_open(const AesKey& key, core::ByteView sealed, core::ByteView associated_data);

}  // namespace metanode::crypto
