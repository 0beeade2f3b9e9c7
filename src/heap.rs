//! A small global allocator for the wasm build, in place of std's dlmalloc
//! (about 8 KB of code less).
//!
//! Every block is a power of two bytes (at least 8), and each size class has
//! a free list threaded through its free blocks. Fresh blocks are bumped from
//! pages got with `memory.grow`. A freed block is only ever reused for its own
//! class: the SDK's allocations come in a few steady sizes per request, so the
//! lists reach a fixed point after warm-up and the memory stops growing (the
//! wasm-bindgen test `requests_release_their_timers_signals_and_closures`
//! checks that). Wasm memory never shrinks, so nothing is given back.
//!
//! The logic is [`Heap`], over any page source, so that it is tested natively.

use core::alloc::Layout;

/// Bytes in a wasm page.
pub(crate) const PAGE: usize = 65_536;
/// Fresh blocks are aligned to their size up to this; larger alignments are
/// handled per request.
const BLOCK_ALIGN: usize = 16;
const CLASSES: usize = usize::BITS as usize;

/// Grows the memory by `pages` and returns the previous size in pages, like
/// `memory.grow`; `None` when the host refuses.
pub(crate) trait Pages {
    fn grow(&mut self, pages: usize) -> Option<usize>;
}

/// Size-class free lists and a bump region.
pub(crate) struct Heap<P> {
    free: [usize; CLASSES],
    next: usize,
    end: usize,
    pages: P,
}

/// The size class of `layout`: log2 of its block size.
fn class(layout: Layout) -> usize {
    let size = layout.size().max(layout.align()).max(8);
    (usize::BITS - (size - 1).leading_zeros()) as usize
}

impl<P: Pages> Heap<P> {
    pub(crate) const fn new(pages: P) -> Self {
        Self { free: [0; CLASSES], next: 0, end: 0, pages }
    }

    /// # Safety
    /// The memory the page source hands out must be usable and owned by this heap.
    pub(crate) unsafe fn alloc(&mut self, layout: Layout) -> *mut u8 {
        let c = class(layout);
        if c >= CLASSES - 1 {
            return core::ptr::null_mut();
        }
        let head = self.free[c];
        if head != 0 && head % layout.align() == 0 {
            // SAFETY: a free block starts with the address of the next one.
            self.free[c] = unsafe { *(head as *const usize) };
            return head as *mut u8;
        }
        let size = 1usize << c;
        let align = size.min(BLOCK_ALIGN).max(layout.align());
        // Checked: near the top of a 32-bit address space, a sum could wrap.
        let Some(start) = self.next.checked_add(align - 1).map(|n| n & !(align - 1)) else {
            return core::ptr::null_mut();
        };
        let Some(block_end) = start.checked_add(size) else { return core::ptr::null_mut() };
        if block_end > self.end {
            let pages = (block_end - self.end).div_ceil(PAGE).max(1);
            let Some(previous) = self.pages.grow(pages) else { return core::ptr::null_mut() };
            let base = previous * PAGE;
            if base != self.end {
                // Not contiguous with our region (first use, or someone else grew it).
                return unsafe { self.grow_and_retry(layout, pages, base) };
            }
            self.end = base.saturating_add(pages * PAGE);
            // `start` is unchanged (the region grew in place) and now fits.
        }
        self.next = block_end;
        start as *mut u8
    }

    /// After a grow that did not extend our region: use the new pages.
    unsafe fn grow_and_retry(&mut self, layout: Layout, pages: usize, base: usize) -> *mut u8 {
        self.next = base;
        self.end = base.saturating_add(pages * PAGE);
        // The new region starts page-aligned; it may still be short for a
        // block that needed more than the pages asked for, which alloc handles.
        unsafe { self.alloc(layout) }
    }

    /// # Safety
    /// `ptr` was returned by `alloc` of this heap with the same `layout`.
    pub(crate) unsafe fn dealloc(&mut self, ptr: *mut u8, layout: Layout) {
        let c = class(layout);
        // SAFETY: the block is ours and at least 8 bytes, enough for a link.
        unsafe { *(ptr as *mut usize) = self.free[c] };
        self.free[c] = ptr as usize;
    }

    /// # Safety
    /// As for `dealloc`; `new_size` is not zero.
    pub(crate) unsafe fn realloc(&mut self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else { return core::ptr::null_mut() };
        if class(new_layout) == class(layout) {
            return ptr;
        }
        let fresh = unsafe { self.alloc(new_layout) };
        if !fresh.is_null() {
            unsafe {
                core::ptr::copy_nonoverlapping(ptr, fresh, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        fresh
    }
}

#[cfg(target_arch = "wasm32")]
mod global {
    use super::{Heap, Pages};
    use core::alloc::{GlobalAlloc, Layout};
    use core::cell::UnsafeCell;

    pub(crate) struct MemoryGrow;

    impl Pages for MemoryGrow {
        fn grow(&mut self, pages: usize) -> Option<usize> {
            match core::arch::wasm32::memory_grow(0, pages) {
                usize::MAX => None,
                previous => Some(previous),
            }
        }
    }

    /// The global allocator. The wasm build is single-threaded (no atomics),
    /// so plain interior mutability is enough.
    pub(crate) struct Global(UnsafeCell<Heap<MemoryGrow>>);

    // SAFETY: wasm32-unknown-unknown without the atomics feature has one thread.
    unsafe impl Sync for Global {}

    #[global_allocator]
    static ALLOCATOR: Global = Global(UnsafeCell::new(Heap::new(MemoryGrow)));

    unsafe impl GlobalAlloc for Global {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            unsafe { (*self.0.get()).alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { (*self.0.get()).dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            unsafe { (*self.0.get()).realloc(ptr, layout, new_size) }
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// Pages from a buffer, with a gap page at the start (as if the data and
    /// the stack came first); refuses beyond the buffer.
    struct Buffer {
        base: usize,
        used: usize,
        capacity: usize,
    }

    impl Pages for Buffer {
        fn grow(&mut self, pages: usize) -> Option<usize> {
            if self.used + pages > self.capacity {
                return None;
            }
            let previous = self.base / PAGE + self.used;
            self.used += pages;
            Some(previous)
        }
    }

    fn heap(pages: usize) -> (Vec<u8>, Heap<Buffer>) {
        let buffer = vec![0u8; (pages + 2) * PAGE];
        let base = (buffer.as_ptr() as usize).div_ceil(PAGE) * PAGE;
        (buffer, Heap::new(Buffer { base, used: 0, capacity: pages }))
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn blocks_are_aligned_distinct_and_reused_per_class() {
        let (_buffer, mut h) = heap(8);
        unsafe {
            let a = h.alloc(layout(24, 8));
            let b = h.alloc(layout(24, 8));
            let c = h.alloc(layout(3, 1));
            assert!(!a.is_null() && !b.is_null() && !c.is_null());
            assert_eq!(a as usize % 16, 0);
            assert!(b as usize >= a as usize + 32, "24 bytes take a 32-byte block");
            let d = h.alloc(layout(100, 64));
            assert_eq!(d as usize % 64, 0);
            h.dealloc(a, layout(24, 8));
            assert_eq!(h.alloc(layout(30, 8)), a, "same class: the freed block comes back");
            h.dealloc(b, layout(24, 8));
            assert_ne!(h.alloc(layout(40, 8)), b, "another class does not take it");
        }
    }

    #[test]
    fn realloc_keeps_the_block_within_its_class_and_copies_beyond() {
        let (_buffer, mut h) = heap(8);
        unsafe {
            let a = h.alloc(layout(20, 1));
            a.copy_from_nonoverlapping(b"0123456789abcdefghij".as_ptr(), 20);
            assert_eq!(h.realloc(a, layout(20, 1), 32), a);
            let b = h.realloc(a, layout(32, 1), 200);
            assert_ne!(b, a);
            assert_eq!(std::slice::from_raw_parts(b, 20), b"0123456789abcdefghij");
        }
    }

    #[test]
    fn large_blocks_take_several_pages_and_exhaustion_is_null() {
        let (_buffer, mut h) = heap(4);
        unsafe {
            let big = h.alloc(layout(3 * PAGE, 8));
            assert!(!big.is_null());
            big.write_bytes(7, 3 * PAGE);
            assert!(h.alloc(layout(4 * PAGE, 8)).is_null(), "beyond the host's pages");
        }
    }

    #[test]
    fn a_steady_workload_stops_growing() {
        let (_buffer, mut h) = heap(16);
        let sizes = [7usize, 24, 100, 33, 512, 64, 9, 2_000];
        unsafe {
            let mut round = || {
                let blocks: Vec<_> = sizes.iter().map(|&s| (h.alloc(layout(s, 8)), s)).collect();
                for (p, s) in blocks.into_iter().rev() {
                    h.dealloc(p, layout(s, 8));
                }
                h.next
            };
            let after_first = round();
            for _ in 0..1_000 {
                assert_eq!(round(), after_first);
            }
        }
    }
}
