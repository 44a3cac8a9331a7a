#pragma once

#include <string>
#include <string_view>

namespace kg::accounts {

// An SVG image of `text` as a QR code (libqrencode, error correction M), with a quiet zone.
std::string qr_svg(std::string_view text);

}  // namespace kg::accounts
