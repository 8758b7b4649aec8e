// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "stream/batch_stream_builder.hpp"

#include "stream/stream_core.hpp"

namespace ws_source::detail {

BatchStreamBuilder::BatchStreamBuilder() : signal_(std::make_shared<StreamSignal>()) {}

BatchProducer BatchStreamBuilder::add_channel(ChannelOptions options) {
  auto channel = std::make_shared<BatchChannel>(options, signal_);
  channels_.push_back(channel);
  return BatchProducer(std::move(channel));
}

BatchStream BatchStreamBuilder::build() && {
  auto* core = new StreamCore(std::move(channels_), std::move(signal_));  // owned by its refcount
  channels_.clear();
  signal_ = std::make_shared<StreamSignal>();
  return BatchStream(core);
}

}  // namespace ws_source::detail
