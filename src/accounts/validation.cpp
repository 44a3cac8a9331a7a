#include "accounts/validation.hpp"

#include <algorithm>
#include <cctype>

namespace kg::accounts {

std::string normalize_email(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front()))) email.remove_prefix(1);
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back()))) email.remove_suffix(1);
  std::string out(email);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool valid_email(std::string_view e) {
  if (e.size() < 3 || e.size() > 254) return false;
  size_t at = e.find('@');
  if (at == std::string_view::npos || at == 0 || e.find('@', at + 1) != std::string_view::npos) return false;
  std::string_view domain = e.substr(at + 1);
  size_t dot = domain.rfind('.');
  if (domain.empty() || dot == std::string_view::npos || dot == 0 || dot + 1 == domain.size()) return false;
  if (domain.find("..") != std::string_view::npos) return false;
  return std::all_of(e.begin(), e.end(), [](unsigned char c) {
    return c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != '"' && c != ',' && c != ';' && c != '\\';
  });
}

bool valid_password_length(std::string_view password) {
  size_t chars = 0;
  for (unsigned char c : password) {
    if ((c & 0xC0) != 0x80) ++chars;
  }
  return chars >= kMinPasswordChars && chars <= kMaxPasswordChars;
}

}  // namespace kg::accounts
