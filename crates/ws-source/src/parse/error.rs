//! Parse errors that say what went wrong and where.

use std::fmt;

use crate::model::{InlineStrError, OccError};
use crate::timestamp::TimestampError;

/// Longest excerpt of the offending input kept in an error, in bytes.
pub const EXCERPT_LEN: usize = 160;

/// What was wrong with a frame or one of its events.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseErrorKind {
    /// The frame is not valid JSON.
    #[error("invalid JSON: {message}")]
    InvalidJson {
        /// The JSON parser's message, with line and column.
        message: Box<str>,
    },
    /// The frame is valid JSON but not an array.
    #[error("frame is not a JSON array")]
    NotAnArray,
    /// An element of the frame is not a JSON object.
    #[error("event is not a JSON object")]
    NotAnObject,
    /// A required field is absent.
    #[error("missing required field")]
    MissingField,
    /// A field has the wrong JSON type or an out-of-range value for its type.
    #[error("wrong type or value: {message}")]
    WrongType {
        /// The JSON parser's message.
        message: Box<str>,
    },
    /// `ev` names an event type ws-source does not ingest.
    #[error("unknown event type {ev:?}")]
    UnknownEventType {
        /// The `ev` value.
        ev: Box<str>,
    },
    /// A timestamp has an implausible magnitude or lies in the future.
    #[error("implausible timestamp: {0}")]
    Timestamp(#[from] TimestampError),
    /// A price is negative, or zero where it must be positive.
    #[error("invalid price {value}")]
    InvalidPrice {
        /// The value.
        value: f64,
    },
    /// A size is negative.
    #[error("negative size {value}")]
    NegativeSize {
        /// The value.
        value: i64,
    },
    /// A fractional size (`ds`) is not a non-negative decimal.
    #[error("invalid fractional size {value:?}")]
    InvalidFractionalSize {
        /// The value.
        value: Box<str>,
    },
    /// A symbol or id string is empty, too long or has invalid characters.
    #[error("invalid symbol {value:?}: {reason}")]
    InvalidSymbol {
        /// The value.
        value: Box<str>,
        /// Why.
        reason: InlineStrError,
    },
    /// An option symbol is not a valid `O:` + OCC code.
    #[error("malformed option symbol {value:?}: {reason}")]
    InvalidOccSymbol {
        /// The value.
        value: Box<str>,
        /// Why.
        reason: OccError,
    },
}

/// A rejected frame: what was wrong, in which event and field, with an excerpt of the input.
///
/// ```
/// use ws_source::{parse_payload, ParseErrorKind};
/// let frame = br#"[{"ev":"T","sym":"AAPL","x":4,"i":"1","p":-1.0,"s":100,"t":1700000000123,"q":7}]"#;
/// let err = parse_payload(frame).unwrap_err();
/// assert_eq!(err.event_index, Some(0));
/// assert_eq!(err.field.as_deref(), Some("p"));
/// assert!(matches!(err.kind, ParseErrorKind::InvalidPrice { .. }));
/// assert!(err.to_string().contains("event 0 (ev=T, sym=AAPL), field `p`: invalid price -1"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ParseError {
    /// What was wrong.
    pub kind: ParseErrorKind,
    /// Index of the offending event in the frame, when the frame itself was an array.
    pub event_index: Option<usize>,
    /// The offending field, when one is to blame.
    pub field: Option<Box<str>>,
    /// The event's `ev`, when it could be read.
    pub ev: Option<Box<str>>,
    /// The event's `sym`, when it could be read.
    pub sym: Option<Box<str>>,
    /// A short excerpt of the offending event (or of the frame), at most [`EXCERPT_LEN`] bytes.
    pub excerpt: Box<str>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.event_index {
            Some(i) => write!(f, "event {i}")?,
            None => f.write_str("frame")?,
        }
        match (&self.ev, &self.sym) {
            (Some(ev), Some(sym)) => write!(f, " (ev={ev}, sym={sym})")?,
            (Some(ev), None) => write!(f, " (ev={ev})")?,
            (None, Some(sym)) => write!(f, " (sym={sym})")?,
            (None, None) => {}
        }
        if let Some(field) = &self.field {
            write!(f, ", field `{field}`")?;
        }
        write!(f, ": {}; excerpt: {}", self.kind, self.excerpt)
    }
}

/// Cuts `s` to at most [`EXCERPT_LEN`] bytes on a character boundary, marking the cut with `…`.
pub(crate) fn excerpt(s: &[u8]) -> Box<str> {
    let text = String::from_utf8_lossy(s);
    let text = text.trim();
    if text.len() <= EXCERPT_LEN {
        return text.into();
    }
    let mut end = EXCERPT_LEN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end]).into()
}
