//! Memory bound: 1.5 million tracked contracts in under 256 MiB, measured with a counting global
//! allocator (this test binary only).
//!
//! `cargo test -p ws-source --test scheduler_memory -- --nocapture` prints the figures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use ws_source::{ActivityTracker, SchedulerConfig, SubscriptionScheduler};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static BLOCKS: AtomicUsize = AtomicUsize::new(0);

fn add(n: usize) {
    let live = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(live, Ordering::Relaxed);
    BLOCKS.fetch_add(1, Ordering::Relaxed);
}

fn sub(n: usize) {
    LIVE.fetch_sub(n, Ordering::Relaxed);
    BLOCKS.fetch_sub(1, Ordering::Relaxed);
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            add(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        sub(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            sub(layout.size());
            add(new_size);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const N: usize = 1_500_000;
const MIB: f64 = 1024.0 * 1024.0;
const LIMIT: usize = 256 << 20;

/// OCC-shaped symbols (20 bytes), all distinct.
fn symbol(i: usize) -> String {
    format!("O:R{:03}251219C{:08}", i % 1000, i)
}

/// Bytes including a malloc-like overhead: each block rounded up to 16 bytes plus an 8-byte
/// header (glibc's chunk layout), so the figure is close to what the process really holds.
fn with_overhead(bytes: usize, blocks: usize) -> usize {
    bytes + blocks * 16
}

#[test]
fn tracker_with_one_and_a_half_million_contracts_fits_in_256_mib() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // 1. The activity tracker with 1.5M string keys (the design target).
    let started = std::time::Instant::now();
    let (base, base_blocks) = (LIVE.load(Ordering::Relaxed), BLOCKS.load(Ordering::Relaxed));
    let mut tracker: ActivityTracker = ActivityTracker::new(60.0, 0.1).unwrap();
    for i in 0..N {
        tracker.record(symbol(i).as_str(), (i as i64) * 1_000, 1, (i % 7) as f64);
    }
    assert_eq!(tracker.len(), N);
    let bytes = LIVE.load(Ordering::Relaxed) - base;
    let blocks = BLOCKS.load(Ordering::Relaxed) - base_blocks;
    let est = with_overhead(bytes, blocks);
    println!(
        "tracker: {N} contracts: {:.1} MiB requested, ~{:.1} MiB with malloc overhead \
         ({blocks} blocks; table alone {:.1} MiB)",
        bytes as f64 / MIB,
        est as f64 / MIB,
        tracker.table_bytes() as f64 / MIB,
    );
    assert!(est < LIMIT, "tracker uses {est} bytes");

    println!("tracker part took {:?}", started.elapsed());
}

/// Serializes the tests of this binary (the allocator counters are global).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The scheduler holding 1.5M priorities, and its transient allocations during a rebalance.
/// Takes ~3 s in a debug build on top of building the tracker, hence ignored by default:
/// `cargo test --release -p ws-source --test scheduler_memory -- --include-ignored --nocapture`.
#[test]
#[ignore = "slow in debug builds; run with --include-ignored (ideally --release)"]
fn scheduler_with_one_and_a_half_million_priorities_fits() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let started = std::time::Instant::now();
    let mut tracker: ActivityTracker = ActivityTracker::new(60.0, 0.1).unwrap();
    for i in 0..N {
        tracker.record(symbol(i).as_str(), (i as i64) * 1_000, 1, (i % 7) as f64);
    }
    let (before, before_blocks) = (LIVE.load(Ordering::Relaxed), BLOCKS.load(Ordering::Relaxed));
    let rates: HashMap<String, f64> = tracker.rates(1_000 * 1_000_000_000);
    let rates_bytes = LIVE.load(Ordering::Relaxed) - before;
    let rates_blocks = BLOCKS.load(Ordering::Relaxed) - before_blocks;
    drop(tracker);
    let base = LIVE.load(Ordering::Relaxed);
    let base_blocks = BLOCKS.load(Ordering::Relaxed);
    let mut sched = SubscriptionScheduler::new(&SchedulerConfig::default());
    sched.update_priorities(rates);
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let alloc = sched.rebalance(1_000, 0);
    assert_eq!(alloc.active_count(), 1_000);
    let peak_extra = PEAK.load(Ordering::Relaxed) - LIVE.load(Ordering::Relaxed);
    drop(alloc);
    let held = rates_bytes + LIVE.load(Ordering::Relaxed) - base;
    let held_blocks = rates_blocks + BLOCKS.load(Ordering::Relaxed) - base_blocks;
    let held_est = with_overhead(held, held_blocks);
    println!(
        "scheduler: {N} priorities + 1,000 subscribed: {:.1} MiB requested, ~{:.1} MiB with \
         malloc overhead; rebalance transient peak +{:.2} MiB",
        held as f64 / MIB,
        held_est as f64 / MIB,
        peak_extra as f64 / MIB,
    );
    println!("scheduler part took {:?}", started.elapsed());
    assert!(held_est < LIMIT, "scheduler uses {held_est} bytes");
    assert!(
        peak_extra < 16 << 20,
        "rebalance allocates {peak_extra} bytes transiently"
    );
}
