#include "common/net/endpoint_security.hpp"

namespace baton {

bool endpoint_needs_keys(std::string_view endpoint) {
  return !endpoint.starts_with("ipc://") && !endpoint.starts_with("inproc://");
}

}  // namespace baton
