#pragma once

#include <array>
#include <string>

#include "crypto/sealer.hpp"

namespace kg::server {

using MasterKey = std::array<unsigned char, crypto::kMasterKeySize>;

// From KEYGATE_MASTER_KEY (64 hex characters or base64 of 32 bytes), else from the file named by
// KEYGATE_MASTER_KEY_FILE, else from <data_dir>/master.key, created with mode 0600 on first start.
MasterKey load_master_key(const std::string& data_dir);

}  // namespace kg::server
