#include "api/router.hpp"

namespace kg::api {

namespace {
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return out;
}

bool match_pattern(std::string_view pattern, std::string_view path, std::vector<std::string>& params) {
  auto want = split_path(pattern);
  auto got = split_path(path);
  if (want.size() != got.size()) return false;
  std::vector<std::string> found;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].starts_with('{')) {
      found.emplace_back(got[i]);
    } else if (want[i] != got[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}
}  // namespace

void Router::add(Route route) {
  const size_t index = routes_.size();
  if (route.path.find('{') == std::string::npos) {
    exact_[route.path].push_back(index);
  } else {
    patterned_.push_back(index);
  }
  routes_.push_back(std::move(route));
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match m;
  if (auto it = exact_.find(std::string(path)); it != exact_.end()) {
    m.path_known = true;
    for (size_t i : it->second) {
      if (routes_[i].method == method) {
        m.route = &routes_[i];
        return m;
      }
    }
    return m;
  }
  for (size_t i : patterned_) {
    std::vector<std::string> params;
    if (!match_pattern(routes_[i].path, path, params)) continue;
    m.path_known = true;
    if (routes_[i].method == method) {
      m.route = &routes_[i];
      m.params = std::move(params);
      return m;
    }
  }
  return m;
}

}  // namespace kg::api
