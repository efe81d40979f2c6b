#include "crypto/aead.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "crypto/random.hpp"

namespace metanode::crypto {
namespace {

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx new_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) {
    std::fputs("metanode: out of memory in EVP_CIPHER_CTX_new\n", stderr);
    std::abort();
  }
  return ctx;
}

// OpenSSL reports failure of these calls only on allocation failure or misuse (programmer error).
void check(int ok, const char* what) {
  if (ok != 1) {
    std::fprintf(stderr, "metanode: OpenSSL %s failed\n", what);
    std::abort();
  }
}

int as_int(std::size_t n) { return static_cast<int>(n); }

}  // namespace

core::Bytes aes256gcm_encrypt(const AesKey& key, const AesNonce& nonce, core::ByteView plaintext,
                              core::ByteView associated_data) {
  CipherCtx ctx = new_ctx();
  check(EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce.data()), "EncryptInit");
  int len = 0;
  if (!associated_data.empty()) {
    check(EVP_EncryptUpdate(ctx.get(), nullptr, &len, associated_data.data(), as_int(associated_data.size())), "AAD");
  }
  core::Bytes out(plaintext.size() + kAesTagBytes);
  int written = 0;
  if (!plaintext.empty()) {
    check(EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(), as_int(plaintext.size())), "EncryptUpdate");
    written = len;
  }
  check(EVP_EncryptFinal_ex(ctx.get(), out.data() + written, &len), "EncryptFinal");
  check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, as_int(kAesTagBytes), out.data() + plaintext.size()),
        "GET_TAG");
  return out;
}

core::Result<core::Bytes> aes256gcm_decrypt(const AesKey& key, const AesNonce& nonce,
                                            core::ByteView ciphertext_and_tag, core::ByteView associated_data) {
  if (ciphertext_and_tag.size() < kAesTagBytes) {
    return core::make_error(core::ErrorCode::kDecryptionFailed, "ciphertext shorter than its 16-byte tag");
  }
  const std::size_t ct_size = ciphertext_and_tag.size() - kAesTagBytes;
  CipherCtx ctx = new_ctx();
  check(EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce.data()), "DecryptInit");
  int len = 0;
  if (!associated_data.empty()) {
    check(EVP_DecryptUpdate(ctx.get(), nullptr, &len, associated_data.data(), as_int(associated_data.size())), "AAD");
  }
  core::Bytes out(ct_size);
  int written = 0;
  if (ct_size > 0) {
    check(EVP_DecryptUpdate(ctx.get(), out.data(), &len, ciphertext_and_tag.data(), as_int(ct_size)), "DecryptUpdate");
    written = len;
  }
  core::ByteArray<kAesTagBytes> tag;
  std::copy(ciphertext_and_tag.begin() + static_cast<std::ptrdiff_t>(ct_size), ciphertext_and_tag.end(), tag.begin());
  check(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, as_int(kAesTagBytes), tag.data()), "SET_TAG");
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + written, &len) != 1) {
    wipe(out);
    return core::make_error(core::ErrorCode::kDecryptionFailed,
                            "authentication tag mismatch (wrong key, or the data was altered)");
  }
  return out;
}

core::Bytes aes256gcm_seal(const AesKey& key, core::ByteView plaintext, core::ByteView associated_data) {
  const AesNonce nonce = random_array<kAesNonceBytes>();
  core::Bytes sealed(nonce.begin(), nonce.end());
  const core::Bytes body = aes256gcm_encrypt(key, nonce, plaintext, associated_data);
  sealed.insert(sealed.end(), body.begin(), body.end());
  return sealed;
}

core::Result<core::Bytes> aes256gcm_open(const AesKey& key, core::ByteView sealed, core::ByteView associated_data) {
  if (sealed.size() < kAesNonceBytes + kAesTagBytes) {
    return core::make_error(core::ErrorCode::kDecryptionFailed, "sealed box shorter than nonce and tag");
  }
  AesNonce nonce;
  std::copy(sealed.begin(), sealed.begin() + kAesNonceBytes, nonce.begin());
  return aes256gcm_decrypt(key, nonce, sealed.subspan(kAesNonceBytes), associated_data);
}

}  // namespace metanode::crypto
