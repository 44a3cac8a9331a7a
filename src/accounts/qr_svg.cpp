#include "accounts/qr_svg.hpp"

#include <qrencode.h>

#include <memory>
#include <stdexcept>

#include <fmt/format.h>

namespace kg::accounts {

std::string qr_svg(std::string_view text) {
  std::string z(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(
      QRcode_encodeString(z.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
  if (!qr) throw std::runtime_error("QR encoding failed");
  constexpr int kQuiet = 4;
  const int size = qr->width + 2 * kQuiet;
  std::string path;
  for (int y = 0; y < qr->width; ++y) {
    for (int x = 0; x < qr->width; ++x) {
      if (qr->data[y * qr->width + x] & 1) path += fmt::format("M{},{}h1v1h-1z", x + kQuiet, y + kQuiet);
    }
  }
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {0}\" width=\"{1}\" height=\"{1}\" "
      "shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\"><rect width=\"{0}\" "
      "height=\"{0}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{2}\"/></svg>",
      size, size * 5, path);
}

}  // namespace kg::accounts
