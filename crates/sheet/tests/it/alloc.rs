//! A counting global allocator for the `it` binary: live heap bytes per thread, so one test can
//! measure the peak of its own work while the other tests run in parallel threads.
#![allow(unsafe_code)] // GlobalAlloc is an unsafe trait; this module only forwards to the system allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    // Const-initialised, no destructor: safe to touch from inside the allocator.
    static CURRENT: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let _ = CURRENT.try_with(|current| {
        let now = current.get().wrapping_add(delta);
        current.set(now);
        let _ = PEAK.try_with(|peak| {
            if now > peak.get() {
                peak.set(now);
            }
        });
    });
}

fn bytes(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

/// The system allocator, counting live bytes of the allocating thread.
struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(bytes(layout.size()));
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(bytes(layout.size()));
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        count(-bytes(layout.size()));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(bytes(new_size) - bytes(layout.size()));
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the peak of live heap bytes this thread held above the
/// level at the start.
pub fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    let peak = PEAK.with(Cell::get).saturating_sub(base);
    (out, usize::try_from(peak).unwrap_or(0))
}

#[test]
fn the_counter_sees_a_large_allocation() {
    let (len, peak) = peak_during(|| vec![1u8; 10 << 20].len());
    assert_eq!(len, 10 << 20);
    assert!(peak >= 10 << 20, "peak {peak}");
    let ((), peak) = peak_during(|| ());
    assert!(peak < 1024);
}
