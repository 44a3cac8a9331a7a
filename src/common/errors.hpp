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
inline constexpr ErrorDef kApiAccessDisabled{-7107, 403, "API access is disabled for this account; please contact support."};

// Two-factor authentication.
inline constexpr ErrorDef kTotpRequired{-7200, 401, "A two-factor code is required."};
inline constexpr ErrorDef kTotpInvalid{-7201, 401, "The two-factor code is invalid or was already used."};
inline constexpr ErrorDef kTotpLocked{-7202, 429, "Too many wrong two-factor codes; try again in {} seconds."};
inline constexpr ErrorDef kTotpAlreadyEnabled{-7203, 409, "Two-factor authentication is already enabled."};
inline constexpr ErrorDef kTotpNotEnabled{-7204, 409, "Two-factor authentication is not enabled."};
inline constexpr ErrorDef kTotpNoSetup{-7205, 409, "Start two-factor setup first (POST /console/v1/2fa/setup)."};
}  // namespace err

}  // namespace kg
