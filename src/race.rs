//! Two small async tools without dependencies: racing two futures, and a
//! FIFO gate that lets one caller at a time through (single-flight).

use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::future::{poll_fn, Future};
use core::pin::Pin;
use core::task::{Poll, Waker};

/// Which of two raced futures finished first.
pub(crate) enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Polls both futures, `a` first, and returns the first output; the caller
/// drops the other (which, for a `fetch`, aborts it). The futures come
/// pinned (`race(pin!(a), pin!(b))`): a plain `poll_fn`, not an `async fn`,
/// so no state machine per pair of types (issue 6).
pub(crate) fn race<'a, A: Future, B: Future>(
    mut a: Pin<&'a mut A>,
    mut b: Pin<&'a mut B>,
) -> impl Future<Output = Either<A::Output, B::Output>> + 'a {
    poll_fn(move |cx| {
        if let Poll::Ready(x) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(x));
        }
        if let Poll::Ready(y) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(y));
        }
        Poll::Pending
    })
}

/// One holder at a time. Used for single-flight token requests: callers
/// that find the gate busy wait, then re-check the cache once inside.
#[derive(Default)]
pub(crate) struct Gate {
    busy: Cell<bool>,
    waiters: RefCell<Vec<Waker>>,
}

pub(crate) struct GateGuard<'a>(&'a Gate);

impl Gate {
    pub(crate) fn lock(&self) -> impl Future<Output = GateGuard<'_>> {
        poll_fn(move |cx| {
            if self.busy.get() {
                self.waiters.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            } else {
                self.busy.set(true);
                Poll::Ready(GateGuard(self))
            }
        })
    }
}

impl Drop for GateGuard<'_> {
    fn drop(&mut self) {
        self.0.busy.set(false);
        // Wake every waiter: the first to run takes the gate, the others wait again.
        let waiters = core::mem::take(&mut *self.0.waiters.borrow_mut());
        for w in waiters {
            w.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::rc::Rc;
    use core::pin::pin;

    #[test]
    fn race_returns_the_first_to_finish() {
        let left = pollster::block_on(race(pin!(async { 1 }), pin!(core::future::pending::<()>())));
        assert!(matches!(left, Either::Left(1)));
        let right = pollster::block_on(race(pin!(core::future::pending::<()>()), pin!(async { 2 })));
        assert!(matches!(right, Either::Right(2)));
    }

    #[test]
    fn the_gate_admits_one_holder_at_a_time() {
        let gate = Rc::new(Gate::default());
        let guard = pollster::block_on(gate.lock());
        let waker = Waker::noop();
        let mut cx = core::task::Context::from_waker(waker);
        let mut second = Box::pin(gate.lock());
        assert!(second.as_mut().poll(&mut cx).is_pending());
        drop(guard);
        assert!(second.as_mut().poll(&mut cx).is_ready());
    }
}
