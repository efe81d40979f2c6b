#include "crypto/signed_note.hpp"

#include <gtest/gtest.h>

#include "crypto/encoding.hpp"

namespace metanode::crypto {
namespace {

constexpr std::string_view kName = "example.com/log";

TEST(SignedNote, SignsAndChecksBothLinesAndSurvivesItsTextForm) {
  const KeyPair ed = KeyPair::generate();
  const MldsaKeyPair pq = MldsaKeyPair::generate();
  SignedNote note;
  note.text = "example.com/log\n5\nAAAA\n";
  sign_note_ed25519(note, kName, ed);
  sign_note_mldsa(note, kName, pq);
  const std::string wire = note.serialize();
  EXPECT_NE(wire.find("\n\n\xE2\x80\x94 example.com/log "), std::string::npos);

  auto parsed = SignedNote::parse(wire);
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(*parsed, note);
  EXPECT_EQ(check_note_ed25519(*parsed, kName, ed.public_key()), NoteSignatureCheck::kValid);
  EXPECT_EQ(check_note_mldsa(*parsed, kName, pq.public_key()), NoteSignatureCheck::kValid);
  // Another key, or the right key under another name: no line of it.
  EXPECT_EQ(check_note_ed25519(*parsed, kName, KeyPair::generate().public_key()), NoteSignatureCheck::kAbsent);
  EXPECT_EQ(check_note_ed25519(*parsed, "other.example/log", ed.public_key()), NoteSignatureCheck::kAbsent);
}

TEST(SignedNote, AChangedTextOrSignatureIsInvalid) {
  const KeyPair ed = KeyPair::generate();
  const MldsaKeyPair pq = MldsaKeyPair::generate();
  SignedNote note;
  note.text = "origin\n10\nroot\n";
  sign_note_ed25519(note, kName, ed);
  sign_note_mldsa(note, kName, pq);
  SignedNote changed = note;
  changed.text = "origin\n11\nroot\n";
  EXPECT_EQ(check_note_ed25519(changed, kName, ed.public_key()), NoteSignatureCheck::kInvalid);
  EXPECT_EQ(check_note_mldsa(changed, kName, pq.public_key()), NoteSignatureCheck::kInvalid);
  SignedNote flipped = note;
  flipped.signatures[0].signature[5] ^= 1;
  flipped.signatures[1].signature[5] ^= 1;
  EXPECT_EQ(check_note_ed25519(flipped, kName, ed.public_key()), NoteSignatureCheck::kInvalid);
  EXPECT_EQ(check_note_mldsa(flipped, kName, pq.public_key()), NoteSignatureCheck::kInvalid);
}

// The spec's key ID for Ed25519: SHA-256(name || 0x0A || 0x01 || key)[:4], big-endian.
TEST(SignedNote, Ed25519KeyIdIsTheSpecs) {
  const KeyPair ed = KeyPair::generate();
  std::string input(kName);
  input += "\n\x01";
  for (const auto b : ed.public_key().bytes) input += static_cast<char>(b);
  const auto digest = sha256(core::as_bytes(input));
  const std::uint32_t expected = (std::uint32_t{digest[0]} << 24) | (std::uint32_t{digest[1]} << 16) |
                                 (std::uint32_t{digest[2]} << 8) | digest[3];
  EXPECT_EQ(ed25519_note_key_id(kName, ed.public_key()), expected);
  EXPECT_NE(mldsa_note_key_id(kName, MldsaKeyPair::generate().public_key()), expected);
}

// c2sp.org/tlog-cosignature: type 0x04 key ID, 8-byte big-endian time, then an Ed25519
// signature over "cosignature/v1\ntime T\n" + the note text; checked here from the spec's text.
TEST(SignedNote, WitnessCosignaturesAreTheSpecsAndCheck) {
  const KeyPair log_key = KeyPair::generate();
  const KeyPair witness = KeyPair::generate();
  const MldsaKeyPair witness_pq = MldsaKeyPair::generate();
  constexpr std::string_view kWitness = "example.com/witness";
  SignedNote note;
  note.text = "example.com/log\n7\nAAAA\n";
  sign_note_ed25519(note, kName, log_key);
  cosign_note_ed25519(note, kWitness, witness, 1'700'000'123);
  cosign_note_mldsa(note, kWitness, witness_pq, 1'700'000'124);
  auto parsed = SignedNote::parse(note.serialize());
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  ASSERT_EQ(parsed->signatures.size(), 3u);

  std::string id_input(kWitness);
  id_input += "\n\x04";
  for (const auto b : witness.public_key().bytes) id_input += static_cast<char>(b);
  const auto digest = sha256(core::as_bytes(id_input));
  const NoteSignature& line = parsed->signatures[1];
  EXPECT_EQ(line.key_id, (std::uint32_t{digest[0]} << 24) | (std::uint32_t{digest[1]} << 16) |
                             (std::uint32_t{digest[2]} << 8) | digest[3]);
  ASSERT_EQ(line.signature.size(), 72u);
  std::uint64_t t = 0;
  for (int i = 0; i < 8; ++i) t = (t << 8) | line.signature[static_cast<std::size_t>(i)];
  EXPECT_EQ(t, 1'700'000'123u);
  const std::string message = "cosignature/v1\ntime 1700000123\n" + note.text;
  Signature sig;
  std::copy(line.signature.begin() + 8, line.signature.end(), sig.bytes.begin());
  EXPECT_TRUE(verify_raw(witness.public_key(), core::as_bytes(message), sig));

  const auto ed = check_cosignature_ed25519(*parsed, kWitness, witness.public_key());
  EXPECT_EQ(ed.result, NoteSignatureCheck::kValid);
  EXPECT_EQ(ed.unix_s, 1'700'000'123u);
  EXPECT_EQ(check_cosignature_mldsa(*parsed, kWitness, witness_pq.public_key()).result, NoteSignatureCheck::kValid);
  // A cosignature is not the log's signature, nor the other way round.
  EXPECT_EQ(check_note_ed25519(*parsed, kWitness, witness.public_key()), NoteSignatureCheck::kAbsent);
  EXPECT_EQ(check_cosignature_ed25519(*parsed, kName, log_key.public_key()).result, NoteSignatureCheck::kAbsent);
  // Another text (a different checkpoint), a changed time, or a flipped bit: invalid.
  SignedNote other = *parsed;
  other.text = "example.com/log\n8\nAAAA\n";
  EXPECT_EQ(check_cosignature_ed25519(other, kWitness, witness.public_key()).result, NoteSignatureCheck::kInvalid);
  EXPECT_EQ(check_cosignature_mldsa(other, kWitness, witness_pq.public_key()).result, NoteSignatureCheck::kInvalid);
  SignedNote retimed = *parsed;
  retimed.signatures[1].signature[7] ^= 1;
  EXPECT_EQ(check_cosignature_ed25519(retimed, kWitness, witness.public_key()).result, NoteSignatureCheck::kInvalid);
}

TEST(SignedNote, MalformedNotesAreRefusedWithWhy) {
  const auto refused = [](std::string_view text, std::string_view why) {
    auto parsed = SignedNote::parse(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_NE(parsed.error().message.find(why), std::string::npos) << parsed.error().message;
  };
  refused("text\n", "no blank line");
  refused("text\n\n", "do not end with a newline");
  refused("text\n\n-- name AAAAAAAA\n", "does not start with");
  refused("text\n\n\xE2\x80\x94 name\n", "no signature after");
  refused("text\n\n\xE2\x80\x94 name !!!!\n", "not base64");
  refused("text\n\n\xE2\x80\x94 name AAAA\n", "shorter than a key ID");
  refused("text\n\n\xE2\x80\x94 na+me AAAAAAAA\n", "key name");
  refused("te\txt\n\n\xE2\x80\x94 name AAAAAAAA\n", "control character");
  refused(std::string(kNoteBytesMax + 1, 'a'), "over");
}

}  // namespace
}  // namespace metanode::crypto
