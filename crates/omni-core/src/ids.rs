//! Opaque identifiers.

use sha2::{Digest, Sha256};

/// Separates the parts of a composite key; cannot appear in normalised ids.
const SEP: u8 = 0x1f;

/// A customer id for a cluster, derived from the smallest record key in it (never from
/// names, emails or phones): `c_` followed by 16 hex digits of a SHA-256.
pub fn customer_id_for(source: &str, record_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"omnicanal/customer/v1");
    h.update([SEP]);
    h.update(source.as_bytes());
    h.update([SEP]);
    h.update(record_id.as_bytes());
    let d = h.finalize();
    let mut s = String::with_capacity(18);
    s.push_str("c_");
    for b in &d[..8] {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The `n`-th alternative id for a cluster whose [`customer_id_for`] is already taken (by a
/// retired or merged customer): ids are never reissued.
pub fn customer_id_salted(source: &str, record_id: &str, n: u32) -> String {
    if n == 0 {
        return customer_id_for(source, record_id);
    }
    customer_id_for(source, &format!("{record_id}\u{1f}{n}"))
}

/// Hex SHA-256 of some bytes (config hashes, checksums).
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_ids_are_stable_and_distinct() {
        let a = customer_id_for("web_orders", "W1");
        assert_eq!(a, customer_id_for("web_orders", "W1"));
        assert_ne!(a, customer_id_for("web_orders", "W2"));
        // The separator keeps ("ab","c") and ("a","bc") apart.
        assert_ne!(customer_id_for("ab", "c"), customer_id_for("a", "bc"));
        assert_eq!(a.len(), 18);
        assert!(a.starts_with("c_"));
    }

    #[test]
    fn sha256_hex_matches_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
