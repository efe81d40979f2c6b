// Result<T>: a value or an Error with a stable code and a readable message. Errors that input can
// cause travel as values, never as exceptions across layers (CONVENTIONS.md).
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace metanode::core {

// The one registry of error codes. Numbers and names are stable: clients and logs depend on
// them, so a code is never renumbered or reused; new codes take new numbers.
#define METANODE_ERROR_CODES(X)                         \
  X(kInvalidArgument, 1, "invalid_argument")            \
  X(kNotFound, 2, "not_found")                          \
  X(kAlreadyExists, 3, "already_exists")                \
  X(kIo, 4, "io_error")                                 \
  X(kInternal, 5, "internal")                           \
  X(kDecodeTruncated, 10, "decode_truncated")           \
  X(kDecodeOverLimit, 11, "decode_over_limit")          \
  X(kDecodeTrailingBytes, 12, "decode_trailing_bytes")  \
  X(kDecodeInvalidValue, 13, "decode_invalid_value")    \
  X(kInvalidHex, 20, "invalid_hex")                     \
  X(kInvalidAddress, 21, "invalid_address")             \
  X(kBadSignature, 30, "bad_signature")                 \
  X(kInvalidKey, 31, "invalid_key")                     \
  X(kMultisigInvalidPolicy, 32, "multisig_invalid_policy") \
  X(kMultisigDuplicateSigner, 33, "multisig_duplicate_signer") \
  X(kMultisigUnknownSigner, 34, "multisig_unknown_signer") \
  X(kMultisigTooFewSignatures, 35, "multisig_too_few_signatures") \
  X(kDecryptionFailed, 40, "decryption_failed")         \
  X(kWrongPassphrase, 41, "wrong_passphrase")           \
  X(kKeyNotFound, 42, "key_not_found")                  \
  X(kKeyExists, 43, "key_exists")                       \
  X(kKeystoreCorrupt, 44, "keystore_corrupt")         \
  X(kProofInvalid, 60, "proof_invalid")                \
  X(kProofRootMismatch, 61, "proof_root_mismatch")     \
  X(kStateCorrupt, 62, "state_corrupt")                \
  X(kStorageIo, 70, "storage_io")                       \
  X(kStorageWrongChain, 71, "storage_wrong_chain")      \
  X(kStorageNewerFormat, 72, "storage_newer_format")    \
  X(kStorageCorrupt, 73, "storage_corrupt")             \
  X(kStorageBatchTooLarge, 74, "storage_batch_too_large") \
  X(kStorageOlderFormat, 75, "storage_older_format")   \
  X(kTxMalformed, 80, "tx_malformed")                   \
  X(kTxWrongChain, 81, "tx_wrong_chain")                \
  X(kTxNonceTooLow, 82, "tx_nonce_too_low")             \
  X(kTxNonceGap, 83, "tx_nonce_gap")                    \
  X(kTxInsufficientBalance, 84, "tx_insufficient_balance") \
  X(kTxFeeTooLow, 85, "tx_fee_too_low")                 \
  X(kTxAmountOverflow, 86, "tx_amount_overflow")        \
  X(kTxUnknownAccount, 87, "tx_unknown_account")        \
  X(kTxTooLarge, 88, "tx_too_large")                    \
  X(kTxUnknownPayload, 89, "tx_unknown_payload")        \
  X(kBlockInvalid, 90, "block_invalid")                 \
  X(kBlockCorrupt, 91, "block_corrupt")                 \
  X(kGenesisInvalid, 92, "genesis_invalid")             \
  X(kMempoolFull, 100, "mempool_full")                  \
  X(kMempoolBidTooLow, 101, "mempool_bid_too_low")      \
  X(kMempoolReplacementUnderpriced, 102, "mempool_replacement_underpriced") \
  X(kMempoolSenderQuota, 103, "mempool_sender_quota")   \
  X(kMempoolDuplicate, 104, "mempool_duplicate")        \
  X(kMempoolEvicted, 105, "mempool_evicted")           \
  X(kConsensusInvalidMessage, 110, "consensus_invalid_message") \
  X(kConsensusUnknownSigner, 111, "consensus_unknown_signer") \
  X(kConsensusBadCertificate, 112, "consensus_bad_certificate") \
  X(kConsensusWrongHeight, 113, "consensus_wrong_height") \
  X(kConsensusNotLeader, 114, "consensus_not_leader")   \
  X(kGovNotCouncilMember, 120, "gov_not_council_member") \
  X(kGovUnknownProposal, 121, "gov_unknown_proposal")   \
  X(kGovProposalExpired, 122, "gov_proposal_expired")   \
  X(kGovDuplicateApproval, 123, "gov_duplicate_approval") \
  X(kGovProposalClosed, 124, "gov_proposal_closed")     \
  X(kGovUnknownRole, 125, "gov_unknown_role")           \
  X(kGovRoleExists, 126, "gov_role_exists")             \
  X(kGovRoleAlreadyHeld, 127, "gov_role_already_held")  \
  X(kGovRoleNotHeld, 128, "gov_role_not_held")          \
  X(kGovLimit, 129, "gov_limit")                        \
  X(kAuditAnchorStale, 130, "audit_anchor_stale")      \
  X(kAuditAnchorInconsistent, 131, "audit_anchor_inconsistent") \
  X(kEconNotValidator, 140, "econ_not_validator")       \
  X(kEconUnbondTooMuch, 141, "econ_unbond_too_much")    \
  X(kEconUnbondingFull, 142, "econ_unbonding_full")    \
  X(kEconEvidenceInvalid, 143, "econ_evidence_invalid") \
  X(kEconEvidenceDuplicate, 144, "econ_evidence_duplicate") \
  X(kEconEvidenceTooOld, 145, "econ_evidence_too_old")  \
  X(kEconSlashed, 146, "econ_slashed")                 \
  X(kEconNoDelegation, 147, "econ_no_delegation")     \
  X(kEconNothingToClaim, 148, "econ_nothing_to_claim") \
  X(kOracleUnknownFeed, 150, "oracle_unknown_feed")     \
  X(kOracleStaleRound, 151, "oracle_stale_round")       \
  X(kOracleNotOperator, 152, "oracle_not_operator")     \
  X(kOracleDuplicateObservation, 153, "oracle_duplicate_observation") \
  X(kOracleBadSignature, 154, "oracle_bad_signature")   \
  X(kOracleStaleObservation, 155, "oracle_stale_observation") \
  X(kOracleOutOfRange, 156, "oracle_out_of_range")      \
  X(kOracleNoQuorum, 157, "oracle_no_quorum")           \
  X(kOracleRoundNotDue, 158, "oracle_round_not_due")   \
  X(kRegistryNameTaken, 160, "registry_name_taken")     \
  X(kRegistryNotOwner, 161, "registry_not_owner")       \
  X(kRegistryUnknownName, 162, "registry_unknown_name") \
  X(kRegistryIndexFull, 163, "registry_index_full")

enum class ErrorCode : std::uint16_t {
#define METANODE_ERROR_ENUM(name, number, text) name = number,
  METANODE_ERROR_CODES(METANODE_ERROR_ENUM)
#undef METANODE_ERROR_ENUM
};

// Stable snake_case name of a code ("decode_truncated").
std::string_view error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  std::string_view code_name() const { return error_code_name(code); }
  // "decode_truncated: need 8 bytes at offset 3, 2 left"
  std::string to_string() const;
  bool operator==(const Error&) const = default;
};

inline Error make_error(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok() && "Result::value() on an error");
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok() && "Result::value() on an error");
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok() && "Result::value() on an error");
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& {
    assert(!ok() && "Result::error() on a value");
    return std::get<1>(state_);
  }
  Error&& error() && {
    assert(!ok() && "Result::error() on a value");
    return std::get<1>(std::move(state_));
  }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    assert(!ok_ && "Result::error() on success");
    return error_;
  }
  Error&& error() && {
    assert(!ok_ && "Result::error() on success");
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace metanode::core

#define METANODE_CONCAT_INNER(a, b) a##b
#define METANODE_CONCAT(a, b) METANODE_CONCAT_INNER(a, b)

// Returns the error of `expr` (a Result) from the enclosing function, if it holds one.
#define MN_TRY(expr)                                  \
  do {                                                \
    auto mn_try_result_ = (expr);                     \
    if (!mn_try_result_.ok()) {                       \
      return std::move(mn_try_result_).error();       \
    }                                                 \
  } while (false)

// `MN_TRY_ASSIGN(auto x, f());` declares x from f()'s value or returns f()'s error.
#define MN_TRY_ASSIGN(lhs, expr) MN_TRY_ASSIGN_IMPL(METANODE_CONCAT(mn_try_, __LINE__), lhs, expr)
#define MN_TRY_ASSIGN_IMPL(tmp, lhs, expr)   \
  auto tmp = (expr);                         \
  if (!tmp.ok()) {                           \
    return std::move(tmp).error();           \
  }                                          \
  lhs = std::move(tmp).value()
