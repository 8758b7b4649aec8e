// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// `Result<T, E>`: the errors-as-values type of ws-source's hot path.

#include <type_traits>
#include <utility>
#include <variant>

namespace ws_source {

/// Wraps an error so that `Result<T, E>` can be built from it unambiguously, even when `T` and
/// `E` are convertible to each other. Build one with `ws_source::fail(e)`.
template <class E>
struct Failure {
  E error;
};

/// Makes a `Failure<E>` that converts to any `Result<T, E>`.
template <class E>
[[nodiscard]] Failure<std::decay_t<E>> fail(E&& error) {
  return {std::forward<E>(error)};
}

/// Either a value of type `T` or an error of type `E`; never both, never neither.
///
/// Contract: `value()` and `operator*` / `operator->` require `has_value()`; `error()` requires
/// `!has_value()`. Calling them on the wrong alternative is a programming error (checked by
/// `std::get`, which throws `std::bad_variant_access`): on the hot path, test `has_value()`
/// first. Cheap to move; copyable when `T` and `E` are.
template <class T, class E>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  /// A success holding `value`.
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  /// A failure holding `f.error`.
  Result(Failure<E> f) : v_(std::in_place_index<1>, std::move(f.error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  [[nodiscard]] T& value() & { return std::get<0>(v_); }
  [[nodiscard]] const T& value() const& { return std::get<0>(v_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(v_)); }
  [[nodiscard]] E& error() & { return std::get<1>(v_); }
  [[nodiscard]] const E& error() const& { return std::get<1>(v_); }
  [[nodiscard]] E&& error() && { return std::get<1>(std::move(v_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> v_;
};

/// A success with no value (`Result<void, E>`): `Result<void, E>{}` is success.
template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  Result() = default;
  Result(Failure<E> f) : v_(std::in_place_index<1>, std::move(f.error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  [[nodiscard]] E& error() & { return std::get<1>(v_); }
  [[nodiscard]] const E& error() const& { return std::get<1>(v_); }
  [[nodiscard]] E&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<std::monostate, E> v_;
};

}  // namespace ws_source
