//! Retries as a pure decision: given what happened, how many retries were
//! spent, the policy and a jitter draw, either stop or wait and retry. The
//! async loop in `client.rs` only sleeps.

use crate::prelude::*;

/// When and how often to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (the default is 2: three attempts at most).
    pub max_retries: u32,
    /// The first back-off delay, in ms, doubled for each retry.
    pub base_delay_ms: u64,
    /// The longest back-off delay, in ms.
    pub max_delay_ms: u64,
    /// The longest `Retry-After` honoured, in ms; a longer one stops retrying.
    pub max_retry_after_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_retries: 2, base_delay_ms: 500, max_delay_ms: 8_000, max_retry_after_ms: 60_000 }
    }
}

/// What one attempt ended in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered with this status.
    Status(u16),
    /// No response arrived (refused, reset, DNS), or its body was cut off.
    Connection,
}

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Do not retry: return this outcome to the caller.
    Stop(StopReason),
    /// Wait this many ms, then retry.
    RetryAfter(u64),
}

/// Why retrying stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The outcome is a success or an error that a retry cannot fix.
    NotRetryable,
    /// Every allowed retry was spent.
    Exhausted,
    /// The server asked for a longer wait than the policy allows.
    RetryAfterTooLong,
    /// The wait would pass the caller's deadline.
    Deadline,
}

/// Whether a retry can help: connection failures, and the statuses whose
/// error is retryable ([`Error::retryable`](crate::Error::retryable)), read
/// from the one status table (`status_class` in `src/error.rs`).
pub fn is_retryable(outcome: Outcome) -> bool {
    match outcome {
        Outcome::Connection => true,
        Outcome::Status(status) => crate::error::retryable_status(status),
    }
}

/// Decides whether to retry.
///
/// - `retry_after_ms`: the server's `Retry-After`, already parsed by
///   [`parse_retry_after`]; it replaces the back-off when present.
/// - `retries_spent`: retries already made for this call.
/// - `remaining_ms`: time left before the caller's deadline, if any.
/// - `jitter`: a draw in `[0, 1)`; the back-off waits between half and all of
///   its exponential delay ("equal jitter"), so callers spread out.
///
/// ```
/// use payreq::retry::{decide, Decision, Outcome, RetryPolicy};
/// let p = RetryPolicy::default();
/// assert_eq!(decide(Outcome::Status(503), None, 0, &p, None, 0.0), Decision::RetryAfter(250));
/// assert_eq!(decide(Outcome::Status(429), Some(2_000), 1, &p, None, 0.9), Decision::RetryAfter(2_000));
/// ```
pub fn decide(
    outcome: Outcome,
    retry_after_ms: Option<u64>,
    retries_spent: u32,
    policy: &RetryPolicy,
    remaining_ms: Option<u64>,
    jitter: f64,
) -> Decision {
    if !is_retryable(outcome) {
        return Decision::Stop(StopReason::NotRetryable);
    }
    if retries_spent >= policy.max_retries {
        return Decision::Stop(StopReason::Exhausted);
    }
    let wait = match retry_after_ms {
        Some(ms) if ms > policy.max_retry_after_ms => return Decision::Stop(StopReason::RetryAfterTooLong),
        Some(ms) => ms,
        None => {
            let exp = policy.base_delay_ms.saturating_mul(1u64 << retries_spent.min(32)).min(policy.max_delay_ms);
            let jitter = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.0 };
            exp / 2 + ((exp / 2) as f64 * jitter) as u64
        }
    };
    match remaining_ms {
        Some(left) if wait >= left => Decision::Stop(StopReason::Deadline),
        _ => Decision::RetryAfter(wait),
    }
}

/// Parses `Retry-After` in both RFC 9110 forms: delta-seconds (`"120"`) and an
/// HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms), giving
/// the wait in ms from `now_ms`. Malformed values (`"-3"`, `"1.5"`, garbage)
/// give `None` and are ignored; a date in the past gives `Some(0)`.
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let v = crate::text::trim(value);
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(v.parse::<u64>().unwrap_or(u64::MAX).saturating_mul(1000));
    }
    let at_ms = parse_http_date(v)?.checked_mul(1000)?;
    Some(at_ms.saturating_sub(now_ms))
}

/// Seconds since the Unix epoch of an HTTP-date.
fn parse_http_date(v: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = |m: &str| MONTHS.iter().position(|x| *x == m).map(|i| i as u64 + 1);
    let tokens: Vec<&str> = v.split(&[' ', ','][..]).filter(|t| !t.is_empty()).collect();
    let (day, mon, year, time) = match tokens.as_slice() {
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        [_, d, m, y, t, "GMT"] if y.len() == 4 => (*d, month(m)?, y.parse::<u64>().ok()?, *t),
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        [_, dmy, t, "GMT"] => {
            let mut parts = dmy.split(&['-'][..]);
            let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
            if y.len() != 2 || parts.next().is_some() {
                return None;
            }
            let y: u64 = y.parse().ok()?;
            (d, month(m)?, if y < 70 { 2000 + y } else { 1900 + y }, *t)
        }
        // asctime: Sun Nov  6 08:49:37 1994
        [_, m, d, t, y] => (*d, month(m)?, y.parse::<u64>().ok()?, *t),
        _ => return None,
    };
    let day: u64 = day.parse().ok()?;
    let mut hms = time.split(&[':'][..]).map(|p| p.parse::<u64>().ok());
    let (h, mi, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 60 || !(1970..=9999).contains(&year)
    {
        return None;
    }
    Some(days_from_civil(year, mon, day) * 86_400 + h * 3600 + mi * 60 + s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: RetryPolicy =
        RetryPolicy { max_retries: 3, base_delay_ms: 500, max_delay_ms: 8_000, max_retry_after_ms: 60_000 };

    #[test]
    fn decision_table() {
        use Decision::*;
        use Outcome::*;
        use StopReason::*;
        type Row = (Outcome, Option<u64>, u32, Option<u64>, f64, Decision);
        let table: &[Row] = &[
            // Not retryable, whatever else.
            (Status(200), None, 0, None, 0.0, Stop(NotRetryable)),
            (Status(400), None, 0, None, 0.0, Stop(NotRetryable)),
            (Status(401), None, 0, None, 0.0, Stop(NotRetryable)),
            (Status(403), Some(1_000), 0, None, 0.0, Stop(NotRetryable)),
            (Status(404), None, 0, None, 0.0, Stop(NotRetryable)),
            (Status(409), None, 0, None, 0.0, Stop(NotRetryable)),
            (Status(422), None, 0, None, 0.0, Stop(NotRetryable)),
            (Status(501), None, 0, None, 0.0, Stop(NotRetryable)),
            // Exponential back-off with equal jitter: [exp/2, exp].
            (Status(500), None, 0, None, 0.0, RetryAfter(250)),
            (Status(500), None, 0, None, 0.999_999, RetryAfter(499)),
            (Status(502), None, 1, None, 0.0, RetryAfter(500)),
            (Status(503), None, 2, None, 0.5, RetryAfter(1_500)),
            (Connection, None, 0, None, 1.0, RetryAfter(500)),
            // Garbage jitter is treated as 0.
            (Status(504), None, 0, None, f64::NAN, RetryAfter(250)),
            (Status(504), None, 0, None, -4.0, RetryAfter(250)),
            // Retry-After replaces the back-off, up to the cap.
            (Status(429), Some(2_000), 0, None, 0.7, RetryAfter(2_000)),
            (Status(503), Some(0), 0, None, 0.7, RetryAfter(0)),
            (Status(429), Some(60_000), 0, None, 0.0, RetryAfter(60_000)),
            (Status(429), Some(60_001), 0, None, 0.0, Stop(RetryAfterTooLong)),
            // Budget spent.
            (Status(500), None, 3, None, 0.0, Stop(Exhausted)),
            (Status(429), Some(1_000), 3, None, 0.0, Stop(Exhausted)),
            // Deadline.
            (Status(500), None, 0, Some(250), 0.0, Stop(Deadline)),
            (Status(500), None, 0, Some(251), 0.0, RetryAfter(250)),
            (Status(429), Some(5_000), 0, Some(4_000), 0.0, Stop(Deadline)),
        ];
        for &(outcome, retry_after, spent, remaining, jitter, expected) in table {
            assert_eq!(
                decide(outcome, retry_after, spent, &P, remaining, jitter),
                expected,
                "{outcome:?} {retry_after:?} {spent}"
            );
        }
    }

    #[test]
    fn back_off_is_capped() {
        let p = RetryPolicy { max_retries: 100, ..P };
        assert_eq!(decide(Outcome::Status(500), None, 10, &p, None, 1.0), Decision::RetryAfter(8_000));
        assert_eq!(decide(Outcome::Status(500), None, 99, &p, None, 0.0), Decision::RetryAfter(4_000));
        let zero = RetryPolicy { max_retries: 0, ..P };
        assert_eq!(decide(Outcome::Status(500), None, 0, &zero, None, 0.0), Decision::Stop(StopReason::Exhausted));
    }

    #[test]
    fn retry_after_in_both_forms() {
        let now = 784_111_777_000; // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("120", now), Some(120_000));
        assert_eq!(parse_retry_after(" 0 ", now), Some(0));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), Some(10_000));
        assert_eq!(parse_retry_after("Sunday, 06-Nov-94 08:49:47 GMT", now), Some(10_000));
        assert_eq!(parse_retry_after("Sun Nov  6 08:49:47 1994", now), Some(10_000));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), Some(0), "a past date means now");
        assert_eq!(parse_retry_after("Thu, 01 Jan 2026 00:00:00 GMT", 0), Some(1_767_225_600_000));
        assert_eq!(parse_retry_after("Mon, 29 Feb 2016 12:00:00 GMT", 0), Some(1_456_747_200_000));
        for bad in [
            "-3",
            "1.5",
            "garbage",
            "",
            "12s",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "99999999999999999999999999",
        ] {
            let parsed = parse_retry_after(bad, now);
            assert!(parsed.is_none() || bad.starts_with('9'), "{bad:?} gave {parsed:?}");
        }
        // Found by `make fuzz`: a huge year overflowed the day count.
        assert_eq!(parse_retry_after("Sun Nov  6 08:49:37 1499999999999919997", now), None);
        assert_eq!(parse_retry_after("Sun \u{0}-Oct-00000000018446744073709551615-\u{0}094 f GMT", now), None);
        // An absurd delta saturates instead of overflowing, and then exceeds any cap.
        assert_eq!(parse_retry_after("99999999999999999999999999", now), Some(u64::MAX));
    }
}
