#pragma once
// Every error keygate returns: one stable numeric code, one HTTP status, one message.
// Binance's codes are used where Binance has one; keygate's own are in -7xxx.
// docs/errors.md lists them all; keep the two in step.

#include <fmt/format.h>

#include <string>
#include <utility>

namespace kg {

struct ErrorDef {
  int code;
  int http;
  const char* msg;  // fmt-style; arguments fill the {}
};

struct Error {
  int code = -1000;
  int http = 500;
  std::string msg;
};

template <typename... Args>
Error make_error(const ErrorDef& def, Args&&... args) {
  if constexpr (sizeof...(Args) == 0) {
    return Error{def.code, def.http, def.msg};
  } else {
    return Error{def.code, def.http, fmt::format(fmt::runtime(def.msg), std::forward<Args>(args)...)};
  }
}

namespace err {
// Binance's generic request errors.
inline constexpr ErrorDef kUnknown{-1000, 500, "An unknown error occurred while processing the request."};
inline constexpr ErrorDef kIllegalChars{-1100, 400, "Illegal characters found in parameter '{}'; legal range is '{}'."};
inline constexpr ErrorDef kDuplicateParam{-1101, 400, "Duplicate values for a parameter detected."};
inline constexpr ErrorDef kBadParam{-1102, 400, "Mandatory parameter '{}' was not sent, was empty/null, or malformed."};
inline constexpr ErrorDef kUnknownParam{-1104, 400, "Not all sent parameters were read; unknown parameter '{}'."};
inline constexpr ErrorDef kBadSymbol{-1121, 400, "Invalid symbol."};
inline constexpr ErrorDef kBadParamCombination{-1128, 400, "Combination of optional parameters invalid."};
inline constexpr ErrorDef kIntervalTooBig{-1127, 400, "Lookup interval is too big."};
inline constexpr ErrorDef kNoListenKey{-1125, 400, "This listenKey does not exist."};
inline constexpr ErrorDef kBadInterval{-1120, 400, "Invalid interval."};
inline constexpr ErrorDef kStartAfterEnd{-1023, 400, "Start time is greater than end time."};
inline constexpr ErrorDef kFilterFailure{-1013, 400, "Filter failure: {}"};

inline constexpr ErrorDef kUnauthorized{-1002, 401, "You are not authorized to execute this request."};
inline constexpr ErrorDef kTimestampOld{-1021, 400, "Timestamp for this request is outside of the recvWindow."};
inline constexpr ErrorDef kTimestampAhead{-1021, 400, "Timestamp for this request was 1000ms ahead of the server's time."};
inline constexpr ErrorDef kBadSignature{-1022, 400, "Signature for this request is not valid."};
inline constexpr ErrorDef kReplayedSignature{-1022, 400, "Signature for this request was already used."};
inline constexpr ErrorDef kBadRecvWindow{-1131, 400, "recvWindow must be less than 60000"};
inline constexpr ErrorDef kApiKeyFormat{-2014, 401, "API-key format invalid."};
inline constexpr ErrorDef kApiKeyRejected{-2015, 401, "Invalid API-key, IP, or permissions for action."};
inline constexpr ErrorDef kInsufficientBalance{-2010, 400, "Account has insufficient balance for requested action."};
// Orders (Binance's codes and words).
inline constexpr ErrorDef kParamNotRequired{-1106, 400, "Parameter '{}' sent when not required."};
inline constexpr ErrorDef kBadTimeInForce{-1115, 400, "Invalid timeInForce."};
inline constexpr ErrorDef kBadOrderType{-1116, 400, "Invalid orderType."};
inline constexpr ErrorDef kBadSide{-1117, 400, "Invalid side."};
inline constexpr ErrorDef kTooMuchPrecision{-1111, 400, "Parameter '{}' has too much precision."};
inline constexpr ErrorDef kOrderIdMissing{-1102, 400, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"};
inline constexpr ErrorDef kDuplicateOrder{-2010, 400, "Duplicate order sent."};
inline constexpr ErrorDef kWouldTake{-2010, 400, "Order would immediately match and take."};
inline constexpr ErrorDef kUnknownOrder{-2011, 400, "Unknown order sent."};
inline constexpr ErrorDef kNoSuchOrder{-2013, 400, "Order does not exist."};
// Rate limits (auth/rate_limiter.hpp). The last argument of each "per {}" is "1 MINUTE", "10 SECOND".
inline constexpr ErrorDef kTooMuchWeight{-1003, 429, "Too much request weight used; current limit is {} request weight per {}. Please use WebSocket Streams for live updates to avoid polling the API."};
inline constexpr ErrorDef kTooManyRequests{-1003, 429, "Too many requests; current limit is {} requests per {}. Please use WebSocket Streams for live updates to avoid polling the API."};
inline constexpr ErrorDef kIpBanned{-1003, 418, "Way too much request weight used; IP banned until {}. Please use WebSocket Streams for live updates to avoid bans."};
inline constexpr ErrorDef kTooManyConnections{-1003, 429, "Too many connections; current limit is {} open connections per IP."};
inline constexpr ErrorDef kTooManyWsConnections{-1003, 429, "Too many WebSocket connections; current limit is {} connection attempts per {}."};
inline constexpr ErrorDef kKeyTooMuchWeight{-1003, 429, "Too much request weight used; this API key's own limit is {} request weight per 1 MINUTE."};
inline constexpr ErrorDef kKeyTooManyOrders{-1015, 429, "Too many new orders; this API key's own limit is {} orders per 10 SECOND."};
inline constexpr ErrorDef kTooManyOrders{-1015, 429, "Too many new orders; current limit is {} orders per {}."};

// HTTP-level errors.
inline constexpr ErrorDef kNotFound{-7000, 404, "Not found."};
inline constexpr ErrorDef kMethodNotAllowed{-7001, 405, "Method not allowed for this path."};
inline constexpr ErrorDef kMalformedRequest{-7002, 400, "Malformed HTTP request."};
inline constexpr ErrorDef kUriTooLong{-7003, 414, "Request line too long; the limit is {} bytes."};
inline constexpr ErrorDef kHeadersTooLarge{-7004, 431, "Request headers too large; the limit is {} bytes."};
inline constexpr ErrorDef kBodyTooLarge{-7005, 413, "Request body too large; the limit is {} bytes."};
inline constexpr ErrorDef kBadJson{-7006, 400, "Request body is not a JSON object."};
inline constexpr ErrorDef kUnavailable{-7007, 503, "The server is shutting down or not ready."};
inline constexpr ErrorDef kStorage{-7008, 500, "The store failed; nothing was changed."};

// Accounts and sessions.
inline constexpr ErrorDef kUnauthenticated{-7100, 401, "Missing, invalid or expired session token."};
inline constexpr ErrorDef kBadCredentials{-7101, 401, "Invalid email or password."};
inline constexpr ErrorDef kLoginLocked{-7102, 429, "Too many failed login attempts; try again in {} seconds."};
inline constexpr ErrorDef kEmailTaken{-7103, 409, "An account with this email already exists."};
inline constexpr ErrorDef kInvalidEmail{-7104, 400, "Invalid email address."};
inline constexpr ErrorDef kWeakPassword{-7105, 400, "Password must be {} to {} characters long."};
inline constexpr ErrorDef kUserNotFound{-7106, 404, "No user with this email."};
inline constexpr ErrorDef kCsrf{-7108, 403, "Missing or invalid CSRF token (send the kg_csrf cookie's value as X-CSRF-Token)."};
inline constexpr ErrorDef kApiAccessDisabled{-7107, 403, "API access is disabled for this account; please contact support."};

// API key management (console).
inline constexpr ErrorDef kTwoFactorNeededForKeys{-7300, 403, "Enable two-factor authentication before creating API keys."};
inline constexpr ErrorDef kKeyLimit{-7301, 409, "An account can have at most {} API keys; delete one first."};
inline constexpr ErrorDef kKeyNotFound{-7302, 404, "No such API key."};
inline constexpr ErrorDef kBadLabel{-7303, 400, "The label must be 1 to 50 characters."};
inline constexpr ErrorDef kNoPermissions{-7304, 400, "Choose at least one permission."};
inline constexpr ErrorDef kBadPermission{-7305, 400, "Unknown permission '{}'; use READ, TRADE, CONVERT, TRANSFER, WITHDRAW or DEPOSIT."};
inline constexpr ErrorDef kBadIpEntry{-7306, 400, "'{}' is not an IPv4 or IPv6 address or CIDR range."};
inline constexpr ErrorDef kTooManyIps{-7307, 400, "An IP allowlist holds at most {} entries."};
inline constexpr ErrorDef kIpChoice{-7308, 400, "Give an ipAllowlist or set allowAllIps, not both and not neither."};
inline constexpr ErrorDef kWithdrawNeedsIps{-7309, 400, "WITHDRAW requires an IP allowlist."};
inline constexpr ErrorDef kBadKeyType{-7310, 400, "type must be HMAC_SHA256, ED25519 or RSA."};
inline constexpr ErrorDef kBadPublicKey{-7311, 400, "publicKey must be a PEM public key of the chosen type (RSA: 2048 or 4096 bits)."};
inline constexpr ErrorDef kUnexpectedPublicKey{-7312, 400, "HMAC_SHA256 keys are generated by the server; do not send publicKey."};
inline constexpr ErrorDef kBadExpiry{-7313, 400, "expiresAt must be a time in the future (epoch milliseconds)."};
inline constexpr ErrorDef kNotRotatable{-7314, 400, "Only HMAC_SHA256 keys can be rotated; upload a new public key instead."};
inline constexpr ErrorDef kBadGrace{-7315, 400, "graceSeconds must be between 0 and {}."};

// Two-factor authentication.
inline constexpr ErrorDef kTotpRequired{-7200, 401, "A two-factor code is required."};
inline constexpr ErrorDef kTotpInvalid{-7201, 401, "The two-factor code is invalid or was already used."};
inline constexpr ErrorDef kTotpLocked{-7202, 429, "Too many wrong two-factor codes; try again in {} seconds."};
inline constexpr ErrorDef kTotpAlreadyEnabled{-7203, 409, "Two-factor authentication is already enabled."};
inline constexpr ErrorDef kTotpNotEnabled{-7204, 409, "Two-factor authentication is not enabled."};
inline constexpr ErrorDef kTotpNoSetup{-7205, 409, "Start two-factor setup first (POST /console/v1/2fa/setup)."};

// Ledger. -7400 and -7401 are bugs in whoever built the entry (the wallet, the engine), hence 500.
inline constexpr ErrorDef kMalformedEntry{-7400, 500, "Malformed journal entry {}: {}."};
inline constexpr ErrorDef kEntryOutOfOrder{-7401, 500, "Journal entry {} is not after the last applied entry {}."};
inline constexpr ErrorDef kBalanceOverflow{-7402, 400, "The amount is too large: a balance would overflow."};
inline constexpr ErrorDef kNoRecipient{-7411, 400, "No such recipient."};
inline constexpr ErrorDef kSelfTransfer{-7412, 400, "The recipient is this account."};
inline constexpr ErrorDef kIdempotencyConflict{-7413, 400, "clientTranId was already used with other parameters."};
inline constexpr ErrorDef kUnknownAsset{-7410, 400, "Unknown asset '{}': it is not configured on this exchange."};
// Deposits and withdrawals (-7404..-7405, -7414..-7419, -7430..-7439; convert uses -742x).
inline constexpr ErrorDef kUnknownDepositAddress{-7404, 404, "No account owns deposit address '{}' on the {} network."};
inline constexpr ErrorDef kTxidConflict{-7405, 409, "Chain transaction '{}' was already recorded with other details."};
inline constexpr ErrorDef kUnknownNetwork{-7414, 400, "Unknown network '{}' for {}."};
inline constexpr ErrorDef kNetworkSuspended{-7415, 400, "{} of {} on the {} network is suspended."};
inline constexpr ErrorDef kBadAddress{-7416, 400, "'{}' is not a valid address on the {} network."};
inline constexpr ErrorDef kBadTag{-7417, 400, "'{}' is not a valid tag (memo) on the {} network."};
inline constexpr ErrorDef kWithdrawAmount{-7418, 400, "The amount must be from {} to {} {}, in steps of {}."};
inline constexpr ErrorDef kWithdrawIdConflict{-7419, 400, "withdrawOrderId was already used with other parameters."};
inline constexpr ErrorDef kNotWhitelisted{-7430, 400, "Address management is on: withdrawals go only to addresses in the address book."};
inline constexpr ErrorDef kAddressCoolingOff{-7431, 400, "This address was added less than {} hours ago; it can be used from {} (epoch ms)."};
inline constexpr ErrorDef kKeyAddressDenied{-7432, 400, "This API key may not withdraw to this address."};
inline constexpr ErrorDef kKeyDailyCap{-7433, 400, "Over this API key's limit of {} {} per 24 hours; {} remains."};
inline constexpr ErrorDef kNoWithdrawal{-7434, 404, "No such withdrawal."};
inline constexpr ErrorDef kWithdrawalState{-7435, 409, "The withdrawal is {}; only {} ones can be {}."};
inline constexpr ErrorDef kAddressExists{-7436, 409, "The address book already has this address."};
inline constexpr ErrorDef kNoBookAddress{-7437, 404, "No such address-book entry."};
inline constexpr ErrorDef kAddressBookFull{-7438, 400, "An address book holds at most {} addresses."};
inline constexpr ErrorDef kBadCap{-7439, 400, "withdrawDailyCaps: '{}' is not ASSET:AMOUNT with a configured asset and a positive amount."};
// Convert (-7420..-7429).
inline constexpr ErrorDef kQuoteNotFound{-7420, 400, "Unknown or expired quoteId."};
inline constexpr ErrorDef kQuoteAccepted{-7421, 400, "This quote was already accepted."};
inline constexpr ErrorDef kConvertPair{-7422, 400, "Converting {} to {} is not supported."};
inline constexpr ErrorDef kDeskLiquidity{-7423, 400, "Not enough {} available to convert right now; try a smaller amount."};
inline constexpr ErrorDef kConvertAmount{-7424, 400, "The amount is out of range: {}."};
inline constexpr ErrorDef kTooManyQuotes{-7425, 400, "At most {} open quotes per account; accept one or let them expire."};
inline constexpr ErrorDef kConvertOrderNotFound{-7426, 400, "No such convert order."};
}  // namespace err

}  // namespace kg
