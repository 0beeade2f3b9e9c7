//! The executor of the bindings: each call is one future behind one JS
//! promise, polled from microtasks. It replaces wasm-bindgen-futures'
//! `future_to_promise`, whose queue, task types and global-object probing
//! cost ~3.7 KB of wasm and five imports (issue 6); what a call needs is
//! small: poll when woken, settle the promise when done, free everything.

use alloc::boxed::Box;
use alloc::rc::Rc;
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
    /// Polls this task; queued as a microtask when woken. It holds the task
    /// (a cycle), dropped when the call completes, which frees both.
    run: RefCell<Option<Closure<dyn FnMut()>>>,
    /// A poll is already queued.
    queued: Cell<bool>,
}

/// Runs `future` and returns a promise of its result. The first poll is in a
/// microtask, as with `future_to_promise`.
pub(crate) fn spawn(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> js_sys::Promise {
    let mut settle = None;
    let promise = js_sys::Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
    let task = Rc::new(Task {
        future: RefCell::new(Some(Box::pin(future))),
        settle: RefCell::new(settle),
        run: RefCell::new(None),
        queued: Cell::new(false),
    });
    let this = Rc::clone(&task);
    *task.run.borrow_mut() = Some(Closure::new(move || poll(&this)));
    schedule(&task);
    promise
}

/// Queues a poll, once, unless the call is over (then a late wake-up, say a
/// promise that settles after the call was decided, does nothing).
fn schedule(task: &Task) {
    if task.queued.replace(true) {
        return;
    }
    if let Some(run) = &*task.run.borrow() {
        queue_microtask(run.as_ref().unchecked_ref());
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
        None => {
            // A poll queued before the call completed: now nothing can
            // invoke `run` any more, so it can go.
            drop(task.run.borrow_mut().take());
            return;
        }
    };
    // Done. From here on, wake-ups queue nothing. A poll queued during this
    // one still holds `run`, which that poll will drop instead.
    let queued = task.queued.replace(true);
    // Drop the call first (its timers, listeners and handles), then settle.
    task.future.borrow_mut().take();
    if let Some((resolve, reject)) = task.settle.borrow_mut().take() {
        let _ = match result {
            Ok(value) => resolve.call1(&JsValue::UNDEFINED, &value),
            Err(error) => reject.call1(&JsValue::UNDEFINED, &error),
        };
    }
    if !queued {
        // wasm-bindgen frees a closure dropped during its own invocation
        // when that invocation returns.
        drop(task.run.borrow_mut().take());
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
