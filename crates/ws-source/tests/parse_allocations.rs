//! The parser allocates per frame, never per event, in the common case: a counting global
//! allocator shows a 100-event frame costs exactly as many allocations as a 1-event frame.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use ws_source::{FrameContext, parse_frame};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const T: i64 = 1_732_546_800_123;

fn events(n: usize, make: fn(usize) -> String) -> Vec<u8> {
    let all: Vec<String> = (0..n).map(make).collect();
    format!("[{}]", all.join(",")).into_bytes()
}

fn allocations_for(frame: &[u8]) -> usize {
    let ctx = FrameContext::at((T + 1_000) * 1_000_000);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let parsed = parse_frame(frame, &ctx).expect("valid frame");
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    drop(parsed);
    after - before
}

#[test]
fn allocations_do_not_grow_with_events_per_frame() {
    type Make = fn(usize) -> String;
    let feeds: [(&str, Make); 4] = [
        ("option quotes", |i| {
            format!(
                r#"{{"ev":"Q","sym":"O:SPY251219C{:08}","bx":302,"ax":303,"bp":12.4,"ap":12.6,"bs":10,"as":12,"t":{},"q":{i}}}"#,
                400_000 + i * 5_000,
                T + i as i64
            )
        }),
        ("option trades", |i| {
            format!(
                r#"{{"ev":"T","sym":"O:SPY251219P00650000","x":65,"p":12.5,"s":3,"c":[209,219],"t":{},"q":{i}}}"#,
                T + i as i64
            )
        }),
        ("equity quotes", |i| {
            format!(
                r#"{{"ev":"Q","sym":"MSFT","bx":4,"ax":7,"bp":415.12,"ap":415.15,"bs":3,"as":2,"c":1,"i":[604],"t":{},"q":{i},"z":3}}"#,
                T + i as i64
            )
        }),
        ("equity trades", |i| {
            format!(
                r#"{{"ev":"T","sym":"AAPL","x":4,"i":"5298352503{i}","z":3,"p":229.87,"s":100,"c":[12,37],"t":{},"q":{i}}}"#,
                T + i as i64
            )
        }),
    ];
    for (name, make) in feeds {
        let one = allocations_for(&events(1, make));
        let hundred = allocations_for(&events(100, make));
        assert_eq!(
            one, hundred,
            "{name}: 1-event frame made {one} allocations, 100-event frame {hundred}"
        );
        assert!(one <= 2, "{name}: {one} allocations per frame");
    }
}
