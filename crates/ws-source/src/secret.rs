//! The API key, kept out of logs, `Debug` output, errors and metrics.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A Massive API key. `Debug` and `Display` print `ApiKey(***)`; the only way to read it is
/// [`ApiKey::expose`], used once per connection to build the auth message.
///
/// ```
/// use ws_source::ApiKey;
/// let key = ApiKey::new("s3cr3t");
/// assert_eq!(format!("{key:?}"), "ApiKey(***)");
/// assert_eq!(format!("{key}"), "ApiKey(***)");
/// assert_eq!(key.expose(), "s3cr3t");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    /// The key itself. Only for the auth message.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the key is empty (after trimming).
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl<'de> Deserialize<'de> for ApiKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(ApiKey)
    }
}

impl serde::Serialize for ApiKey {
    /// Serializes as `"***"`: a config dump never contains the key.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}
