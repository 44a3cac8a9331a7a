#pragma once
// Small checks on user-given text.

#include <cstddef>
#include <string_view>

namespace kg {

// A label (of a key, an address-book entry): 1 to max_chars characters (UTF-8 code points), no
// control characters.
inline bool valid_label(std::string_view label, size_t max_chars = 50) {
  size_t chars = 0;
  for (unsigned char c : label) {
    if (c < 0x20 || c == 0x7f) return false;
    if ((c & 0xC0) != 0x80) ++chars;
  }
  return chars >= 1 && chars <= max_chars;
}

}  // namespace kg
