#include "common/proto/control.hpp"

namespace baton::proto::control {

std::string endpoint_host(const std::string& endpoint) {
  constexpr std::string_view kTcp = "tcp://";
  if (!endpoint.starts_with(kTcp)) return {};
  std::string rest = endpoint.substr(kTcp.size());
  if (rest.starts_with("[")) {  // [::1]:7100
    auto close = rest.find(']');
    return close == std::string::npos ? std::string{} : rest.substr(1, close - 1);
  }
  return rest.substr(0, rest.rfind(':'));
}

}  // namespace baton::proto::control
