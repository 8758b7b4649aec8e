//! Server counters: lock-free atomics updated by the server, read as a plain [`CounterSnapshot`].

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

macro_rules! counters {
    ($( $(#[$doc:meta])* $name:ident ),* $(,)?) => {
        /// Live counters (atomics). Read them with [`Counters::snapshot`] or [`crate::SimHandle::counters`].
        #[derive(Debug, Default)]
        pub struct Counters {
            $( $(#[$doc])* pub $name: AtomicU64, )*
            /// Currently open connections per cluster (index [`crate::Cluster::index`]).
            pub open: [AtomicU64; 2],
            /// Maximum number of simultaneously open *authenticated* connections on one key, per cluster.
            pub max_concurrent_per_key: [AtomicU64; 2],
        }

        /// A copy of every counter at one instant.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
        pub struct CounterSnapshot {
            $( $(#[$doc])* pub $name: u64, )*
            /// Currently open connections: `[stocks, options]`.
            pub open: [u64; 2],
            /// Maximum simultaneously open authenticated connections on one key ever seen:
            /// `[stocks, options]`, counted when a connection authenticates (before the older one is
            /// evicted). A client that opens a new socket only after the old one is closed keeps it
            /// at 1. Note: a stalled connection does not read, so it does not notice its client
            /// going away; it stays open on the server until evicted, and a reconnect after a stall
            /// legitimately counts 2.
            pub max_concurrent_per_key: [u64; 2],
        }

        impl Counters {
            /// Copies every counter.
            pub fn snapshot(&self) -> CounterSnapshot {
                CounterSnapshot {
                    $( $name: self.$name.load(Relaxed), )*
                    open: [self.open[0].load(Relaxed), self.open[1].load(Relaxed)],
                    max_concurrent_per_key: [
                        self.max_concurrent_per_key[0].load(Relaxed),
                        self.max_concurrent_per_key[1].load(Relaxed),
                    ],
                }
            }
        }
    };
}

counters! {
    /// TCP connections accepted (WebSocket handshake attempted).
    connections_accepted,
    /// Handshakes rejected (unknown path or bad request).
    handshakes_rejected,
    /// `auth_success` sent.
    auth_success,
    /// `auth_failed` sent (bad key or the reject-auth fault).
    auth_failed,
    /// `auth_timeout` sent.
    auth_timeouts,
    /// `auth_required` sent.
    auth_required,
    /// Subscribe commands received (from authenticated connections).
    subscribe_commands,
    /// Unsubscribe commands received (from authenticated connections).
    unsubscribe_commands,
    /// Channels acknowledged as subscribed.
    channels_subscribed,
    /// Channels acknowledged as unsubscribed.
    channels_unsubscribed,
    /// Channels rejected with an error status (options `Q.*`, limit exceeded, invalid).
    subscribe_errors,
    /// Client messages that were not valid commands.
    invalid_messages,
    /// Events sent (written to sockets).
    events_sent,
    /// Data frames sent.
    frames_sent,
    /// Bytes of data frames sent.
    bytes_sent,
    /// Status frames sent.
    status_frames_sent,
    /// Ping frames received.
    pings_received,
    /// Connections evicted with `max_connections`.
    evictions,
    /// Connections closed with `slow_consumer` (real overflow or forced).
    slow_consumer_disconnects,
    /// Times a connection's send buffer overflowed its bound (real slow consumers).
    send_buffer_overflows,
    /// Events generated for a connection but dropped because it was stalled.
    events_dropped_stalled,
    /// Fault: closes (close-after timer or close-now).
    fault_closes,
    /// Fault: TCP resets.
    fault_resets,
    /// Fault: stalls started.
    fault_stalls,
    /// Fault: `force_disconnect` closes.
    fault_force_disconnects,
    /// Fault: malformed frames sent.
    fault_malformed_frames,
    /// Fault: authentications rejected because of the reject-auth fault.
    fault_auth_rejections,
    /// Server restarts (whole server down then up).
    restarts,
}
