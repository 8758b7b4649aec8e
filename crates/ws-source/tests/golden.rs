//! Golden files: canned frames in `tests/golden/{valid,invalid}` and their expected parse
//! results as readable snapshots in `tests/snapshots`. Review changes with `cargo insta review`.

use std::fs;

use serde::Serialize;
use ws_source::{
    ConnectionState, FrameContext, ParseError, Quality, ResourceType, Source, TradeOrNbbo,
    parse_frame,
};

/// The frames' SIP times are 2024-11-25T15:00:00.123Z and a few ms later; received 1 s after.
const RECEIVED_AT_NS: i64 = 1_732_546_801_123_000_000;

fn ctx() -> FrameContext {
    FrameContext {
        received_at_ns: RECEIVED_AT_NS,
        shard_id: 0,
        max_future_skew_ns: Some(FrameContext::DEFAULT_MAX_FUTURE_SKEW_NS),
    }
}

#[test]
fn spec_vector_one_aapl_trade_gives_one_batch_with_one_equity_trade() {
    let frame = include_bytes!("golden/valid/equity_trade_aapl.json");
    let parsed = parse_frame(frame, &ctx()).unwrap();
    assert!(parsed.statuses.is_empty());
    assert_eq!(parsed.batches.len(), 1);
    let batch = &parsed.batches[0];
    assert_eq!(batch.meta.source, Source::Ws);
    assert_eq!(batch.meta.quality, Quality::Prelim);
    assert_eq!(batch.meta.resource_type, ResourceType::EquityTrades);
    assert_eq!(batch.meta.connection, ConnectionState::Connected);
    // The watermark is the trade's SIP time, converted exactly from ms to ns.
    assert_eq!(batch.meta.watermark_ts_ns, 1_732_546_800_123_000_000);
    assert_eq!(batch.meta.received_at_ns, RECEIVED_AT_NS);
    assert_eq!(batch.rows.len(), 1);
    let TradeOrNbbo::EquityTrade(t) = &batch.rows[0] else {
        panic!("expected an EquityTrade, got {:?}", batch.rows[0]);
    };
    assert_eq!(t.symbol, "AAPL");
    assert_eq!(t.exchange, 4);
    assert_eq!(t.trade_id.as_str(), "52983525034825");
    assert_eq!(t.tape, Some(3));
    assert_eq!(t.price, 229.87);
    assert_eq!(t.size, 100);
    assert_eq!(t.conditions.as_slice(), &[12, 37]);
    assert_eq!(t.sip_ts_ns, 1_732_546_800_123_000_000);
    assert_eq!(t.sequence, 1_423_581);
    assert_eq!(t.trf_id, None);
}

#[test]
fn valid_frames_match_their_snapshots() {
    insta::glob!("golden/valid/*.json", |path| {
        let bytes = fs::read(path).unwrap();
        let parsed = parse_frame(&bytes, &ctx())
            .unwrap_or_else(|e| panic!("{} should parse: {e}", path.display()));
        insta::assert_yaml_snapshot!(parsed);
    });
}

/// What a reviewer needs to judge an error: the message a user sees, and its parts.
#[derive(Serialize)]
struct ErrorView {
    message: String,
    kind: String,
    event_index: Option<usize>,
    field: Option<Box<str>>,
}

impl From<ParseError> for ErrorView {
    fn from(e: ParseError) -> Self {
        ErrorView {
            message: e.to_string(),
            kind: format!("{:?}", e.kind),
            event_index: e.event_index,
            field: e.field,
        }
    }
}

#[test]
fn invalid_frames_give_their_snapshot_errors() {
    insta::glob!("golden/invalid/*.json", |path| {
        let bytes = fs::read(path).unwrap();
        let err =
            parse_frame(&bytes, &ctx()).expect_err(&format!("{} must be rejected", path.display()));
        insta::assert_yaml_snapshot!(ErrorView::from(err));
    });
}

#[test]
fn a_bad_event_rejects_the_whole_frame_and_names_its_index() {
    let bytes = include_bytes!("golden/invalid/bad_event_in_middle.json");
    let err = parse_frame(bytes, &ctx()).unwrap_err();
    assert_eq!(err.event_index, Some(1));
    assert_eq!(err.field.as_deref(), Some("x"));
}
