#include "api/metrics.hpp"

#include <fmt/format.h>

namespace kg::api {

void Metrics::record(std::string_view route, int status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, status}];
  Histogram& h = latency_[route];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP keygate_http_requests_total HTTP requests by route and status.\n";
  out += "# TYPE keygate_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out += fmt::format("keygate_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", key.first, key.second, n);
  }
  out += "# HELP keygate_http_request_duration_seconds Time from request parsed to response ready.\n";
  out += "# TYPE keygate_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out += fmt::format("keygate_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", route,
                         kBuckets[i], h.buckets[i]);
    }
    out += fmt::format("keygate_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", route, h.count);
    out += fmt::format("keygate_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route, h.sum);
    out += fmt::format("keygate_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", route, h.count);
  }
  out += "# HELP keygate_open_connections Open client connections.\n";
  out += "# TYPE keygate_open_connections gauge\n";
  out += fmt::format("keygate_open_connections {}\n", open_connections_.load());
  return out;
}

}  // namespace kg::api
