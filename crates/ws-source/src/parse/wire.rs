//! The wire shape of one event, borrowed from the frame buffer.
//!
//! One flat struct covers every event type so the frame is read in a single pass without
//! buffering (serde's tagged enums buffer each object first). Strings borrow from the input when
//! they have no escapes; condition lists live inline. Unknown fields are skipped.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::model::Codes;

/// A string borrowed from the input when possible (unlike `Option<Cow<str>>`, which serde
/// always copies).
#[derive(Debug)]
pub(crate) struct Str<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// Codes sent either as an array (`"c":[12,37]` on trades) or a single integer (`"c":1` on
/// equity quotes).
#[derive(Debug)]
pub(crate) struct WireCodes {
    pub codes: Codes,
    pub was_list: bool,
}

impl<'de> Deserialize<'de> for WireCodes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CodesVisitor)
    }
}

struct CodesVisitor;

impl<'de> Visitor<'de> for CodesVisitor {
    type Value = WireCodes;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer code or an array of integer codes (0..=65535)")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<WireCodes, E> {
        let code =
            u16::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))?;
        let mut codes = Codes::new();
        codes.push(code);
        Ok(WireCodes {
            codes,
            was_list: false,
        })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<WireCodes, A::Error> {
        let mut codes = Codes::new();
        while let Some(c) = seq.next_element::<u16>()? {
            codes.push(c);
        }
        Ok(WireCodes {
            codes,
            was_list: true,
        })
    }
}

/// The `i` field: a trade id string on equity trades, an indicator array on equity quotes.
#[derive(Debug)]
pub(crate) enum WireI<'a> {
    Id(Cow<'a, str>),
    List(Codes),
}

impl<'de: 'a, 'a> Deserialize<'de> for WireI<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = WireI<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a trade id string or an array of indicator codes")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(WireI::Id(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(WireI::Id(Cow::Owned(v.to_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                CodesVisitor.visit_seq(seq).map(|c| WireI::List(c.codes))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Every field any ingested event type may carry. All optional here; each event type checks
/// its own required fields so a missing one is reported by name.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireEvent<'a> {
    #[serde(borrow)]
    pub ev: Option<Str<'a>>,
    #[serde(borrow)]
    pub sym: Option<Str<'a>>,
    pub x: Option<u16>,
    #[serde(borrow)]
    pub i: Option<WireI<'a>>,
    pub z: Option<u8>,
    pub p: Option<f64>,
    pub s: Option<i64>,
    #[serde(borrow)]
    pub ds: Option<Str<'a>>,
    pub c: Option<WireCodes>,
    pub t: Option<i64>,
    pub q: Option<u64>,
    pub trfi: Option<u16>,
    pub trft: Option<i64>,
    pub bx: Option<u16>,
    pub ax: Option<u16>,
    pub bp: Option<f64>,
    pub ap: Option<f64>,
    pub bs: Option<i64>,
    #[serde(rename = "as")]
    pub as_: Option<i64>,
    #[serde(borrow)]
    pub status: Option<Str<'a>>,
    #[serde(borrow)]
    pub message: Option<Str<'a>>,
}
