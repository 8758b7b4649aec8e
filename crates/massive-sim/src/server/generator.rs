//! The generator thread: advances the market in real time, encodes each event once, and appends it to
//! the frame of every connection subscribed to it. It never blocks on a connection: each connection
//! has an unbounded queue whose *bytes* are bounded by `send_buffer_bytes`; past the bound the
//! connection is marked a slow consumer and told to close. Flags are read once per frame.

use super::{GenCtl, Outbound, Shared, lock};
use crate::market::{Event, Feed, Feeds, InstrumentId, Market};
use crate::protocol::{Channel, ChannelKind, Cluster};
use crate::wire;
use std::sync::Arc;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// A data frame queued for one connection.
#[derive(Debug)]
pub(crate) struct DataFrame {
    pub text: String,
    pub events: u32,
    pub records: Vec<(InstrumentId, u64)>,
}

#[derive(Default)]
struct Bits {
    words: Vec<u64>,
    count: usize,
}

impl Bits {
    #[inline]
    fn get(&self, i: u32) -> bool {
        self.words
            .get((i / 64) as usize)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn set(&mut self, i: u32, on: bool) {
        let w = (i / 64) as usize;
        if w >= self.words.len() {
            if !on {
                return;
            }
            self.words.resize(w + 1, 0);
        }
        let mask = 1u64 << (i % 64);
        let was = self.words[w] & mask != 0;
        if on && !was {
            self.words[w] |= mask;
            self.count += 1;
        } else if !on && was {
            self.words[w] &= !mask;
            self.count -= 1;
        }
    }
}

/// How far in the past the delayed variant's timestamps are.
const DELAY_MS: i64 = 15 * 60 * 1000;

struct GenConn {
    id: u64,
    cluster: Cluster,
    delayed: bool,
    out: Arc<Outbound>,
    all_trades: bool,
    all_quotes: bool,
    trades: Bits,
    quotes: Bits,
    frame: Vec<u8>,
    n: u32,
    records: Vec<(InstrumentId, u64)>,
    /// Subscribed symbols not (yet) listed: resolved again when the market lists new contracts.
    pending: Vec<Channel>,
    dead: bool,
}

impl GenConn {
    #[inline]
    fn wants(&self, ev: &Event) -> bool {
        if ev.feed.is_trade() {
            self.all_trades || self.trades.get(ev.instrument.0)
        } else {
            self.all_quotes || self.quotes.get(ev.instrument.0)
        }
    }

    fn apply(&mut self, market: &Market, chans: &[Channel], on: bool) {
        for ch in chans {
            let (all, bits) = match ch.kind {
                ChannelKind::Trades => (&mut self.all_trades, &mut self.trades),
                ChannelKind::Quotes => (&mut self.all_quotes, &mut self.quotes),
                ChannelKind::Other => continue,
            };
            if ch.is_wildcard() {
                *all = on;
            } else if let Some(id) = market.lookup(&ch.symbol) {
                // Only instruments of this connection's cluster are ever fed.
                if market.is_option(id) == (self.cluster == Cluster::Options) {
                    bits.set(id.0, on);
                }
            } else if on {
                self.pending.push(ch.clone());
            } else {
                self.pending.retain(|p| p != ch);
            }
        }
    }

    fn feeds(&self) -> Feeds {
        let (t, q) = match self.cluster {
            Cluster::Options => (Feed::OptionTrades, Feed::OptionQuotes),
            Cluster::Stocks => (Feed::StockTrades, Feed::StockQuotes),
        };
        let mut f = Feeds::NONE;
        if self.all_trades || self.trades.count > 0 {
            f = f.with(t);
        }
        if self.all_quotes || self.quotes.count > 0 {
            f = f.with(q);
        }
        f
    }

    fn flush(&mut self, shared: &Shared) {
        if self.n == 0 {
            return;
        }
        self.frame.push(b']');
        let cap = self.frame.capacity();
        let bytes = std::mem::replace(&mut self.frame, Vec::with_capacity(cap));
        self.frame.push(b'[');
        let events = std::mem::take(&mut self.n);
        let records = std::mem::take(&mut self.records);
        let c = &shared.counters;
        if self.out.closed.load(Relaxed) {
            self.dead = true;
            return;
        }
        if self.out.stalled.load(Relaxed) {
            c.events_dropped_stalled
                .fetch_add(u64::from(events), Relaxed);
            return;
        }
        let len = bytes.len();
        let queued = self.out.queued_bytes.load(SeqCst);
        if queued + len > shared.cfg.send_buffer_bytes {
            tracing::warn!(
                conn = self.id,
                queued,
                bound = shared.cfg.send_buffer_bytes,
                "send buffer overflow: slow consumer"
            );
            c.send_buffer_overflows.fetch_add(1, Relaxed);
            self.out.overflow.store(true, SeqCst);
            self.out.kill.notify_one();
            self.dead = true;
            return;
        }
        let Ok(text) = String::from_utf8(bytes) else {
            return;
        };
        self.out.queued_bytes.fetch_add(len, SeqCst);
        if self
            .out
            .tx
            .send(DataFrame {
                text,
                events,
                records,
            })
            .is_err()
        {
            self.dead = true;
        }
    }
}

/// Advances the market clock (without events) to the wall clock: the market starts at the wall
/// time read before the universe was built, which takes tens of milliseconds, and every event
/// timestamp would otherwise trail "now" by that much for the whole run.
fn catch_up_with_wall_clock(market: &mut Market) {
    let wall_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    let behind = wall_ns.saturating_sub(market.now_ns());
    // Only a start-up gap: a fixed or far-off clock (tests, replays) is left alone.
    if behind > 0 && behind < 10_000_000_000 {
        market.advance_with(Duration::from_nanos(behind as u64), Feeds::NONE, |_, _| {});
    }
}

/// Runs until `shared.stop` is set.
pub(crate) fn run(shared: Arc<Shared>, rx: Receiver<GenCtl>) {
    let epf = shared.cfg.events_per_frame.max(1);
    let record = shared.cfg.record_sent;
    let step = shared.cfg.step.max(Duration::from_micros(100));
    let max_catch_up = Duration::from_millis(250);
    let mut conns: Vec<GenConn> = Vec::new();
    let mut scratch: Vec<u8> = Vec::with_capacity(512);
    let mut scratch_delayed: Vec<u8> = Vec::with_capacity(512);
    if !shared.cfg.fixed_clock {
        catch_up_with_wall_clock(&mut lock(&shared.market));
    }
    let mut last = Instant::now();
    let mut listed = 0usize;
    while !shared.stop.load(Relaxed) {
        // Control messages: at most once per step, never per event.
        loop {
            match rx.try_recv() {
                Ok(msg) => handle_ctl(&shared, &mut conns, msg),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        conns.retain(|c| !c.dead || !c.out.closed.load(Relaxed));
        std::thread::sleep(step);
        let now = Instant::now();
        let mut dt = now - last;
        last = now;
        let feeds = conns
            .iter()
            .filter(|c| !c.dead)
            .fold(Feeds::NONE, |f, c| Feeds(f.0 | c.feeds().0));
        let mut market = lock(&shared.market);
        if market.instrument_count() != listed {
            listed = market.instrument_count();
            for c in conns.iter_mut().filter(|c| !c.pending.is_empty()) {
                let pending = std::mem::take(&mut c.pending);
                c.apply(&market, &pending, true);
            }
        }
        if dt > max_catch_up {
            // The process was suspended or starved: skip ahead instead of sending a huge burst.
            market.advance_with(dt - max_catch_up, Feeds::NONE, |_, _| {});
            dt = max_catch_up;
        }
        market.advance_with(dt, feeds, |ev, sym| {
            let cluster = if ev.feed.is_option() {
                Cluster::Options
            } else {
                Cluster::Stocks
            };
            // Each event is encoded at most once per variant (real time, delayed).
            let mut encoded = false;
            let mut encoded_delayed = false;
            for c in conns.iter_mut() {
                if c.cluster != cluster || c.dead || !c.wants(ev) {
                    continue;
                }
                let bytes = if c.delayed {
                    if !encoded_delayed {
                        let mut late = *ev;
                        late.ts_ms -= DELAY_MS;
                        if late.trf_id != 0 {
                            late.trf_ts_ms -= DELAY_MS;
                        }
                        scratch_delayed.clear();
                        wire::write_event(&mut scratch_delayed, &late, sym);
                        encoded_delayed = true;
                    }
                    &scratch_delayed
                } else {
                    if !encoded {
                        scratch.clear();
                        wire::write_event(&mut scratch, ev, sym);
                        encoded = true;
                    }
                    &scratch
                };
                if c.n > 0 {
                    c.frame.push(b',');
                }
                c.frame.extend_from_slice(bytes);
                c.n += 1;
                if record {
                    c.records.push((ev.instrument, ev.seq));
                }
                if c.n as usize >= epf {
                    c.flush(&shared);
                }
            }
        });
        drop(market);
        for c in conns.iter_mut() {
            c.flush(&shared);
        }
    }
}

fn handle_ctl(shared: &Shared, conns: &mut Vec<GenConn>, msg: GenCtl) {
    match msg {
        GenCtl::Register {
            id,
            cluster,
            delayed,
            out,
        } => conns.push(GenConn {
            id,
            cluster,
            delayed,
            out,
            all_trades: false,
            all_quotes: false,
            trades: Bits::default(),
            quotes: Bits::default(),
            frame: {
                let mut v = Vec::with_capacity(16 << 10);
                v.push(b'[');
                v
            },
            n: 0,
            records: Vec::new(),
            pending: Vec::new(),
            dead: false,
        }),
        GenCtl::Subscribe { id, chans, on } => {
            if let Some(c) = conns.iter_mut().find(|c| c.id == id) {
                let market = lock(&shared.market);
                c.apply(&market, &chans, on);
            }
        }
        GenCtl::Unregister { id } => conns.retain(|c| c.id != id),
    }
}
