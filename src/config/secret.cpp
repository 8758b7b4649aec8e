// Copyright (c) James Kassemi, SC, US. All rights reserved.
// ApiKey: the redacting key type. Before its storage is released or handed on, every byte of the
// string's buffer (its whole capacity, which may still hold an old, longer key or the inline
// bytes a move left behind) is overwritten through a volatile pointer, so that the stores are
// not optimised away.
#include "ws_source/secret.hpp"

#include <algorithm>
#include <cctype>

namespace ws_source {

void ApiKey::wipe() noexcept {
  // resize() up to the capacity never reallocates; it makes the whole buffer part of the string
  // so that it may be written.
  value_.resize(value_.capacity());
  volatile char* p = value_.data();
  for (std::size_t i = 0; i < value_.size(); ++i) {
    p[i] = '\0';
  }
  value_.clear();
}

ApiKey& ApiKey::operator=(const ApiKey& other) {
  if (this != &other) {
    wipe();
    value_ = other.value_;
  }
  return *this;
}

ApiKey::ApiKey(ApiKey&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }

ApiKey& ApiKey::operator=(ApiKey&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = std::move(other.value_);
    other.wipe();
  }
  return *this;
}

ApiKey::~ApiKey() { wipe(); }

bool ApiKey::is_blank() const noexcept {
  return std::all_of(value_.begin(), value_.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace ws_source
