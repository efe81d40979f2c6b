#include "net/identity.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace metanode::net {
namespace {
using core::ErrorCode;
using core::make_error;

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Free>;

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}
}  // namespace

core::Result<TlsIdentity> make_tls_identity(const crypto::Seed& seed, std::string_view common_name) {
  Owned<EVP_PKEY> key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  Owned<X509> cert(X509_new());
  if (!key || !cert) return make_error(ErrorCode::kInternal, "openssl: cannot create an Ed25519 key or certificate");
  X509_set_version(cert.get(), 2);  // v3
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 100L * 365 * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn(common_name);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_set_pubkey(cert.get(), key.get()) != 1 || X509_sign(cert.get(), key.get(), nullptr) <= 0) {
    return make_error(ErrorCode::kInternal, "openssl: cannot sign the certificate");
  }
  Owned<BIO> cert_bio(BIO_new(BIO_s_mem()));
  Owned<BIO> key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return make_error(ErrorCode::kInternal, "openssl: cannot write PEM");
  }
  return TlsIdentity{bio_string(cert_bio.get()), bio_string(key_bio.get())};
}

core::Result<crypto::PublicKey> certificate_key(std::string_view certificate_pem) {
  Owned<BIO> bio(BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size())));
  Owned<X509> cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) return make_error(ErrorCode::kInvalidKey, "not a PEM certificate");
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    return make_error(ErrorCode::kInvalidKey, "certificate key is not Ed25519");
  }
  if (X509_verify(cert.get(), key) != 1) return make_error(ErrorCode::kBadSignature, "certificate self-signature does not verify");
  crypto::PublicKey out;
  std::size_t len = out.bytes.size();
  if (EVP_PKEY_get_raw_public_key(key, out.bytes.data(), &len) != 1 || len != out.bytes.size()) {
    return make_error(ErrorCode::kInvalidKey, "cannot read the certificate's Ed25519 key");
  }
  return out;
}

}  // namespace metanode::net
