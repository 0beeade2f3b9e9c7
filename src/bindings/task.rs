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

#[wasm_bindgen(module = "/js/objects.js")]
extern "C" {
    /// `queueMicrotask(callback)` (a trap out of the callback poisons the
    /// instance: js/objects.js `enter`).
    #[wasm_bindgen(js_namespace = plain, js_name = soon)]
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
///
/// A poll can end without returning: a trap, or a JS exception thrown
/// through the wasm, unwinds it and runs no destructor, so nothing here may
/// count on reaching the end of a poll. A task is taken out of the queue
/// before its poll (an unwound one is not polled again), and the flags are
/// set again at every entry from the host, which is never inside a poll
/// (microtasks, promise reactions and timers start on an empty stack).
struct Executor {
    ready: RefCell<Vec<Option<Rc<Task>>>>,
    run: Cell<Option<&'static Closure<dyn FnMut()>>>,
    /// `run` is queued as a microtask.
    queued: Cell<bool>,
    /// Polling the queue: a wake-up only joins it.
    polling: Cell<bool>,
}

static EXECUTOR: super::Global<Executor> = super::Global(Executor {
    ready: RefCell::new(Vec::new()),
    run: Cell::new(None),
    queued: Cell::new(false),
    polling: Cell::new(false),
});

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
    // A new call queues a run even while polling: `polling` is left set by
    // a poll that unwound, and a run queued during a poll finds the queue
    // empty (only hooks start calls during a poll).
    enqueue(&task, true);
    promise
}

/// Queues a poll of a woken task, once.
fn schedule(task: &Rc<Task>) {
    enqueue(task, false);
}

/// Queues a poll, once; unless the queue is being polled, the first wake-up
/// of a turn queues `run` as a microtask. A task whose call is over is
/// polled for nothing (a late wake-up, say a promise that settles after the
/// call was decided).
fn enqueue(task: &Rc<Task>, new_call: bool) {
    if task.queued.replace(true) {
        return;
    }
    let executor = &EXECUTOR.0;
    executor.ready.borrow_mut().push(Some(Rc::clone(task)));
    if (new_call || !executor.polling.get()) && !executor.queued.replace(true) {
        let run = executor.run.get().unwrap_or_else(|| {
            // Made once and kept for the life of the instance.
            let run = Box::leak(Box::new(Closure::new(run_queued)));
            executor.run.set(Some(run));
            run
        });
        queue_microtask(run.as_ref().unchecked_ref());
    }
}

/// The queued microtask.
fn run_queued() {
    EXECUTOR.0.queued.set(false);
    run_ready();
}

/// Polls the woken tasks, in order, until none is left.
fn run_ready() {
    let executor = &EXECUTOR.0;
    executor.polling.set(true);
    let mut next = 0;
    loop {
        let task = match executor.ready.borrow_mut().get_mut(next) {
            Some(slot) => slot.take(),
            None => break,
        };
        if let Some(task) = task {
            poll(&task);
        }
        next += 1;
    }
    executor.ready.borrow_mut().clear();
    executor.polling.set(false);
}

/// Runs `wake` (a host callback of ours: a promise settled, a timer fired)
/// and polls the tasks it woke in the same turn, instead of a microtask
/// later (and any tasks a queued `run` would poll: it then finds none).
/// What `wake` owns is dropped before the tasks run.
pub(crate) fn from_host(wake: impl FnOnce()) {
    EXECUTOR.0.polling.set(true);
    wake();
    run_ready();
}

fn poll(task: &Rc<Task>) {
    task.queued.set(false);
    let waker = waker(task);
    // Still borrowed: an earlier poll of this task unwound. It is dead.
    let Ok(mut future) = task.future.try_borrow_mut() else { return };
    let result = match future.as_mut() {
        Some(future) => match future.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(result) => result,
            Poll::Pending => return,
        },
        None => return,
    };
    // Done: drop the call first (its timers, listeners and handles), then settle.
    *future = None;
    drop(future);
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
