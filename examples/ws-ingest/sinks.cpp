// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "sinks.hpp"

#include <chrono>
#include <iostream>
#include <ws_source/jsonl_sink.hpp>

#ifdef WS_INGEST_WITH_NATS
#include <ws_source/nats_sink.hpp>
#endif

namespace ws_ingest {

std::unique_ptr<Sinks> Sinks::open(const std::vector<std::string>& specs, std::string& error) {
  auto out = std::make_unique<Sinks>();
  for (const std::string& spec : specs) {
    if (spec.starts_with("jsonl:")) {
      const std::string path = spec.substr(6);
      if (path.empty()) {
        error = "--sink jsonl:FILE needs a file name";
        return nullptr;
      }
      auto sink = ws_source::JsonlFileSink::open(path);
      if (!sink) {
        error = "--sink " + spec + ": " + sink.error().message;
        return nullptr;
      }
      out->sinks_.push_back(Entry{std::move(*sink)});
    } else if (spec.starts_with("nats://") || spec.starts_with("tls://")) {
#ifdef WS_INGEST_WITH_NATS
      ws_source::NatsSinkConfig cfg;
      cfg.connection.url = spec;
      cfg.connection.name = "ws-ingest";
      auto sink = ws_source::NatsSink::create(cfg);
      if (!sink) {
        // The error text shows the URL without its credentials.
        error = "--sink nats: " + sink.error().message;
        return nullptr;
      }
      out->sinks_.push_back(Entry{std::move(*sink)});
#else
      error = "--sink nats://...: this ws-ingest was built without NATS (configure with -DWS_SOURCE_WITH_NATS=ON)";
      return nullptr;
#endif
    } else {
      error = "--sink " + spec + ": expected jsonl:FILE or nats://HOST:PORT";
      return nullptr;
    }
  }
  return out;
}

void Sinks::write(const ws_source::DataBatch<ws_source::TradeOrNbbo>& batch) {
  for (Entry& e : sinks_) {
    if (e.failed) continue;
    if (auto r = e.sink->write(batch); !r) {
      std::cerr << "ws-ingest: sink " << e.sink->describe() << " failed, no longer written: " << r.error() << "\n";
      e.failed = true;
    }
  }
}

void Sinks::finish(std::ostream& os) {
  for (Entry& e : sinks_) {
    if (auto r = e.sink->flush(std::chrono::seconds(10)); !r && !e.failed) {
      os << "sink " << e.sink->describe() << ": " << r.error() << "\n";
    }
    const ws_source::SinkStats st = e.sink->stats();
    os << "sink " << e.sink->describe() << ": " << st.batches_in << " batches (" << st.rows_in << " rows) in, "
       << st.batches_out << " out, " << st.batches_dropped << " dropped (" << st.rows_dropped << " rows), "
       << st.batches_failed << " failed, " << st.pending << " pending" << std::endl;
  }
  sinks_.clear();  // closes them (the NATS sink waits for its last acks)
}

}  // namespace ws_ingest
