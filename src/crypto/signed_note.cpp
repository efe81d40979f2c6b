#include "crypto/signed_note.hpp"

#include "crypto/encoding.hpp"

namespace metanode::crypto {
namespace {

constexpr std::string_view kDash = "\xE2\x80\x94 ";  // U+2014 EM DASH, then a space
constexpr std::uint8_t kTypeEd25519 = 0x01;
constexpr std::uint8_t kTypeOther = 0xff;
constexpr std::uint8_t kTypeCosignature = 0x04;
constexpr std::string_view kMldsaIdentifier = "ML-DSA-65";
constexpr std::string_view kMldsaCosignatureIdentifier = "ML-DSA-65-cosignature/v1";

// What a witness signs: the cosignature header with its time, then the note text.
core::Bytes cosigned_message(const SignedNote& note, std::uint64_t unix_s) {
  const std::string header = "cosignature/v1\ntime " + std::to_string(unix_s) + "\n";
  core::Bytes message(header.begin(), header.end());
  message.insert(message.end(), note.text.begin(), note.text.end());
  return message;
}

core::Bytes time_and(std::uint64_t unix_s, core::ByteView signature) {
  core::Bytes out(8);
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<core::Byte>(unix_s >> (56 - 8 * i));
  out.insert(out.end(), signature.begin(), signature.end());
  return out;
}

std::uint64_t time_of(core::ByteView line) {
  std::uint64_t t = 0;
  for (std::size_t i = 0; i < 8; ++i) t = (t << 8) | line[i];
  return t;
}

core::Error malformed(const std::string& why) {
  return core::make_error(core::ErrorCode::kInvalidArgument, "signed note: " + why);
}

std::uint32_t key_id_of(std::string_view name, core::ByteView type_and_key) {
  core::Bytes input(name.begin(), name.end());
  input.push_back('\n');
  input.insert(input.end(), type_and_key.begin(), type_and_key.end());
  const auto digest = sha256(input);
  return (std::uint32_t{digest[0]} << 24) | (std::uint32_t{digest[1]} << 16) | (std::uint32_t{digest[2]} << 8) |
         std::uint32_t{digest[3]};
}

void add_line(SignedNote& note, std::string_view name, std::uint32_t key_id, core::ByteView signature) {
  note.signatures.push_back(NoteSignature{std::string(name), key_id, core::Bytes(signature.begin(), signature.end())});
}

const NoteSignature* find(const SignedNote& note, std::string_view name, std::uint32_t key_id) {
  for (const auto& s : note.signatures) {
    if (s.name == name && s.key_id == key_id) return &s;
  }
  return nullptr;
}

std::uint32_t other_key_id(std::string_view name, std::string_view identifier, core::ByteView key) {
  core::Bytes type_and_key{kTypeOther};
  type_and_key.insert(type_and_key.end(), identifier.begin(), identifier.end());
  type_and_key.insert(type_and_key.end(), key.begin(), key.end());
  return key_id_of(name, type_and_key);
}

}  // namespace

core::Status check_note_key_name(std::string_view name) {
  if (name.empty()) return malformed("empty key name");
  for (const char c : name) {
    if (c == ' ' || c == '+' || static_cast<unsigned char>(c) < 0x20) {
      return malformed("key name '" + std::string(name) + "' holds a space, '+' or a control character");
    }
  }
  return {};
}

std::uint32_t ed25519_note_key_id(std::string_view name, const PublicKey& key) {
  core::Bytes type_and_key{kTypeEd25519};
  type_and_key.insert(type_and_key.end(), key.bytes.begin(), key.bytes.end());
  return key_id_of(name, type_and_key);
}

std::uint32_t mldsa_note_key_id(std::string_view name, const MldsaPublicKey& key) {
  return other_key_id(name, kMldsaIdentifier, key.bytes);
}

std::uint32_t ed25519_cosignature_key_id(std::string_view name, const PublicKey& key) {
  core::Bytes type_and_key{kTypeCosignature};
  type_and_key.insert(type_and_key.end(), key.bytes.begin(), key.bytes.end());
  return key_id_of(name, type_and_key);
}

std::uint32_t mldsa_cosignature_key_id(std::string_view name, const MldsaPublicKey& key) {
  return other_key_id(name, kMldsaCosignatureIdentifier, key.bytes);
}

std::string NoteSignature::line() const {
  core::Bytes blob{static_cast<core::Byte>(key_id >> 24), static_cast<core::Byte>(key_id >> 16),
                   static_cast<core::Byte>(key_id >> 8), static_cast<core::Byte>(key_id)};
  blob.insert(blob.end(), signature.begin(), signature.end());
  std::string out(kDash);
  out += name;
  out += ' ';
  out += base64_encode(blob);
  out += '\n';
  return out;
}

std::string SignedNote::serialize() const {
  std::string out = text;
  out += '\n';
  for (const auto& s : signatures) out += s.line();
  return out;
}

core::Result<SignedNote> SignedNote::parse(std::string_view note) {
  if (note.size() > kNoteBytesMax) return malformed("over " + std::to_string(kNoteBytesMax) + " bytes");
  for (const char c : note) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n') return malformed("holds a control character");
  }
  // The signatures follow the last blank line.
  const auto split = note.rfind("\n\n");
  if (split == std::string_view::npos) return malformed("no blank line before the signature lines");
  SignedNote parsed;
  parsed.text = std::string(note.substr(0, split + 1));
  std::string_view rest = note.substr(split + 2);
  if (rest.empty() || rest.back() != '\n') return malformed("the signature lines do not end with a newline");
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end + 1);
    if (parsed.signatures.size() == kNoteSignaturesMax) {
      return malformed("more than " + std::to_string(kNoteSignaturesMax) + " signatures");
    }
    if (line.substr(0, kDash.size()) != kDash) return malformed("a signature line does not start with '— '");
    const std::string_view body = line.substr(kDash.size());
    const auto space = body.find(' ');
    if (space == std::string_view::npos) return malformed("a signature line has no signature after its key name");
    const std::string_view name = body.substr(0, space);
    MN_TRY(check_note_key_name(name));
    auto blob = base64_decode(body.substr(space + 1));
    if (!blob.ok()) return malformed("signature of " + std::string(name) + " is not base64");
    if (blob->size() < 5) return malformed("signature of " + std::string(name) + " is shorter than a key ID");
    const core::Bytes& b = *blob;
    const std::uint32_t key_id = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                                 (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
    add_line(parsed, name, key_id, core::ByteView(b).subspan(4));
  }
  if (parsed.signatures.empty()) return malformed("no signature lines");
  return parsed;
}

void sign_note_ed25519(SignedNote& note, std::string_view name, const KeyPair& key) {
  const Signature sig = key.sign_raw(core::as_bytes(note.text));
  add_line(note, name, ed25519_note_key_id(name, key.public_key()), sig.bytes);
}

void sign_note_mldsa(SignedNote& note, std::string_view name, const MldsaKeyPair& key) {
  const MldsaSignature sig = key.sign_raw(core::as_bytes(note.text));
  add_line(note, name, mldsa_note_key_id(name, key.public_key()), sig.bytes);
}

NoteSignatureCheck check_note_ed25519(const SignedNote& note, std::string_view name, const PublicKey& key) {
  const NoteSignature* s = find(note, name, ed25519_note_key_id(name, key));
  if (s == nullptr) return NoteSignatureCheck::kAbsent;
  if (s->signature.size() != 64) return NoteSignatureCheck::kInvalid;
  Signature sig;
  std::copy(s->signature.begin(), s->signature.end(), sig.bytes.begin());
  return verify_raw(key, core::as_bytes(note.text), sig) ? NoteSignatureCheck::kValid : NoteSignatureCheck::kInvalid;
}

NoteSignatureCheck check_note_mldsa(const SignedNote& note, std::string_view name, const MldsaPublicKey& key) {
  const NoteSignature* s = find(note, name, mldsa_note_key_id(name, key));
  if (s == nullptr) return NoteSignatureCheck::kAbsent;
  return mldsa_verify_raw(key, core::as_bytes(note.text), s->signature) ? NoteSignatureCheck::kValid
                                                                        : NoteSignatureCheck::kInvalid;
}

void cosign_note_ed25519(SignedNote& note, std::string_view name, const KeyPair& key, std::uint64_t unix_s) {
  const Signature sig = key.sign_raw(cosigned_message(note, unix_s));
  add_line(note, name, ed25519_cosignature_key_id(name, key.public_key()), time_and(unix_s, sig.bytes));
}

void cosign_note_mldsa(SignedNote& note, std::string_view name, const MldsaKeyPair& key, std::uint64_t unix_s) {
  const MldsaSignature sig = key.sign_raw(cosigned_message(note, unix_s));
  add_line(note, name, mldsa_cosignature_key_id(name, key.public_key()), time_and(unix_s, sig.bytes));
}

CosignatureCheck check_cosignature_ed25519(const SignedNote& note, std::string_view name, const PublicKey& key) {
  const NoteSignature* s = find(note, name, ed25519_cosignature_key_id(name, key));
  if (s == nullptr) return {};
  if (s->signature.size() != 8 + 64) return {NoteSignatureCheck::kInvalid, 0};
  const std::uint64_t unix_s = time_of(s->signature);
  Signature sig;
  std::copy(s->signature.begin() + 8, s->signature.end(), sig.bytes.begin());
  const bool ok = verify_raw(key, cosigned_message(note, unix_s), sig);
  return {ok ? NoteSignatureCheck::kValid : NoteSignatureCheck::kInvalid, unix_s};
}

CosignatureCheck check_cosignature_mldsa(const SignedNote& note, std::string_view name, const MldsaPublicKey& key) {
  const NoteSignature* s = find(note, name, mldsa_cosignature_key_id(name, key));
  if (s == nullptr) return {};
  if (s->signature.size() <= 8) return {NoteSignatureCheck::kInvalid, 0};
  const std::uint64_t unix_s = time_of(s->signature);
  const bool ok = mldsa_verify_raw(key, cosigned_message(note, unix_s), core::ByteView(s->signature).subspan(8));
  return {ok ? NoteSignatureCheck::kValid : NoteSignatureCheck::kInvalid, unix_s};
}

}  // namespace metanode::crypto
