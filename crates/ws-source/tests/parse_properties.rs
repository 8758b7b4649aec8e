//! Property tests for the parser: valid rows round-trip; garbage never panics.

mod common;

use common::{strategies, wire};
use proptest::prelude::*;
use ws_source::{FrameContext, ResourceType, TradeOrNbbo, parse_frame};

fn ctx() -> FrameContext {
    FrameContext {
        received_at_ns: i64::MAX,
        shard_id: 3,
        max_future_skew_ns: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Encoding rows to the wire format and parsing them back gives the same rows, grouped by
    /// feed in wire order, with batch meta derived from them.
    #[test]
    fn valid_rows_round_trip(rows in prop::collection::vec(strategies::row(), 0..40)) {
        let frame = wire::encode_frame(&rows);
        let parsed = parse_frame(frame.as_bytes(), &ctx())
            .map_err(|e| TestCaseError::fail(format!("{e}\nframe: {frame}")))?;
        prop_assert!(parsed.statuses.is_empty());
        let mut expected_batches = 0;
        for rt in ResourceType::ALL {
            let want: Vec<&TradeOrNbbo> = rows.iter().filter(|r| r.resource_type() == rt).collect();
            let got = parsed.batches.iter().find(|b| b.meta.resource_type == rt);
            match got {
                None => prop_assert!(want.is_empty()),
                Some(b) => {
                    expected_batches += 1;
                    prop_assert_eq!(b.rows.iter().collect::<Vec<_>>(), want.clone());
                    prop_assert_eq!(b.meta.shard_id, 3);
                    let max_ts = want.iter().map(|r| r.sip_ts_ns()).max().unwrap();
                    prop_assert_eq!(b.meta.watermark_ts_ns, max_ts);
                }
            }
        }
        prop_assert_eq!(parsed.batches.len(), expected_batches);
    }

    /// Arbitrary bytes are rejected or parsed, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = parse_frame(&bytes, &ctx()) {
            let _ = e.to_string();
        }
    }

    /// Valid frames with bytes flipped, deleted, inserted or cut never panic, and whatever
    /// parses still satisfies the row invariants.
    #[test]
    fn mutated_frames_never_panic(
        rows in prop::collection::vec(strategies::row(), 1..8),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..6),
    ) {
        let mut bytes = wire::encode_frame(&rows).into_bytes();
        for (at, byte, op) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                2 => bytes.insert(i, byte),
                _ => bytes.truncate(i),
            }
        }
        match parse_frame(&bytes, &ctx()) {
            Err(e) => { let _ = e.to_string(); }
            Ok(parsed) => {
                for row in parsed.batches.iter().flat_map(|b| &b.rows) {
                    match row {
                        TradeOrNbbo::EquityTrade(t) => prop_assert!(t.price > 0.0 && t.price.is_finite()),
                        TradeOrNbbo::OptionTrade(t) => prop_assert!(t.price > 0.0 && t.price.is_finite()),
                        TradeOrNbbo::Nbbo(q) => prop_assert!(q.bid_price >= 0.0 && q.ask_price >= 0.0),
                    }
                    prop_assert!(row.sip_ts_ns() > 0);
                }
            }
        }
    }
}
