// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

// `--jsonl FILE`: every row as one JSON object per line, with the feed named as in metrics and
// logs (`options_quotes`, …) and timestamps in Unix nanoseconds.

#include <ostream>
#include <ws_source/model.hpp>

namespace ws_ingest {

/// Writes each row of `batch` as one line (heartbeats write nothing).
void write_jsonl(std::ostream& os, const ws_source::DataBatch<ws_source::TradeOrNbbo>& batch);

}  // namespace ws_ingest
