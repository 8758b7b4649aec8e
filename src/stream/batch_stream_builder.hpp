// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// BatchStreamBuilder: how the ConnectionManager makes one ring per worker and the stream over
// them. Used on one thread, before the workers start.

#include <memory>
#include <vector>

#include "stream/batch_channel.hpp"
#include "stream/batch_producer.hpp"
#include "stream/stream_signal.hpp"
#include "ws_source/batch_stream.hpp"

namespace ws_source::detail {

class BatchStreamBuilder {
 public:
  BatchStreamBuilder();

  /// A new ring; the returned producer is its only writer (give it to one worker). The stream
  /// polls the rings in the order they were added.
  [[nodiscard]] BatchProducer add_channel(ChannelOptions options);

  /// The stream over every ring added so far. The builder is empty afterwards.
  [[nodiscard]] BatchStream build() &&;

 private:
  std::shared_ptr<StreamSignal> signal_;
  std::vector<std::shared_ptr<BatchChannel>> channels_;
};

}  // namespace ws_source::detail
