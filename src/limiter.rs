//! Client-side rate limiting: a sliding-window log that never lets more than
//! `limit` sends into any window of `window_ms`, with slots handed out in
//! call order (FIFO).
//!
//! A token bucket of size N refilled at N/s admits up to 2N-1 requests in one
//! sliding second (a full bucket, then the refill); the API's published limit
//! is per second, so a log of send times is the exact model.
//!
//! The server counts arrivals, not sends. A request arrives between its send
//! and its response, so a send a window after the response of the send
//! `limit` back cannot arrive in the same window. Each send's window thus ends
//! a window after its answer ([`SlidingWindow::completed`]; at most
//! [`MAX_RTT_MS`] after the send); for a send still in flight, a window after
//! the send plus the largest recent round trip.

use crate::prelude::*;

use alloc::rc::Rc;
use core::cell::RefCell;

/// The API's published limit: 5 requests per second per API key.
pub const DEFAULT_LIMIT: u32 = 5;
/// The window of the published limit.
pub const WINDOW_MS: u64 = 1_000;
/// Extra spacing added to the window for clocks that count whole milliseconds
/// (ours and the server's). Network delay between our send and the server's
/// receive is covered by the round-trip term of the spacing, not by this.
pub const DEFAULT_MARGIN_MS: u64 = 5;
/// The largest round trip that widens the spacing (a hung request must not
/// slow every later one for long).
pub const MAX_RTT_MS: u64 = 1_000;

/// The longest a flow waits for its slot before it asks again (the local
/// limiter's [`RateLimiter::recheck_ms`]): a slot given back by a caller that
/// gave up moves the reservations after it up, and their flows learn it then.
pub const RECHECK_MS: u64 = 250;
/// How long a reservation that came due waits for one made before it that
/// has not gone yet (its timer fired later): sends leave in call order unless
/// a caller is this late (it stalled, or is gone).
pub const ORDER_GRACE_MS: u64 = 100;
/// A reservation not confirmed this long after its time is dropped: its
/// caller is gone (a flow waiting for its slot confirms every
/// [`RECHECK_MS`]). If it comes back, it is queued again.
pub const STALE_MS: u64 = 30_000;

/// The `answer` of a [`SlidingWindow`] log entry for a reservation still
/// waiting for its time.
const NOT_SENT: u64 = u64::MAX;
/// ... for a request that went and has no answer yet. Any other value is the
/// time its answer (or its end) came: it reached the server by then.
const IN_FLIGHT: u64 = u64::MAX - 1;

/// One reservation of a [`SlidingWindow`]'s log.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Its send time (reserved, or real once sent), on the log's clock.
    at: u64,
    /// [`NOT_SENT`], [`IN_FLIGHT`] or the time of its answer.
    answer: u64,
    /// What its caller holds to confirm or release it.
    ticket: u64,
}

/// The send times reserved for one key, oldest first.
#[derive(Debug, Clone)]
pub struct SlidingWindow {
    limit: u32,
    window_ms: u64,
    // Lists, not ring buffers: they hold a few entries, and Vec's code is
    // already in the wasm (a VecDeque would add ~1 KB).
    /// The reservations and sends, in the order they were reserved, on the
    /// log's own clock ([`SlidingWindow::clock`]).
    log: Vec<Entry>,
    rtts: Vec<u64>,
    /// The latest time seen, on the log's clock.
    seen: u64,
    /// How far the log's clock is ahead of the caller's: the sum of the
    /// caller's steps back so far.
    shift: u64,
    /// The last ticket handed out.
    tickets: u64,
    /// The limits of the clients that share this window
    /// ([`LocalLimiter::join`]): it keeps the smallest.
    members: Vec<u64>,
}

impl SlidingWindow {
    /// At most `limit` sends in any half-open window `[t, t + window_ms)`.
    /// A `limit` of 0 disables limiting.
    pub fn new(limit: u32, window_ms: u64) -> Self {
        Self { limit, window_ms, log: Vec::new(), rtts: Vec::new(), seen: 0, shift: 0, tickets: 0, members: Vec::new() }
    }

    /// `now_ms` of the caller's clock (the wall clock) on the log's, which
    /// never goes back: when the caller's steps back (an NTP correction, a
    /// fake clock undone), the step is added to the shift, so the sends the
    /// log holds stay as recent as they were instead of moving into the
    /// future, where they would hold every later send back by the step.
    fn clock(&mut self, now_ms: u64) -> u64 {
        let now = now_ms.saturating_add(self.shift);
        if now < self.seen {
            self.shift += self.seen - now;
            return self.seen;
        }
        self.seen = now;
        now
    }

    /// The log's index of the reservation of `ticket`.
    fn find(&self, ticket: u64) -> Option<usize> {
        self.log.iter().position(|e| e.ticket == ticket && e.answer == NOT_SENT)
    }

    /// When the slot of `ticket` is due, on the caller's clock (`None` once
    /// it went, was given back or dropped). Changes nothing.
    pub fn due(&self, ticket: u64) -> Option<u64> {
        self.find(ticket).and_then(|j| self.log.get(j)).map(|e| e.at.saturating_sub(self.shift))
    }

    /// The spacing assumed for a send whose answer has not come yet: the
    /// window plus the largest recent round trip.
    fn spacing(&self) -> u64 {
        self.window_ms.saturating_add(self.rtts.iter().copied().max().unwrap_or(0))
    }

    /// The earliest time at which one more send keeps fewer than `limit` of
    /// the sends in the log (only those that went, if `sent_only`) in its
    /// window: the `limit`-th latest of their [`frees`] (0 when there are
    /// fewer), where the window of a send not answered yet is taken to end
    /// `spacing` after the send. One pass that keeps the `limit` latest ends in
    /// order: O(log length × limit), without sorting (`sort` would link ~6 KB).
    /// Of the first `upto` entries of the log only.
    fn earliest(&self, upto: usize, sent_only: bool, spacing: u64) -> u64 {
        let limit = self.limit as usize;
        // The latest ends seen so far, at most `limit`, ascending.
        let mut latest: Vec<u64> = Vec::new();
        for e in self.log.iter().take(upto).filter(|e| !sent_only || e.answer != NOT_SENT) {
            let end = frees(e, self.window_ms, spacing);
            if latest.len() == limit {
                if latest.first().is_none_or(|&first| end <= first) {
                    continue;
                }
                latest.remove(0);
            }
            latest.insert(latest.partition_point(|&x| x < end), end);
        }
        if latest.len() < limit {
            0
        } else {
            latest.first().copied().unwrap_or(0)
        }
    }

    /// Records that a request sent at `sent_ms` got its response (or gave up)
    /// at `done_ms`.
    pub fn completed(&mut self, sent_ms: u64, done_ms: u64) {
        // On the log's clock; only `reserve` and `confirm` move it (an answer's
        // time is not the caller's now in every test of this file).
        let (sent_ms, done_ms) = (sent_ms.saturating_add(self.shift), done_ms.saturating_add(self.shift));
        // The round trip widens the spacing assumed for requests still in
        // flight. Twice `limit` are kept: a longer memory only slows every
        // send after one slow answer.
        if self.rtts.len() >= 2 * (self.limit as usize).max(1) {
            self.rtts.remove(0);
        }
        self.rtts.push(done_ms.saturating_sub(sent_ms).min(MAX_RTT_MS));
        // Its own window now ends a window after its answer. The send is the
        // latest one in flight at or before `sent_ms`: a driver may note its
        // send time a little after the slot was confirmed (a hook ran), but
        // nothing else is sent in between.
        let own = self.log.iter().rposition(|e| e.answer == IN_FLIGHT && e.at <= sent_ms);
        if let Some(entry) = own.and_then(|i| self.log.get_mut(i)) {
            entry.answer = done_ms.min(IN_FLIGHT - 1);
        }
    }

    /// Reserves the earliest send time at or after `now_ms` (and not before any
    /// earlier reservation) that keeps every window within the limit, and
    /// returns its ticket, for [`SlidingWindow::confirm`] and
    /// [`SlidingWindow::release`] (its time: [`SlidingWindow::due`]).
    pub fn reserve(&mut self, now_ms: u64) -> u64 {
        self.tickets += 1;
        if self.limit == 0 {
            return self.tickets;
        }
        let now_ms = self.clock(now_ms);
        let (window_ms, spacing) = (self.window_ms, self.spacing());
        // Sends that can no longer share a window with a future one, and
        // reservations whose callers are gone.
        self.log.retain(|e| match e.answer {
            NOT_SENT => e.at.saturating_add(STALE_MS) > now_ms,
            _ => frees(e, window_ms, spacing) > now_ms,
        });
        let at = self.next_at(now_ms, usize::MAX);
        self.log.push(Entry { at, answer: NOT_SENT, ticket: self.tickets });
        self.tickets
    }

    /// The time for a reservation at `now_ms` after the first `upto` entries of the log.
    fn next_at(&self, now_ms: u64, upto: usize) -> u64 {
        // Sends not answered yet are assumed to arrive at once: most are
        // answered by the time this slot comes due, and `confirm` then holds
        // it back to a window after their answers (or, for those still in
        // flight, after the largest recent round trip). Assuming that round
        // trip here instead would space every queued send by the slowest
        // recent answer rather than by the answers of the sends before it.
        let last = self.log.get(..upto.min(self.log.len())).and_then(<[Entry]>::last).map_or(0, |e| e.at);
        now_ms.max(last).max(self.earliest(upto, false, self.window_ms))
    }

    /// Called when the slot of `ticket` comes due (or its caller asks
    /// again), before sending, at `now_ms`. Returns `now_ms` if the request
    /// may go now, and records that real send time (a timer that fired late
    /// must not squeeze the sends after it). Otherwise returns a later time,
    /// to wait for and confirm again: not before a reservation made before it
    /// that has not gone yet (call order; one more than [`ORDER_GRACE_MS`]
    /// overdue is passed), and not while `limit` real sends may still share a
    /// window with it (answers and round trips seen since the reservation
    /// may have moved that).
    pub fn confirm(&mut self, ticket: u64, now_ms: u64) -> u64 {
        if self.limit == 0 {
            return now_ms;
        }
        let (caller_now, now_ms) = (now_ms, self.clock(now_ms));
        // A ticket not found (dropped as stale: its caller stalled) is queued
        // again at the end, so that no send goes unrecorded.
        let j = self.find(ticket).unwrap_or_else(|| {
            let at = self.next_at(now_ms, usize::MAX);
            self.log.push(Entry { at, answer: NOT_SENT, ticket });
            self.log.len() - 1
        });
        let mut due = 0;
        for (k, e) in self.log.iter().enumerate().take(j + 1) {
            if k == j {
                due = due.max(e.at);
            } else if e.answer == NOT_SENT && e.at.saturating_add(ORDER_GRACE_MS) > now_ms {
                due = due.max(e.at.max(now_ms + 1));
            }
        }
        if due <= now_ms {
            due = self.earliest(usize::MAX, true, self.spacing());
        }
        let Some(entry) = self.log.get_mut(j) else { return caller_now };
        if due <= now_ms {
            *entry = Entry { at: now_ms, answer: IN_FLIGHT, ticket };
            return caller_now;
        }
        entry.at = due;
        caller_now.saturating_add(due - now_ms)
    }

    /// Gives back the reservation of `ticket`, which will not be used (its
    /// caller gave up while waiting). The reservations after it move up, each
    /// to the earliest time the ones before it allow (never later than it
    /// was): their callers learn it when they confirm next. Removing a send
    /// never breaks the limit for the others.
    pub fn release(&mut self, ticket: u64) {
        let Some(i) = self.find(ticket) else { return };
        self.log.remove(i);
        for k in i..self.log.len() {
            let at = self.next_at(self.seen, k);
            if let Some(e) = self.log.get_mut(k).filter(|e| e.answer == NOT_SENT) {
                e.at = e.at.min(at);
            }
        }
    }
}

/// When the window of the send at `t` ends: `window_ms` after the latest
/// time it can have reached the server. That is its answer's time once known
/// (at most [`MAX_RTT_MS`] after the send), else the send plus the largest
/// recent round trip (`spacing`: the window plus that round trip).
fn frees(&Entry { at: t, answer, .. }: &Entry, window_ms: u64, spacing: u64) -> u64 {
    if answer >= IN_FLIGHT {
        t.saturating_add(spacing)
    } else {
        answer.max(t).min(t.saturating_add(MAX_RTT_MS)).saturating_add(window_ms)
    }
}

/// Hands out send slots per API key. The in-isolate [`LocalLimiter`] is the
/// default; a shared store (a Durable Object, say) can implement this too.
#[allow(async_fn_in_trait)]
pub trait RateLimiter {
    /// Reserves a send slot for `key` at once: a number the flow holds for it
    /// (a time, ms since the epoch, at which the request may be sent, unless
    /// [`RateLimiter::confirm`] reads it otherwise: the local limiter's is a
    /// ticket); `None` when the store answers
    /// asynchronously, through [`RateLimiter::reserve`] (the driver of a
    /// [`Flow`](crate::Flow) then asks it: [`Action::Reserve`](crate::Action::Reserve)).
    fn reserve_now(&self, key: &str, now_ms: u64) -> Option<u64>;

    /// Reserves a send slot for `key` asynchronously (a shared store); by
    /// default [`RateLimiter::reserve_now`].
    ///
    /// # Errors
    /// A description of why no slot could be had (a shared store failing).
    async fn reserve(&self, key: &str, now_ms: u64) -> Result<u64, String> {
        self.reserve_now(key, now_ms).ok_or_else(|| "this limiter reserves only asynchronously".to_owned())
    }

    /// Returns a reservation that will not be used.
    fn release(&self, key: &str, at_ms: u64);

    /// When the slot `at_ms` (what a reserve answered) may go, asked when it
    /// is due and every [`RateLimiter::recheck_ms`] before, at `now_ms`: now
    /// (it goes), or a later time to wait for (see
    /// [`SlidingWindow::confirm`]). A store without round-trip spacing
    /// answers the slot, read as a time.
    fn confirm(&self, key: &str, at_ms: u64, now_ms: u64) -> u64 {
        let _ = (key, now_ms);
        at_ms
    }

    /// The longest a flow waits for its slot before it confirms again (a
    /// slot may come earlier when one before it is given back): never, by default.
    fn recheck_ms(&self) -> u64 {
        u64::MAX
    }

    /// Reports that the request sent at `sent_ms` for `key` ended at
    /// `done_ms` (a response, an error or an abort). Optional for a store.
    fn completed(&self, key: &str, sent_ms: u64, done_ms: u64) {
        let _ = (key, sent_ms, done_ms);
    }
}

/// Sliding windows per key, shared by every client that holds a clone.
#[derive(Debug, Clone)]
pub struct LocalLimiter {
    limit: u32,
    window_ms: u64,
    /// One window per key; an isolate sees one or a few keys, so a list beats a map (and its code size).
    windows: Rc<RefCell<Vec<(String, SlidingWindow)>>>,
}

impl LocalLimiter {
    /// `limit` sends per `window_ms` per key.
    pub fn new(limit: u32, window_ms: u64) -> Self {
        Self { limit, window_ms, windows: Rc::default() }
    }
}

impl LocalLimiter {
    /// A client with `limit` sends per window for `key` shares this
    /// limiter: the window of `key` keeps the smallest limit of the clients
    /// that joined it and have not left, so clients of one key configured
    /// with different rates keep the stricter one together. `limit` 0 (no
    /// limit) changes nothing.
    pub fn join(&self, key: &str, limit: u32) {
        if limit == 0 {
            return;
        }
        let mut windows = self.windows.borrow_mut();
        let i = self.index(&mut windows, key);
        if let Some((_, window)) = windows.get_mut(i) {
            window.members.push(u64::from(limit));
            window.limit = window.members.iter().copied().min().unwrap_or(0) as u32;
        }
    }

    /// The index of the window of `key` in `windows`, made if there is none.
    fn index(&self, windows: &mut Vec<(String, SlidingWindow)>, key: &str) -> usize {
        windows.iter().position(|(k, _)| k == key).unwrap_or_else(|| {
            windows.push((key.to_owned(), SlidingWindow::new(self.limit, self.window_ms)));
            windows.len() - 1
        })
    }

    /// A client that joined `key` with `limit` is gone: the window keeps the
    /// smallest limit of those left (or its limit, when none is).
    pub fn leave(&self, key: &str, limit: u32) {
        if let Some((_, window)) = self.windows.borrow_mut().iter_mut().find(|(k, _)| k == key) {
            if let Some(i) = window.members.iter().position(|&m| m == u64::from(limit)) {
                window.members.remove(i);
            }
            window.limit = window.members.iter().copied().min().map_or(window.limit, |m| m as u32);
        }
    }
}

impl Default for LocalLimiter {
    fn default() -> Self {
        Self::new(DEFAULT_LIMIT, WINDOW_MS + DEFAULT_MARGIN_MS)
    }
}

impl RateLimiter for LocalLimiter {
    /// Never waits or fails here.
    fn reserve_now(&self, key: &str, now_ms: u64) -> Option<u64> {
        let mut windows = self.windows.borrow_mut();
        let i = self.index(&mut windows, key);
        windows.get_mut(i).map(|(_, window)| window.reserve(now_ms))
    }

    fn release(&self, key: &str, at_ms: u64) {
        if let Some((_, window)) = self.windows.borrow_mut().iter_mut().find(|(k, _)| k == key) {
            window.release(at_ms);
        }
    }

    fn confirm(&self, key: &str, at_ms: u64, now_ms: u64) -> u64 {
        match self.windows.borrow_mut().iter_mut().find(|(k, _)| k == key) {
            Some((_, window)) => window.confirm(at_ms, now_ms),
            None => now_ms,
        }
    }

    fn completed(&self, key: &str, sent_ms: u64, done_ms: u64) {
        if let Some((_, window)) = self.windows.borrow_mut().iter_mut().find(|(k, _)| k == key) {
            window.completed(sent_ms, done_ms);
        }
    }

    fn recheck_ms(&self) -> u64 {
        RECHECK_MS
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The most sends in any half-open window of `window` ms.
    fn max_in_window(sends: &[u64], window: u64) -> usize {
        let mut sorted = sends.to_vec();
        sorted.sort_unstable();
        (0..sorted.len())
            .map(|i| sorted[i..].iter().take_while(|&&t| t < sorted[i] + window).count())
            .max()
            .unwrap_or(0)
    }

    /// Reserves at `now`: the ticket and the time it is due.
    fn res(w: &mut SlidingWindow, now: u64) -> (u64, u64) {
        let ticket = w.reserve(now);
        (ticket, w.due(ticket).unwrap_or(now))
    }

    #[test]
    fn a_burst_is_spread_over_windows_in_call_order() {
        let mut w = SlidingWindow::new(5, 1_000);
        let slots: Vec<u64> = (0..12).map(|_| res(&mut w, 10_000).1).collect();
        assert_eq!(
            slots,
            [10_000, 10_000, 10_000, 10_000, 10_000, 11_000, 11_000, 11_000, 11_000, 11_000, 12_000, 12_000]
        );
        assert_eq!(max_in_window(&slots, 1_000), 5);
    }

    #[test]
    fn a_token_bucket_would_admit_nine_but_the_log_admits_five() {
        // Five sends at t=999 after five at t=0..4: a refilled bucket would admit them.
        let mut w = SlidingWindow::new(5, 1_000);
        let mut sends: Vec<u64> = (0..5).map(|i| res(&mut w, i).1).collect();
        sends.extend((0..4).map(|_| res(&mut w, 999).1));
        assert_eq!(&sends[5..], [1_000, 1_001, 1_002, 1_003]);
        assert_eq!(max_in_window(&sends, 1_000), 5);
    }

    #[test]
    fn a_clock_stepped_back_holds_no_send_back_by_the_step() {
        const HOUR: u64 = 3_600_000;
        let mut w = SlidingWindow::new(5, 1_000);
        // Five sends at 10 000 on a clock an hour ahead (a fake clock, or one NTP will correct),
        // answered 50 ms later, and a slot handed out after them.
        for _ in 0..5 {
            let (t, _) = res(&mut w, HOUR + 10_000);
            assert_eq!(w.confirm(t, HOUR + 10_000), HOUR + 10_000);
            w.completed(HOUR + 10_000, HOUR + 10_050);
        }
        let (queued, at) = res(&mut w, HOUR + 10_100);
        assert_eq!(at, HOUR + 11_050, "a window after the five answers");
        // The clock goes back an hour, 100 ms later. The five sends stay 100 ms old, not an hour
        // ahead: the next slot is the queued one's, 950 ms on, not an hour and 950 ms on.
        let (next, at) = res(&mut w, 10_200);
        assert_eq!(at, 11_150);
        // The slot handed out before the step goes when its time comes.
        assert_eq!(w.confirm(queued, 11_100), 11_150, "not due yet: 50 ms more");
        assert_eq!(w.confirm(queued, 11_150), 11_150);
        assert_eq!(w.confirm(next, 11_150), 11_150);
        // Still five at most in any window of the log's clock: one more waits for the window.
        let more: Vec<(u64, u64)> = (0..4).map(|_| res(&mut w, 11_160)).collect();
        assert_eq!(more.iter().map(|m| m.1).collect::<Vec<_>>(), [11_160, 11_160, 11_160, 12_150]);
        w.release(more[3].0);
        assert_eq!(res(&mut w, 11_170).1, 12_150);
    }

    #[test]
    fn clients_of_one_key_share_its_window_at_the_smaller_rate() {
        let shared = LocalLimiter::new(5, 1_000);
        shared.join("merchant", 5);
        shared.join("merchant", 2);
        shared.join("merchant", 9);
        shared.join("merchant", 0);
        let due = |key: &str| {
            let ticket = shared.reserve_now(key, 10_000).unwrap_or(0);
            shared.windows.borrow().iter().find(|(k, _)| k == key).and_then(|(_, w)| w.due(ticket)).unwrap_or(0)
        };
        let slots: Vec<u64> = (0..6).map(|_| due("merchant")).collect();
        assert_eq!(slots, [10_000, 10_000, 11_000, 11_000, 12_000, 12_000], "2 a window, the smaller rate");
        shared.join("other", 3);
        let other: Vec<u64> = (0..4).map(|_| due("other")).collect();
        assert_eq!(other, [10_000, 10_000, 10_000, 11_000], "another key keeps its own window");
        // The strict client goes: the smallest limit of those left holds.
        shared.leave("merchant", 2);
        let limit = |key: &str| shared.windows.borrow().iter().find(|(k, _)| k == key).map(|(_, w)| w.limit);
        assert_eq!(limit("merchant"), Some(5));
        shared.leave("merchant", 5);
        shared.leave("merchant", 9);
        assert_eq!(limit("merchant"), Some(9), "the last one's, once none is left");
    }

    #[test]
    fn releasing_a_queued_slot_frees_it_for_the_next_caller() {
        let mut w = SlidingWindow::new(1, 1_000);
        assert_eq!(res(&mut w, 0).1, 0);
        let (queued, at) = res(&mut w, 0);
        assert_eq!(at, 1_000);
        w.release(queued);
        assert_eq!(res(&mut w, 10).1, 1_000);
    }

    #[test]
    fn a_slot_given_back_moves_the_ones_after_it_up() {
        let mut w = SlidingWindow::new(1, 1_000);
        let (a, _) = res(&mut w, 0);
        assert_eq!(w.confirm(a, 0), 0);
        w.completed(0, 0);
        let (b, c, d) = (res(&mut w, 0), res(&mut w, 0), res(&mut w, 0));
        assert_eq!((b.1, c.1, d.1), (1_000, 2_000, 3_000));
        // `b`'s caller gives up at 500: `c` takes its place, and `d` `c`'s.
        w.clock(500);
        w.release(b.0);
        assert_eq!((w.due(b.0), w.due(c.0), w.due(d.0)), (None, Some(1_000), Some(2_000)));
        assert_eq!(w.confirm(c.0, 1_000), 1_000, "c goes at b's time");
        w.completed(1_000, 1_000);
        assert_eq!(w.confirm(d.0, 1_500), 2_000);
        assert_eq!(w.confirm(d.0, 2_000), 2_000);
    }

    #[test]
    fn sends_leave_in_call_order_when_timers_fire_out_of_order() {
        let mut w = SlidingWindow::new(5, 1_000);
        let (a, b) = (res(&mut w, 0), res(&mut w, 0));
        assert_eq!((a.1, b.1), (0, 0));
        // `b`'s timer fires first: it waits for `a`, which is due and has not gone.
        assert_eq!(w.confirm(b.0, 3), 4, "b yields");
        assert_eq!(w.confirm(a.0, 3), 3, "a goes");
        assert_eq!(w.confirm(b.0, 4), 4, "then b");
        // A caller more than ORDER_GRACE_MS late is passed.
        let (c, d) = (res(&mut w, 10), res(&mut w, 10));
        assert_eq!(w.confirm(d.0, 10 + ORDER_GRACE_MS), 10 + ORDER_GRACE_MS, "c is too late: d goes");
        assert_eq!(w.confirm(c.0, 10 + ORDER_GRACE_MS), 10 + ORDER_GRACE_MS, "and c when it comes");
    }

    #[test]
    fn a_reservation_whose_caller_is_gone_is_dropped_and_a_late_caller_queued_again() {
        let mut w = SlidingWindow::new(1, 1_000);
        let (a, _) = res(&mut w, 0);
        let (gone, at) = res(&mut w, 0);
        assert_eq!(at, 1_000);
        assert_eq!(w.confirm(a, 0), 0);
        w.completed(0, 10);
        // Nobody confirms `gone`: STALE_MS after its time it no longer holds a place.
        let (next, at) = res(&mut w, 1_000 + STALE_MS);
        assert_eq!((w.due(gone), at), (None, 1_000 + STALE_MS));
        assert_eq!(w.confirm(next, 1_000 + STALE_MS), 1_000 + STALE_MS);
        w.completed(1_000 + STALE_MS, 1_000 + STALE_MS);
        // If its caller does come back, it queues again behind what went since.
        assert_eq!(w.confirm(gone, 1_001 + STALE_MS), 2_000 + STALE_MS);
    }

    #[test]
    fn slow_round_trips_widen_the_spacing_so_arrivals_stay_apart() {
        let mut w = SlidingWindow::new(1, 1_000);
        let (first, _) = res(&mut w, 0);
        assert_eq!(w.confirm(first, 0), 0);
        // The response took 80 ms: the request arrived somewhere in [0, 80].
        w.completed(0, 80);
        let (second, at) = res(&mut w, 100);
        assert_eq!(at, 1_080, "1 s after the latest possible arrival");
        assert_eq!(w.confirm(second, 1_080), 1_080);
        // Hung requests widen it by at most MAX_RTT_MS.
        w.completed(1_080, 60_000);
        assert_eq!(res(&mut w, 1_100).1, 1_080 + 1_000 + MAX_RTT_MS);
    }

    #[test]
    fn slots_reserved_early_are_pushed_back_by_round_trips_seen_since() {
        let mut w = SlidingWindow::new(1, 1_000);
        let (a, b, c) = (res(&mut w, 0), res(&mut w, 0), res(&mut w, 0));
        assert_eq!((a.1, b.1, c.1), (0, 1_000, 2_000));
        assert_eq!(w.confirm(a.0, 0), 0, "a goes at once");
        // `a` took 300 ms: `b` may not go at 1 000 any more.
        w.completed(0, 300);
        assert_eq!(w.confirm(b.0, 1_000), 1_300);
        assert_eq!(w.confirm(c.0, 1_000), 2_000, "c is not due yet");
        assert_eq!(w.confirm(b.0, 1_300), 1_300, "b goes");
        assert_eq!(w.confirm(c.0, 2_000), 2_600, "and c follows b by the wider spacing");
        assert_eq!(w.confirm(c.0, 2_600), 2_600);
    }

    #[test]
    fn an_answered_send_frees_its_window_a_window_after_its_answer() {
        let mut w = SlidingWindow::new(1, 1_000);
        // One slow answer among the recent ones: 400 ms.
        let (a, _) = res(&mut w, 0);
        assert_eq!(w.confirm(a, 0), 0);
        w.completed(0, 400);
        // `b` goes at 1 400 and is answered in 10 ms, so it reached the
        // server by 1 410: `c` may go at 2 410, not at 1 400 + 1 000 + 400.
        let (b, at) = res(&mut w, 1_000);
        assert_eq!(at, 1_400);
        assert_eq!(w.confirm(b, 1_400), 1_400);
        // Reserved a window after `b`'s send (`b` is not answered yet) ...
        let (c, at) = res(&mut w, 1_405);
        assert_eq!(at, 2_400);
        // ... and held back to a window after its answer when it comes due.
        w.completed(1_400, 1_410);
        assert_eq!(w.confirm(c, 2_400), 2_410, "once answered, its answer bounds its arrival");
        assert_eq!(w.confirm(c, 2_410), 2_410);
        // A send still in flight when the next slot comes due holds it back
        // by the largest recent round trip.
        let (d, at) = res(&mut w, 2_420);
        assert_eq!(at, 3_410);
        assert_eq!(w.confirm(d, 3_410), 2_410 + 1_000 + 400);
        assert_eq!(w.confirm(d, 3_810), 3_810);
        // An answer that came after MAX_RTT_MS counts as MAX_RTT_MS after the send.
        w.completed(3_810, 3_810 + 5 * MAX_RTT_MS);
        assert_eq!(res(&mut w, 3_900).1, 3_810 + MAX_RTT_MS + 1_000);
    }

    #[test]
    fn a_late_send_pushes_the_next_one_back() {
        let mut w = SlidingWindow::new(1, 1_000);
        let (a, b) = (res(&mut w, 0), res(&mut w, 0));
        assert_eq!((a.1, b.1), (0, 1_000));
        // `a`'s timer fired 300 ms late: it really went at 300.
        assert_eq!(w.confirm(a.0, 300), 300);
        assert_eq!(w.confirm(b.0, 1_000), 1_300, "1 s after the real send, not the slot");
        assert_eq!(w.confirm(b.0, 1_310), 1_310);
    }

    #[test]
    fn one_slow_answer_widens_the_spacing_only_for_the_next_two_times_limit_answers() {
        let mut w = SlidingWindow::new(2, 1_000);
        w.completed(0, 300);
        for i in 0..3 {
            w.completed(1_000 * i, 1_000 * i + 10);
        }
        assert_eq!(w.spacing(), 1_300, "the slow answer is among the last four");
        w.completed(5_000, 5_010);
        assert_eq!(w.spacing(), 1_010, "four fast answers later it no longer counts");
    }

    #[test]
    fn zero_disables_limiting() {
        let mut w = SlidingWindow::new(0, 1_000);
        assert!((0..100).all(|_| {
            let t = w.reserve(7);
            w.confirm(t, 7) == 7
        }));
    }

    #[test]
    fn keys_are_limited_separately_and_clones_share_state() {
        let a = LocalLimiter::new(1, 1_000);
        let b = a.clone();
        let slot = |l: &LocalLimiter, k: &str| {
            let ticket = pollster::block_on(l.reserve(k, 0)).unwrap();
            l.confirm(k, ticket, 0)
        };
        assert_eq!(slot(&a, "one"), 0);
        assert_eq!(slot(&b, "one"), 1_000, "a clone shares the window");
        assert_eq!(slot(&a, "two"), 0, "another key has its own window");
        assert_eq!(slot(&LocalLimiter::new(1, 1_000), "one"), 0, "a new limiter starts empty");
    }

    #[derive(Debug, Clone)]
    enum Step {
        /// Advance the fake clock, then reserve a slot.
        Reserve(u64),
        /// Release the n-th reservation made so far (a caller aborted).
        Abort(usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![4 => (0u64..700).prop_map(Step::Reserve), 1 => any::<usize>().prop_map(Step::Abort)]
    }

    /// Reserves a slot after each of `gaps` (ms); each slot's timer fires
    /// the next of `late` ms late and confirms it. A request that goes takes
    /// the next of `trips`: `None` is never answered, `Some((rtt, percent))`
    /// reaches the server `percent`% into a round trip of `rtt` ms, whose
    /// answer is reported before a timer due at the same time fires. The
    /// limiter is given the caller's clock, which from real time `step.0` on
    /// is `step.1` ms behind (a step back); timers wait real time, as long as
    /// the slot was ahead of that clock. Returns the arrival times and the
    /// longest wait of a request from its reservation to its send, both in
    /// real time.
    fn arrivals(
        w: &mut SlidingWindow,
        gaps: &[u64],
        trips: &mut dyn Iterator<Item = Option<(u64, u64)>>,
        late: &mut dyn Iterator<Item = u64>,
        step: (u64, u64),
    ) -> (Vec<u64>, u64) {
        // The caller's clock starts late enough (like ms since the epoch) for any step here.
        let wall = |t: u64| 5_000_000 + t - if t >= step.0 { step.1 } else { 0 };
        // Pending events in real-time order: (time, 0 an answer / 1 a timer,
        // the send time on the caller's clock / the ticket, when it was reserved).
        let mut events: Vec<(u64, u8, u64, u64)> = Vec::new();
        let add = |events: &mut Vec<(u64, u8, u64, u64)>, e: (u64, u8, u64, u64)| {
            let at = events.partition_point(|x| (x.0, x.1) <= (e.0, e.1));
            events.insert(at, e);
        };
        let (mut arrivals, mut clock, mut longest) = (Vec::new(), 0, 0);
        let mut now = 0;
        let times: Vec<u64> = gaps
            .iter()
            .map(|gap| {
                now += gap;
                now
            })
            .collect();
        for until in times.into_iter().map(Some).chain([None]) {
            while let Some(&(time, kind, at, since)) = events.first().filter(|e| until.is_none_or(|u| e.0 <= u)) {
                events.remove(0);
                clock = clock.max(time);
                let now = wall(clock);
                if kind == 0 {
                    w.completed(at, now);
                    continue;
                }
                let due = w.confirm(at, now);
                if due > now {
                    add(&mut events, (clock + (due - now) + late.next().unwrap_or(0), 1, at, since));
                    continue;
                }
                longest = longest.max(clock - since);
                let trip = trips.next().flatten();
                arrivals.push(clock + trip.map_or(0, |(rtt, percent)| rtt * percent / 100));
                if let Some((rtt, _)) = trip {
                    add(&mut events, (clock + rtt, 0, now, 0));
                }
            }
            let Some(until) = until else { break };
            clock = clock.max(until);
            let now = wall(clock);
            let ticket = w.reserve(now);
            let slot = w.due(ticket).unwrap_or(now);
            add(&mut events, (clock + (slot - now) + late.next().unwrap_or(0), 1, ticket, clock));
        }
        (arrivals, longest)
    }

    proptest! {
        /// Timers fire late by any amount (in order, on one clock with the
        /// reservations) and no answer ever comes: the real send times still
        /// never put more than N sends in a window.
        #[test]
        fn late_timers_never_put_more_than_the_limit_in_a_window(limit in 1u32..6, gaps in prop::collection::vec(0u64..400, 1..60), lateness in prop::collection::vec(0u64..300, 120)) {
            let mut w = SlidingWindow::new(limit, 1_000);
            let (sends, _) = arrivals(&mut w, &gaps, &mut core::iter::repeat(None), &mut lateness.iter().copied().cycle(), (u64::MAX, 0));
            prop_assert!(max_in_window(&sends, 1_000) <= limit as usize, "{sends:?}");
        }

        /// Every request reaches the server somewhere between its send and
        /// its answer, which comes at most a window after the send, and
        /// timers fire late: the arrivals never put more than N in a window.
        /// And when the caller's clock steps back at some moment, by a little
        /// or by an hour: no request waits for the step (at most, per request
        /// queued, a window and the longest round trip, and its timers'
        /// lateness), and the arrivals never put more than N in a real
        /// window that starts more than a window before the step or over 4 s
        /// after it. Around the step they may: an answer that came across it
        /// is timed by a clock that paused there, so it may count as earlier
        /// than it was (docs/rate-limit.md).
        #[test]
        fn arrivals_never_put_more_than_the_limit_in_a_window(
            limit in 1u32..6,
            gaps in prop::collection::vec(0u64..400, 1..50),
            trips in prop::collection::vec((0u64..=1_000, 0u64..=100), 60),
            lateness in prop::collection::vec(0u64..50, 60),
            at in 0u64..8_000,
            back in prop_oneof![Just(0u64), 1u64..5_000, 3_000_000u64..4_000_000],
        ) {
            let mut w = SlidingWindow::new(limit, 1_000);
            let mut trips = trips.iter().copied().map(Some).cycle();
            let (arrived, longest) = arrivals(&mut w, &gaps, &mut trips, &mut lateness.iter().copied().cycle(), (at, back));
            let mut sorted = arrived.clone();
            sorted.sort_unstable();
            for (i, &start) in sorted.iter().enumerate() {
                if back > 0 && start + 1_000 > at && start < at + 4_000 {
                    continue;
                }
                let n = sorted[i..].iter().take_while(|&&t| t < start + 1_000).count();
                prop_assert!(n <= limit as usize, "{n} arrivals from {start}: {sorted:?}");
            }
            let bound = gaps.len() as u64 * (1_000 + MAX_RTT_MS + 50);
            prop_assert!(longest <= bound, "a request waited {longest} ms (bound {bound})");
        }

        /// No schedule ever puts more than N sends in a window, whatever the
        /// arrivals and aborts; slots never go backwards and never precede
        /// their request.
        #[test]
        fn no_window_ever_holds_more_than_the_limit(limit in 1u32..8, window in 1u64..2_000, steps in prop::collection::vec(step(), 1..200)) {
            let mut w = SlidingWindow::new(limit, window);
            let mut now = 0;
            // Tickets, and whether their caller still holds them.
            let mut reserved: Vec<(u64, bool)> = Vec::new();
            for s in steps {
                match s {
                    Step::Reserve(dt) => {
                        now += dt;
                        // FIFO: never ahead of a caller still waiting from before.
                        let latest_live = reserved.iter().filter(|(_, live)| *live).filter_map(|&(t, _)| w.due(t)).max().unwrap_or(0);
                        let ticket = w.reserve(now);
                        let at = w.due(ticket).unwrap_or(0);
                        prop_assert!(at >= now && at >= latest_live, "{at} {now} {latest_live}");
                        reserved.push((ticket, true));
                    }
                    Step::Abort(i) if !reserved.is_empty() => {
                        let i = i % reserved.len();
                        // Only a caller still waiting for its slot can give it back.
                        if reserved[i].1 && w.due(reserved[i].0).is_some_and(|at| at > now) {
                            w.release(reserved[i].0);
                            reserved[i].1 = false;
                        }
                    }
                    Step::Abort(_) => {}
                }
                // Every slot still reserved, moved up or not, keeps each window within the limit.
                let sends: Vec<u64> = reserved.iter().filter(|(_, live)| *live).filter_map(|&(t, _)| w.due(t)).collect();
                prop_assert!(max_in_window(&sends, window) <= limit as usize, "{sends:?}");
            }
        }
    }
}
