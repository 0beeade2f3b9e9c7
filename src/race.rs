//! Racing two futures, without dependencies: the Rust driver of a
//! [`Flow`](crate::Flow) races each wait and send against the caller's signal.

use core::future::{poll_fn, Future};
use core::pin::Pin;
use core::task::Poll;

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

#[cfg(test)]
mod tests {
    use super::*;
    use core::pin::pin;

    #[test]
    fn race_returns_the_first_to_finish() {
        let left = pollster::block_on(race(pin!(async { 1 }), pin!(core::future::pending::<()>())));
        assert!(matches!(left, Either::Left(1)));
        let right = pollster::block_on(race(pin!(core::future::pending::<()>()), pin!(async { 2 })));
        assert!(matches!(right, Either::Right(2)));
    }
}
