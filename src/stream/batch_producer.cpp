// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "stream/batch_producer.hpp"

namespace ws_source::detail {

BatchProducer& BatchProducer::operator=(BatchProducer&& other) noexcept {
  if (this != &other) {
    close();
    channel_ = std::move(other.channel_);
  }
  return *this;
}

BatchProducer::~BatchProducer() { close(); }

void BatchProducer::close() noexcept {
  if (channel_) {
    channel_->close();
  }
}

}  // namespace ws_source::detail
