// Expected<T>: a value or an Error. Domain code returns these instead of throwing, so a peer's bad
// input becomes a value the event loop can log and answer, never an exception through the loop.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace baton {

struct Error {
  std::string message;
  std::string code = {};  // machine-readable reason where a protocol needs one (schemas/)
};

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Expected(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

// Expected<void>: success or an Error.
struct Ok {};
using Status = Expected<Ok>;
inline Status ok_status() {
  return Ok{};
}

}  // namespace baton
