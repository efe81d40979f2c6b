// C2SP signed notes (c2sp.org/signed-note): a UTF-8 text ending in a newline, a blank line, then
// one or more lines "— <key name> base64(4-byte key ID || signature)". What this project signs
// this way (audit-log checkpoints, c2sp.org/tlog-checkpoint) is then readable by any tool of that
// ecosystem, and the signature lines are:
//
//   Ed25519    signature type 0x01: a plain RFC 8032 signature over the note text (the format
//              defines the signed bytes, so no domain tag), key ID as the spec recommends:
//              SHA-256(name || 0x0A || 0x01 || 32-byte key)[:4].
//   ML-DSA-65  signature type 0xff ("no identifier byte assigned") followed, as the spec
//              recommends, by a longer identifier: the key ID is
//              SHA-256(name || 0x0A || 0xff || "ML-DSA-65" || 1,952-byte key)[:4], and the
//              signature is FIPS 204 ML-DSA-65 (empty context) over the note text.
//
// Witness cosignatures (c2sp.org/tlog-cosignature) are lines of the same note: the witness signs
// "cosignature/v1\ntime <unix seconds>\n" followed by the note text, and the line carries the
// time as 8 big-endian bytes before the signature:
//
//   Ed25519    signature type 0x04 (cosignature/v1): key ID SHA-256(name || 0x0A || 0x04 || key)[:4].
//   ML-DSA-65  type 0xff with the identifier "ML-DSA-65-cosignature/v1", so a witness's line
//              survives quantum computers like the log's own.
//
// Key IDs are SHA-256 because the format says so; they are identifiers, not the hashes this
// project's proofs rest on (those are domain-separated BLAKE3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/mldsa.hpp"

namespace metanode::crypto {

// A note with this many signature lines or bytes is refused before any is checked (the spec asks
// for at least 16 signatures to be accepted; an ML-DSA-65 line is about 4.5 KB).
inline constexpr std::size_t kNoteSignaturesMax = 64;
inline constexpr std::size_t kNoteBytesMax = 512 * 1024;

struct NoteSignature {
  std::string name;
  std::uint32_t key_id = 0;
  core::Bytes signature;  // without the key ID
  // "— name base64(key ID || signature)\n", as the note carries it.
  std::string line() const;
  bool operator==(const NoteSignature&) const = default;
};

struct SignedNote {
  std::string text;  // ends with "\n"; what every signature covers
  std::vector<NoteSignature> signatures;

  // The note as it travels: text, blank line, signature lines.
  std::string serialize() const;
  // kInvalidArgument naming what is malformed: no blank line before the signatures, a line that
  // is not "— name base64", base64 that does not decode to at least 5 bytes, control characters,
  // over the limits above.
  static core::Result<SignedNote> parse(std::string_view note);
  bool operator==(const SignedNote&) const = default;
};

// Key names: non-empty, no spaces or '+' (the spec's rule).
core::Status check_note_key_name(std::string_view name);
std::uint32_t ed25519_note_key_id(std::string_view name, const PublicKey& key);
std::uint32_t mldsa_note_key_id(std::string_view name, const MldsaPublicKey& key);

// Appends this key's signature line over note.text.
void sign_note_ed25519(SignedNote& note, std::string_view name, const KeyPair& key);
void sign_note_mldsa(SignedNote& note, std::string_view name, const MldsaKeyPair& key);

// The result of looking for one key's signature on a note: none with its name and ID (absent),
// one that verifies (valid) or one that does not (invalid: the spec says reject the note).
enum class NoteSignatureCheck { kAbsent, kValid, kInvalid };
NoteSignatureCheck check_note_ed25519(const SignedNote& note, std::string_view name, const PublicKey& key);
NoteSignatureCheck check_note_mldsa(const SignedNote& note, std::string_view name, const MldsaPublicKey& key);

// Witness cosignatures (above). `unix_s` is the witness's time of signing.
std::uint32_t ed25519_cosignature_key_id(std::string_view name, const PublicKey& key);
std::uint32_t mldsa_cosignature_key_id(std::string_view name, const MldsaPublicKey& key);
void cosign_note_ed25519(SignedNote& note, std::string_view name, const KeyPair& key, std::uint64_t unix_s);
void cosign_note_mldsa(SignedNote& note, std::string_view name, const MldsaKeyPair& key, std::uint64_t unix_s);
struct CosignatureCheck {
  NoteSignatureCheck result = NoteSignatureCheck::kAbsent;
  std::uint64_t unix_s = 0;  // kValid: when the witness signed
};
CosignatureCheck check_cosignature_ed25519(const SignedNote& note, std::string_view name, const PublicKey& key);
CosignatureCheck check_cosignature_mldsa(const SignedNote& note, std::string_view name, const MldsaPublicKey& key);

}  // namespace metanode::crypto
