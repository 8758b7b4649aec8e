// Copyright (c) James Kassemi, SC, US. All rights reserved.
// run_callback: the callback adapter over BatchStream.
#include "ws_source/batch_stream.hpp"

namespace ws_source {

std::uint64_t run_callback(BatchStream& stream, const std::function<void(const DataBatch<TradeOrNbbo>&)>& on_batch) {
  std::uint64_t delivered = 0;
  while (auto lease = stream.next()) {
    ++delivered;
    on_batch(**lease);  // the lease is released when `lease` goes out of scope, also on a throw
  }
  return delivered;
}

}  // namespace ws_source
