#include "mempool/refusal.hpp"

namespace metanode::mempool {

Refusal refusal_of(core::ErrorCode code) {
  using core::ErrorCode;
  switch (code) {
    case ErrorCode::kTxMalformed:
    case ErrorCode::kTxWrongChain:
    case ErrorCode::kTxUnknownPayload:
    case ErrorCode::kTxTooLarge:
    case ErrorCode::kDecodeTruncated:
    case ErrorCode::kDecodeOverLimit:
    case ErrorCode::kDecodeTrailingBytes:
    case ErrorCode::kDecodeInvalidValue:
    case ErrorCode::kMultisigInvalidPolicy:
      return {"stateless", "consensus"};
    case ErrorCode::kTxNonceTooLow:
      return {"nonce", "consensus"};
    case ErrorCode::kBadSignature:
    case ErrorCode::kInvalidKey:
    case ErrorCode::kMultisigDuplicateSigner:
    case ErrorCode::kMultisigUnknownSigner:
    case ErrorCode::kMultisigTooFewSignatures:
      return {"signature", "consensus"};
    case ErrorCode::kTxFeeTooLow:  // below this block's base fee: no block would take it now
      return {"pool", "consensus"};
    case ErrorCode::kStorageIo:
    case ErrorCode::kStorageCorrupt:
    case ErrorCode::kStateCorrupt:
    case ErrorCode::kInternal:
      return {"pool", "internal"};
    default:  // room, bids, quotas, replacement, how far ahead a nonce may be, what is reserved
      return {"pool", "policy"};
  }
}

}  // namespace metanode::mempool
