#pragma once
// The console's static files, compiled in from web/ (see cmake/embed_web.cmake).

#include <string_view>
#include <vector>

namespace kg::api {

struct WebAsset {
  std::string_view path;  // "/index.html"
  std::string_view content_type;
  std::string_view body;
};

const std::vector<WebAsset>& web_assets();

}  // namespace kg::api
