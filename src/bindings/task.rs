//! The executor of the bindings: each call is one future behind one JS
//! promise, polled from a microtask, or at once from the callback of a
//! settled promise or a fired timer (one hop fewer per await). It replaces wasm-bindgen-futures'
//! `future_to_promise`, whose queue, task types and global-object probing
//! cost ~3.7 KB of wasm and five imports (issue 6); what a call needs is
//! small: poll when woken, settle the promise when done, free everything.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::future::Future;
use core::mem::ManuallyDrop;
use core::pin::Pin;
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(callback: &js_sys::Function);
}

type Call = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

struct Task {
    /// The call, until it completes.
    future: RefCell<Option<Call>>,
    /// The promise's `resolve` and `reject`, until it settles.
    settle: RefCell<Option<(js_sys::Function, js_sys::Function)>>,
    /// In the ready queue already.
    queued: Cell<bool>,
}

/// The tasks of this instance that were woken and wait for a poll. One
/// `run` closure for all of them, made once, instead of one per call: a
/// closure costs a wasm allocation and a `FinalizationRegistry` entry.
struct Executor {
    ready: RefCell<Vec<Rc<Task>>>,
    run: Cell<Option<&'static Closure<dyn FnMut()>>>,
    /// A `run` is queued or polling: a wake-up only joins the queue.
    busy: Cell<bool>,
}

/// A global of the instance, for statics without a `RefCell` around them.
pub(super) struct Global<T>(pub(super) T);

// SAFETY: wasm32-unknown-unknown without the atomics feature runs on one thread.
#[cfg(not(target_feature = "atomics"))]
unsafe impl<T> Sync for Global<T> {}

static EXECUTOR: Global<Executor> =
    Global(Executor { ready: RefCell::new(Vec::new()), run: Cell::new(None), busy: Cell::new(false) });

/// Runs `future` and returns a promise of its result. The first poll is in a
/// microtask, as with `future_to_promise`.
pub(crate) fn spawn(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> js_sys::Promise {
    let mut settle = None;
    let promise = js_sys::Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
    let task = Rc::new(Task {
        future: RefCell::new(Some(Box::pin(future))),
        settle: RefCell::new(settle),
        queued: Cell::new(false),
    });
    schedule(&task);
    promise
}

/// Queues a poll, once; the first wake-up of a turn queues `run` as a
/// microtask. A task whose call is over is polled for nothing (a late
/// wake-up, say a promise that settles after the call was decided).
fn schedule(task: &Rc<Task>) {
    if task.queued.replace(true) {
        return;
    }
    let executor = &EXECUTOR.0;
    executor.ready.borrow_mut().push(Rc::clone(task));
    if !executor.busy.replace(true) {
        let run = executor.run.get().unwrap_or_else(|| {
            // Made once and kept for the life of the instance.
            let run = Box::leak(Box::new(Closure::new(run_ready)));
            executor.run.set(Some(run));
            run
        });
        queue_microtask(run.as_ref().unchecked_ref());
    }
}

/// Polls the woken tasks, in order, until none is left.
fn run_ready() {
    let executor = &EXECUTOR.0;
    let mut next = 0;
    loop {
        let task = match executor.ready.borrow().get(next) {
            Some(task) => Rc::clone(task),
            None => break,
        };
        poll(&task);
        next += 1;
    }
    executor.ready.borrow_mut().clear();
    executor.busy.set(false);
}

/// Runs `wake` (a host callback of ours: a promise settled, a timer fired)
/// and polls the tasks it woke in the same turn, instead of a microtask
/// later. Inside a `run` (or with one queued) they just join its queue.
/// What `wake` owns is dropped before the tasks run.
pub(crate) fn from_host(wake: impl FnOnce()) {
    let busy = EXECUTOR.0.busy.replace(true);
    wake();
    if !busy {
        run_ready();
    }
}

fn poll(task: &Rc<Task>) {
    task.queued.set(false);
    let waker = waker(task);
    let result = match task.future.borrow_mut().as_mut() {
        Some(future) => match future.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(result) => result,
            Poll::Pending => return,
        },
        None => return,
    };
    // Done: drop the call first (its timers, listeners and handles), then settle.
    task.future.borrow_mut().take();
    if let Some((resolve, reject)) = task.settle.borrow_mut().take() {
        let _ = match result {
            Ok(value) => resolve.call1(&JsValue::UNDEFINED, &value),
            Err(error) => reject.call1(&JsValue::UNDEFINED, &error),
        };
    }
}

// A waker is an `Rc<Task>` behind a pointer.
static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

fn waker(task: &Rc<Task>) -> Waker {
    let raw = RawWaker::new(Rc::into_raw(Rc::clone(task)).cast(), &VTABLE);
    // SAFETY: the vtable's functions treat the pointer as the `Rc<Task>` it is.
    unsafe { Waker::from_raw(raw) }
}

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: `data` came from `Rc::into_raw` of an `Rc<Task>` that is still held.
    unsafe { Rc::increment_strong_count(data.cast::<Task>()) };
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: as above; this consumes the waker's reference.
    let task = unsafe { Rc::from_raw(data.cast::<Task>()) };
    schedule(&task);
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: as above; the reference stays with the waker.
    let task = ManuallyDrop::new(unsafe { Rc::from_raw(data.cast::<Task>()) });
    schedule(&task);
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: as above; this releases the waker's reference.
    drop(unsafe { Rc::from_raw(data.cast::<Task>()) });
}
