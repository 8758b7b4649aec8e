//! Massive's JSON wire format → typed, validated batches.
//!
//! The fast path reads a frame in one pass: each array element is deserialized into a borrowed
//! `WireEvent`, validated and converted into a row, with no heap allocation
//! per event in the common case (symbols are inline, condition lists are inline, strings borrow
//! from the frame). Only when something is wrong does a slower diagnostic pass run, to name the
//! event, the field and an excerpt. A frame with any bad event is rejected whole: a partial batch
//! is never presented as complete.

mod convert;
mod error;
mod fast;
mod wire;

use serde::Deserializer as _;
use serde::de::{self, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::model::{
    BatchMeta, ConnectionState, DataBatch, Quality, ResourceType, Source, StatusMessage,
    TradeOrNbbo,
};
use crate::timestamp::{FutureLimit, NANOS_PER_MILLI, now_ns};

pub use error::{EXCERPT_LEN, ParseError, ParseErrorKind};

use convert::{Converted, EventError, convert};
use error::excerpt;
use wire::WireEvent;

/// Where and when a frame was received; shapes the batch metadata and the future-time check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameContext {
    /// When the frame was read from the socket, Unix ns.
    pub received_at_ns: i64,
    /// The connection shard it came from.
    pub shard_id: usize,
    /// How far (ns) a SIP timestamp may lie after `received_at_ns` before it is rejected as
    /// "far future". `None` disables the check (the absolute 2000–2100 bounds always apply).
    pub max_future_skew_ns: Option<i64>,
}

impl FrameContext {
    /// Default allowed clock skew: one minute.
    pub const DEFAULT_MAX_FUTURE_SKEW_NS: i64 = 60_000 * NANOS_PER_MILLI;

    /// A context for a frame received now on shard 0.
    pub fn now() -> FrameContext {
        FrameContext::at(now_ns())
    }

    /// A context for a frame received at `received_at_ns` on shard 0.
    pub fn at(received_at_ns: i64) -> FrameContext {
        FrameContext {
            received_at_ns,
            shard_id: 0,
            max_future_skew_ns: Some(Self::DEFAULT_MAX_FUTURE_SKEW_NS),
        }
    }

    fn future_limit(&self) -> Option<FutureLimit> {
        self.max_future_skew_ns.map(|max_skew_ns| FutureLimit {
            received_at_ns: self.received_at_ns,
            max_skew_ns,
        })
    }
}

/// Everything one frame carried: data batches (one per feed present, in
/// [`ResourceType::ALL`] order, rows in wire order) and status messages (in wire order).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct ParsedFrame {
    /// Data rows grouped by feed.
    pub batches: Vec<DataBatch<TradeOrNbbo>>,
    /// Status events, for the connection layer.
    pub statuses: Vec<StatusMessage>,
}

impl ParsedFrame {
    /// Number of data rows over all batches.
    pub fn row_count(&self) -> usize {
        self.batches.iter().map(|b| b.rows.len()).sum()
    }
}

/// Parses one frame received now, returning its data batches.
///
/// Status events are validated but not returned here; the connection layer uses
/// [`parse_frame`], which returns them too. Each batch's `watermark_ts_ns` is the largest SIP
/// timestamp among its rows (the connection layer replaces it with its per-connection watermark).
///
/// ```
/// use ws_source::{parse_payload, TradeOrNbbo};
/// let frame = br#"[{"ev":"Q","sym":"O:SPY251219C00650000","bx":302,"ax":303,"bp":12.4,"ap":12.6,"bs":10,"as":12,"t":1700000000123,"q":9}]"#;
/// let batches = parse_payload(frame).unwrap();
/// let TradeOrNbbo::Nbbo(q) = &batches[0].rows[0] else { panic!() };
/// assert_eq!(q.contract.unwrap().strike_milli, 650_000);
/// assert_eq!(q.sip_ts_ns, 1_700_000_000_123_000_000);
/// ```
pub fn parse_payload(payload: &[u8]) -> Result<Vec<DataBatch<TradeOrNbbo>>, ParseError> {
    parse_frame(payload, &FrameContext::now()).map(|f| f.batches)
}

/// Parses one frame: data batches and status messages. Fails on the first bad event, naming it.
pub fn parse_frame(payload: &[u8], ctx: &FrameContext) -> Result<ParsedFrame, ParseError> {
    let mut sink = Sink::new(payload.len());
    if fast::parse_frame_fast(payload, ctx.future_limit(), &mut sink).is_ok() {
        return Ok(sink.finish(ctx));
    }
    sink.clear();
    parse_frame_serde(payload, ctx, sink)
}

/// The reference parser: serde only, without the fast path. Same results as [`parse_frame`]
/// (unit tests check the two agree), several times slower. For cross-checks and benchmarks.
pub fn parse_frame_reference(
    payload: &[u8],
    ctx: &FrameContext,
) -> Result<ParsedFrame, ParseError> {
    parse_frame_serde(payload, ctx, Sink::new(payload.len()))
}

/// The serde path: accepts all of JSON (escapes and all) and diagnoses errors precisely.
fn parse_frame_serde(
    payload: &[u8],
    ctx: &FrameContext,
    mut sink: Sink,
) -> Result<ParsedFrame, ParseError> {
    let mut failure: Option<(usize, Option<EventError>)> = None;
    let mut de = serde_json::Deserializer::from_slice(payload);
    let visited = de.deserialize_seq(FrameVisitor {
        sink: &mut sink,
        limit: ctx.future_limit(),
        failure: &mut failure,
    });
    let result = visited.and_then(|()| de.end());
    match result {
        Ok(()) => Ok(sink.finish(ctx)),
        Err(json_err) => Err(diagnose(payload, failure, json_err)),
    }
}

/// Rows collected per feed while visiting a frame.
struct Sink {
    rows: [Vec<TradeOrNbbo>; 4],
    statuses: Vec<StatusMessage>,
    capacity_hint: usize,
}

impl Sink {
    fn new(payload_len: usize) -> Sink {
        Sink {
            rows: Default::default(),
            statuses: Vec::new(),
            // Events are ~100–200 bytes on the wire; size the first allocation to avoid regrowth.
            capacity_hint: payload_len / 96 + 1,
        }
    }

    fn clear(&mut self) {
        self.rows.iter_mut().for_each(Vec::clear);
        self.statuses.clear();
    }

    #[inline]
    fn push(&mut self, row: TradeOrNbbo) {
        let slot = &mut self.rows[row.resource_type() as usize];
        if slot.capacity() == 0 {
            slot.reserve_exact(self.capacity_hint);
        }
        slot.push(row);
    }

    fn finish(self, ctx: &FrameContext) -> ParsedFrame {
        let mut batches = Vec::new();
        for (rt, rows) in ResourceType::ALL.into_iter().zip(self.rows) {
            if rows.is_empty() {
                continue;
            }
            let watermark_ts_ns = rows.iter().map(TradeOrNbbo::sip_ts_ns).max().unwrap_or(0);
            batches.push(DataBatch {
                rows,
                meta: BatchMeta {
                    source: Source::Ws,
                    quality: Quality::Prelim,
                    resource_type: rt,
                    shard_id: ctx.shard_id,
                    watermark_ts_ns,
                    received_at_ns: ctx.received_at_ns,
                    connection: ConnectionState::Connected,
                    dropped_since_last: 0,
                    batch_seq: 0,
                },
            });
        }
        ParsedFrame {
            batches,
            statuses: self.statuses,
        }
    }
}

struct FrameVisitor<'s> {
    sink: &'s mut Sink,
    limit: Option<FutureLimit>,
    failure: &'s mut Option<(usize, Option<EventError>)>,
}

impl<'de> Visitor<'de> for FrameVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            let mut wire = match seq.next_element::<WireEvent<'de>>() {
                Ok(Some(w)) => w,
                Ok(None) => return Ok(()),
                Err(e) => {
                    *self.failure = Some((index, None));
                    return Err(e);
                }
            };
            match convert(&mut wire, self.limit) {
                Ok(Converted::Row(row)) => self.sink.push(row),
                Ok(Converted::Status(s)) => self.sink.statuses.push(s),
                Err(e) => {
                    *self.failure = Some((index, Some(e)));
                    return Err(de::Error::custom("invalid event"));
                }
            }
            index += 1;
        }
    }
}

/// The slow path: works out which event and field broke the frame, with an excerpt.
fn diagnose(
    payload: &[u8],
    failure: Option<(usize, Option<EventError>)>,
    json_err: serde_json::Error,
) -> ParseError {
    let elements: Result<Vec<&RawValue>, _> = serde_json::from_slice(payload);
    let Some((index, event_error)) = failure else {
        // Failed before or after the elements: not an array, or broken JSON around them.
        let kind = match serde_json::from_slice::<de::IgnoredAny>(payload) {
            Ok(_) if elements.is_err() => ParseErrorKind::NotAnArray,
            _ => ParseErrorKind::InvalidJson {
                message: json_err.to_string().into(),
            },
        };
        return frame_error(kind, payload);
    };
    let elements = match elements {
        Ok(e) => e,
        Err(syntax) => {
            // Broken JSON inside the array: the element that failed is the one that broke it.
            return ParseError {
                kind: ParseErrorKind::InvalidJson {
                    message: syntax.to_string().into(),
                },
                event_index: Some(index),
                field: None,
                ev: None,
                sym: None,
                excerpt: excerpt_at(payload, syntax.line(), syntax.column()),
            };
        }
    };
    let raw = elements.get(index).map(|r| r.get()).unwrap_or("");
    if let Some(e) = event_error {
        return ParseError {
            kind: e.kind,
            event_index: Some(index),
            field: e.field.map(Into::into),
            ev: e.ev.map(Into::into),
            sym: e.sym.map(Into::into),
            excerpt: excerpt(raw.as_bytes()),
        };
    }
    // A type error inside the event: find the field by re-reading it with path tracking.
    let (ev, sym) = peek_ev_sym(raw);
    if !raw.trim_start().starts_with('{') {
        return ParseError {
            kind: ParseErrorKind::NotAnObject,
            event_index: Some(index),
            field: None,
            ev,
            sym,
            excerpt: excerpt(raw.as_bytes()),
        };
    }
    let mut de = serde_json::Deserializer::from_str(raw);
    let (field, message) = match serde_path_to_error::deserialize::<_, WireEvent<'_>>(&mut de) {
        Err(e) => {
            let path = e.path().to_string();
            let field = (path != "." && !path.is_empty()).then(|| path.into_boxed_str());
            (field, e.into_inner().to_string().into_boxed_str())
        }
        Ok(_) => (None, json_err.to_string().into_boxed_str()),
    };
    ParseError {
        kind: ParseErrorKind::WrongType { message },
        event_index: Some(index),
        field,
        ev,
        sym,
        excerpt: excerpt(raw.as_bytes()),
    }
}

fn frame_error(kind: ParseErrorKind, payload: &[u8]) -> ParseError {
    ParseError {
        kind,
        event_index: None,
        field: None,
        ev: None,
        sym: None,
        excerpt: excerpt(payload),
    }
}

/// An excerpt starting a little before a line/column position of a JSON error.
fn excerpt_at(payload: &[u8], line: usize, column: usize) -> Box<str> {
    let mut offset = 0usize;
    for (n, l) in payload.split(|&b| b == b'\n').enumerate() {
        if n + 1 == line {
            offset += column.saturating_sub(1).min(l.len());
            break;
        }
        offset += l.len() + 1;
    }
    let start = offset.saturating_sub(EXCERPT_LEN / 2);
    excerpt(&payload[start.min(payload.len())..])
}

/// Best-effort `ev` and `sym` of an event that failed to deserialize.
fn peek_ev_sym(raw: &str) -> (Option<Box<str>>, Option<Box<str>>) {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(raw) else {
        return (None, None);
    };
    let get = |k: &str| map.get(k).and_then(|v| v.as_str()).map(Into::into);
    (get("ev"), get("sym"))
}
