// result<T, E>: the value-or-error every fallible pure function of the project returns, in every
// layer (E is the layer's error: kafka::kafka_error, filter::filter_error, the gateway's
// kasocki_error, ...). One shape so that callers read the same everywhere: test it (`if (r)`,
// has_value()), then value()/`*r`/`->`, or error(). Header only, no I/O, never throws: value() or
// error() on the wrong alternative is a programming error (checked by assert in debug builds).
// A std::expected before C++23; boost::system::result was not taken because its value() throws
// and its error() copies.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace kasocki {

// For calls that only succeed or fail: result<ok_t, E>.
struct ok_t {
  friend bool operator==(ok_t, ok_t) = default;
};

template <class T, class E>
class result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  result(E error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & noexcept { return *get(); }
  const T& value() const& noexcept { return *get(); }
  T&& value() && noexcept { return std::move(*get()); }
  T& operator*() & noexcept { return *get(); }
  const T& operator*() const& noexcept { return *get(); }
  T&& operator*() && noexcept { return std::move(*get()); }
  T* operator->() noexcept { return get(); }
  const T* operator->() const noexcept { return get(); }

  // The value, or `fallback` when this holds an error.
  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? *get() : static_cast<T>(std::forward<U>(fallback));
  }
  template <class U>
  T value_or(U&& fallback) && {
    return has_value() ? std::move(*get()) : static_cast<T>(std::forward<U>(fallback));
  }

  // Equal when both hold equal values or equal errors (for tests and round-trip checks).
  friend bool operator==(const result&, const result&) = default;

  const E& error() const& noexcept {
    assert(!has_value());
    return *std::get_if<1>(&v_);
  }
  E&& error() && noexcept {
    assert(!has_value());
    return std::move(*std::get_if<1>(&v_));
  }

 private:
  T* get() noexcept {
    assert(has_value());
    return std::get_if<0>(&v_);
  }
  const T* get() const noexcept {
    assert(has_value());
    return std::get_if<0>(&v_);
  }

  std::variant<T, E> v_;
};

}  // namespace kasocki
