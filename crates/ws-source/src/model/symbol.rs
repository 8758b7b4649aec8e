//! Fixed-capacity inline strings for symbols and trade ids.
//!
//! Every event carries a ticker; allocating a `String` for it would cost one heap allocation per
//! event on the hot path. [`InlineStr`] stores up to `N` bytes inline, is `Copy`, and hashes and
//! compares exactly like the `str` it holds, so it can key hash maps directly.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A string of at most `N` bytes of printable ASCII, stored inline (no heap allocation).
///
/// ```
/// use ws_source::Symbol;
/// let s = Symbol::new("O:SPY251219C00650000").unwrap();
/// assert_eq!(s.as_str(), "O:SPY251219C00650000");
/// assert_eq!(std::mem::size_of::<Symbol>(), 24);
/// ```
#[derive(Clone, Copy)]
pub struct InlineStr<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

/// Why a string could not become an [`InlineStr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InlineStrError {
    /// The string was empty.
    #[error("empty")]
    Empty,
    /// The string was longer than the capacity.
    #[error("{len} bytes, longer than the {capacity}-byte limit")]
    TooLong {
        /// Length of the rejected string in bytes.
        len: usize,
        /// The capacity of the type.
        capacity: usize,
    },
    /// The string held a byte that is not printable ASCII, or a comma (which would corrupt a
    /// subscription list).
    #[error("invalid byte 0x{byte:02x} at offset {offset}")]
    InvalidByte {
        /// The offending byte.
        byte: u8,
        /// Its offset in the string.
        offset: usize,
    },
}

impl<const N: usize> InlineStr<N> {
    /// The capacity in bytes.
    pub const CAPACITY: usize = N;

    /// Copies `s` inline, rejecting empty, over-long and non-printable strings.
    pub fn new(s: &str) -> Result<Self, InlineStrError> {
        let src = s.as_bytes();
        if src.is_empty() {
            return Err(InlineStrError::Empty);
        }
        if src.len() > N || src.len() > u8::MAX as usize {
            return Err(InlineStrError::TooLong {
                len: src.len(),
                capacity: N,
            });
        }
        if let Some(offset) = src.iter().position(|&b| !b.is_ascii_graphic() || b == b',') {
            return Err(InlineStrError::InvalidByte {
                byte: src[offset],
                offset,
            });
        }
        let mut bytes = [0u8; N];
        bytes[..src.len()].copy_from_slice(src);
        Ok(Self {
            len: src.len() as u8,
            bytes,
        })
    }

    /// The string.
    #[inline]
    pub fn as_str(&self) -> &str {
        // Only printable ASCII is ever stored (checked in `new`), which is valid UTF-8.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or_default()
    }

    /// Length in bytes.
    #[inline]
    #[allow(clippy::len_without_is_empty)] // never empty by construction
    pub fn len(&self) -> usize {
        self.len as usize
    }
}

impl<const N: usize> Deref for InlineStr<N> {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> AsRef<str> for InlineStr<N> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> Borrow<str> for InlineStr<N> {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> PartialEq for InlineStr<N> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}
impl<const N: usize> Eq for InlineStr<N> {}

impl<const N: usize> PartialEq<str> for InlineStr<N> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}
impl<const N: usize> PartialEq<&str> for InlineStr<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl<const N: usize> PartialOrd for InlineStr<N> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<const N: usize> Ord for InlineStr<N> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl<const N: usize> Hash for InlineStr<N> {
    // Must hash exactly like `str` so that `HashMap<Symbol, _>::get(&str)` works via `Borrow`.
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl<const N: usize> fmt::Display for InlineStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> fmt::Debug for InlineStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> TryFrom<&str> for InlineStr<N> {
    type Error = InlineStrError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl<const N: usize> std::str::FromStr for InlineStr<N> {
    type Err = InlineStrError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl<const N: usize> Serialize for InlineStr<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de, const N: usize> Deserialize<'de> for InlineStr<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

/// A ticker as sent on the wire: `AAPL`, `BRK.A`, or `O:` + an OCC option symbol
/// (`O:SPY251219C00650000`, at most 23 bytes). 24 bytes, `Copy`, no heap.
pub type Symbol = InlineStr<23>;

/// An equity trade id (`i` on stock trades), kept as the string the wire sends.
pub type TradeId = InlineStr<31>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn longest_occ_symbol_fits() {
        let s = Symbol::new("O:ABCDEF251219C00650000").unwrap();
        assert_eq!(s.len(), 23);
        assert_eq!(std::mem::size_of::<Symbol>(), 24);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(Symbol::new(""), Err(InlineStrError::Empty));
        assert!(matches!(
            Symbol::new("O:ABCDEFG251219C00650000"),
            Err(InlineStrError::TooLong { len: 24, .. })
        ));
        assert_eq!(
            Symbol::new("A,B"),
            Err(InlineStrError::InvalidByte {
                byte: b',',
                offset: 1
            })
        );
        assert!(Symbol::new("A B").is_err());
        assert!(Symbol::new("AÄ").is_err());
    }

    #[test]
    fn hash_map_lookup_by_str() {
        let mut m = HashMap::new();
        m.insert(Symbol::new("AAPL").unwrap(), 1);
        assert_eq!(m.get("AAPL"), Some(&1));
    }
}
