// Copyright (c) James Kassemi, SC, US. All rights reserved.
#pragma once

/// @file
/// Umbrella header: everything in ws-source's public API (of the core library `ws_source::ws_source`;
/// the NATS headers, nats_*.hpp, belong to `ws_source::nats` and are included on their own).

#include "ws_source/activity_tracker.hpp"    // IWYU pragma: export
#include "ws_source/batch_stream.hpp"        // IWYU pragma: export
#include "ws_source/config.hpp"              // IWYU pragma: export
#include "ws_source/connection.hpp"          // IWYU pragma: export
#include "ws_source/connection_manager.hpp"  // IWYU pragma: export
#include "ws_source/histogram.hpp"           // IWYU pragma: export
#include "ws_source/jsonl_sink.hpp"          // IWYU pragma: export
#include "ws_source/logging.hpp"             // IWYU pragma: export
#include "ws_source/metrics.hpp"             // IWYU pragma: export
#include "ws_source/metrics_server.hpp"      // IWYU pragma: export
#include "ws_source/model.hpp"               // IWYU pragma: export
#include "ws_source/option_contract.hpp"     // IWYU pragma: export
#include "ws_source/parse.hpp"               // IWYU pragma: export
#include "ws_source/resource_type.hpp"       // IWYU pragma: export
#include "ws_source/result.hpp"              // IWYU pragma: export
#include "ws_source/scheduler.hpp"           // IWYU pragma: export
#include "ws_source/secret.hpp"              // IWYU pragma: export
#include "ws_source/shard.hpp"               // IWYU pragma: export
#include "ws_source/sink.hpp"                // IWYU pragma: export
#include "ws_source/status.hpp"              // IWYU pragma: export
#include "ws_source/symbol.hpp"              // IWYU pragma: export
#include "ws_source/timestamp.hpp"           // IWYU pragma: export
#include "ws_source/url.hpp"                 // IWYU pragma: export
#include "ws_source/version.hpp"             // IWYU pragma: export
