//! Random identifiers: request ids, access tokens and UUID v4 resource ids.

use std::fmt::Write;

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    if getrandom::fill(&mut buf).is_err() {
        // Extremely unlikely; fall back to a time/counter based value rather than panicking.
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let seed = crate::clock::now(0) as u64 ^ COUNTER.fetch_add(1, Ordering::Relaxed).rotate_left(32);
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (seed.rotate_left((i % 8) as u32 * 8) & 0xff) as u8 ^ i as u8;
        }
    }
    buf
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// `req_` followed by 16 random bytes in hex.
pub fn request_id() -> String {
    format!("req_{}", hex(&random_bytes::<16>()))
}

/// An opaque access token: 32 random bytes in hex.
pub fn access_token() -> String {
    hex(&random_bytes::<32>())
}

/// A lower-case UUID version 4.
pub fn uuid_v4() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape() {
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(u, uuid_v4());
        assert!(request_id().starts_with("req_"));
    }
}
