#pragma once
// The one way the ledger stops the process: for a broken invariant (an unbalanced entry, a
// negative amount handed to an entry builder), where carrying on would create or destroy money.
// It is not compiled out in release builds, unlike assert (R10).

#include <string_view>

namespace kg::ledger {

[[noreturn]] void fatal(std::string_view what);

}  // namespace kg::ledger
