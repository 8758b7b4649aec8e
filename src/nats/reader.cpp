// Copyright (c) James Kassemi, SC, US. All rights reserved.
// NatsReader: an ordered push consumer, read synchronously (natsSubscription_NextMsg), so that
// no cnats callback of ours exists and the handles are plain RAII owners.
#include <algorithm>
#include <array>
#include <new>
#include <span>
#include <sstream>

#include "handles.hpp"
#include "ws_source/nats_codec.hpp"
#include "ws_source/nats_reader.hpp"

namespace ws_source {

using namespace nats_detail;
using Clock = std::chrono::steady_clock;

struct NatsReader::Impl {
  NatsReaderConfig cfg;
  std::array<bool, 4> wanted{};
  // Destroyed in reverse order: the subscription, the context, then the connection.
  ConnectionPtr nc;
  JsPtr js;
  SubscriptionPtr sub;
  std::uint64_t skipped{0};
  std::string subject;            // what is subscribed
  std::int64_t not_before_ns{0};  // StreamStart::Time: messages stored earlier are skipped
};

NatsReader::NatsReader(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
NatsReader::~NatsReader() = default;

Result<std::unique_ptr<NatsReader>, NatsError> NatsReader::open(NatsReaderConfig config) {
  try {
    if (auto ok = validate_subject_prefix(config.stream.subject_prefix); !ok) return fail(std::move(ok.error()));
    if (auto ok = validate_stream_name(config.stream.name); !ok) return fail(std::move(ok.error()));
    auto impl = std::make_unique<Impl>();
    impl->cfg = std::move(config);
    const NatsReaderConfig& cfg = impl->cfg;
    for (const ResourceType rt : cfg.feeds) impl->wanted[index(rt)] = true;
    if (cfg.feeds.empty()) impl->wanted.fill(true);
    // One feed: the server filters; several: `<prefix>.>` and the rest skipped here (a 2.9
    // consumer has one filter subject).
    const auto n_wanted = std::count(impl->wanted.begin(), impl->wanted.end(), true);
    impl->subject = cfg.stream.subject_prefix + ".>";
    if (n_wanted == 1) {
      const auto at =
          static_cast<std::size_t>(std::find(impl->wanted.begin(), impl->wanted.end(), true) - impl->wanted.begin());
      impl->subject = nats_subject(cfg.stream.subject_prefix, kAllResourceTypes[at]);
    }

    auto nc = connect(cfg.connection, ConnectionCallbacks{});
    if (!nc) return fail(std::move(nc.error()));
    impl->nc = std::move(*nc);
    jsOptions jso;
    jsOptions_Init(&jso);
    auto js = jetstream(impl->nc.get(), cfg.connection, jso);
    if (!js) return fail(std::move(js.error()));
    impl->js = std::move(*js);
    // The stream must exist (never created by a reader) and carry the feed subjects.
    auto stream = ensure_stream(impl->js.get(), cfg.connection, cfg.stream, false, std::chrono::nanoseconds(0));
    if (!stream) return fail(std::move(stream.error()));

    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = cfg.stream.name.c_str();
    so.Ordered = true;
    switch (cfg.start.kind) {
      case StreamStart::Kind::All:
        so.Config.DeliverPolicy = js_DeliverAll;
        break;
      case StreamStart::Kind::Sequence:
        so.Config.DeliverPolicy = js_DeliverByStartSequence;
        so.Config.OptStartSeq = std::max<std::uint64_t>(1, cfg.start.sequence);
        break;
      case StreamStart::Kind::Time: {
        // cnats 3.4.1 writes the fraction of a second without its leading zeros (5 ms becomes
        // ".5000000", half a second): ask from the whole second below instead, and skip here
        // what was stored before the time asked.
        const std::int64_t t = cfg.start.time_ns;
        const std::int64_t frac = t % 1'000'000'000;
        const std::int64_t asked = frac > 0 && frac < 100'000'000 ? t - frac : t;
        impl->not_before_ns = t;
        if (asked > 0) {
          so.Config.DeliverPolicy = js_DeliverByStartTime;
          so.Config.OptStartTime = asked;
        } else {
          so.Config.DeliverPolicy = js_DeliverAll;
        }
        break;
      }
      case StreamStart::Kind::New:
        so.Config.DeliverPolicy = js_DeliverNew;
        break;
    }
    natsSubscription* sub = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    const natsStatus s = js_SubscribeSync(&sub, impl->js.get(), impl->subject.c_str(), &jso, &so, &jerr);
    if (s != NATS_OK) {
      natsSubscription_Destroy(sub);
      return fail(nats_error(NatsError::Kind::Stream,
                             "cannot subscribe to " + impl->subject + " on stream " + cfg.stream.name,
                             cfg.connection.url, s, jerr));
    }
    impl->sub.reset(sub);
    return std::unique_ptr<NatsReader>(new NatsReader(std::move(impl)));
  } catch (const std::bad_alloc&) {
    return fail(NatsError{NatsError::Kind::Nats, "out of memory opening the NATS reader"});
  }
}

Result<bool, NatsError> NatsReader::next(ReceivedBatch& out, std::chrono::milliseconds timeout) {
  Impl& impl = *impl_;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    natsMsg* raw = nullptr;
    const natsStatus s = natsSubscription_NextMsg(&raw, impl.sub.get(), std::max<std::int64_t>(0, left.count()));
    MsgPtr msg(raw);
    if (s == NATS_TIMEOUT) {
      return false;
    }
    if (s == NATS_MISMATCH) {  // the ordered consumer resets itself: go on
      continue;
    }
    if (s == NATS_CONNECTION_CLOSED || s == NATS_INVALID_SUBSCRIPTION) {
      return fail(
          nats_error(NatsError::Kind::Closed, "the NATS reader's connection is closed", impl.cfg.connection.url, s));
    }
    if (s != NATS_OK) {
      return fail(
          nats_error(NatsError::Kind::Nats, "reading from stream " + impl.cfg.stream.name, impl.cfg.connection.url, s));
    }
    const char* subject = natsMsg_GetSubject(msg.get());
    const auto feed = feed_of_subject(impl.cfg.stream.subject_prefix, subject != nullptr ? subject : "");
    jsMsgMetaData* meta_raw = nullptr;
    const natsStatus ms = natsMsg_GetMetaData(&meta_raw, msg.get());
    const MetaDataPtr meta(meta_raw);
    if (ms != NATS_OK) {  // not a stream message (e.g. a status the library did not consume)
      continue;
    }
    if (meta->Timestamp < impl.not_before_ns) continue;  // before the start time asked
    if (!feed || !impl.wanted[index(*feed)]) {
      ++impl.skipped;
      continue;
    }
    out.stream_sequence = meta->Sequence.Stream;
    out.stored_at_ns = meta->Timestamp;
    out.subject = subject;
    const char* id = nullptr;
    if (natsMsgHeader_Get(msg.get(), "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) {
      out.msg_id = id;
    } else {
      out.msg_id.clear();
    }
    const auto* data = reinterpret_cast<const std::uint8_t*>(natsMsg_GetData(msg.get()));  // NOLINT(*-reinterpret-cast)
    const auto len = static_cast<std::size_t>(std::max(0, natsMsg_GetDataLength(msg.get())));
    auto decoded = decode_batch(std::span<const std::uint8_t>(data, len), out.batch);
    if (!decoded) {
      std::ostringstream what;
      what << "message " << out.stream_sequence << " on " << out.subject << " is not a batch: " << decoded.error();
      return fail(NatsError{NatsError::Kind::Decode, what.str()});
    }
    return true;
  }
}

std::uint64_t NatsReader::skipped() const noexcept { return impl_->skipped; }

}  // namespace ws_source
