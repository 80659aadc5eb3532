//! Record identifiers: unique per source and deterministic, derived from the block index
//! and a per-block counter, never from a global sequence (blocks are generated in
//! parallel).
//!
//! Sequential ids (`W`, `T`, `AO`, `CC`, `M`) are `(block + 1) * stride + counter`, so a
//! block's ids are contiguous and increase with time within the block. Account ids (`A`)
//! and loyalty cards (`2400…` with an EAN-13 check digit) go through a fixed permutation
//! of their number space, so they look random yet never collide.

use crate::person::BLOCK;
use crate::text::{decimal_digits, push_padded};

/// Ids of one source: prefix, zero-padded width, numbers per block.
#[derive(Debug, Clone, Copy)]
pub struct IdSpace {
    pub prefix: &'static str,
    pub width: usize,
    pub stride: u64,
}

impl IdSpace {
    /// A space whose blocks hold up to `max_per_block` ids, for `n_blocks` blocks.
    fn sequential(
        prefix: &'static str,
        min_width: usize,
        max_per_block: u64,
        n_blocks: u64,
    ) -> Self {
        let stride = 10u64.pow(decimal_digits(max_per_block) as u32);
        let width = decimal_digits((n_blocks + 1) * stride - 1).max(min_width);
        IdSpace {
            prefix,
            width,
            stride,
        }
    }

    /// The number of the `k`-th id (from 0) of `block`.
    pub fn number(&self, block: u64, k: u64) -> u64 {
        (block + 1) * self.stride + k + 1
    }

    pub fn push(&self, buf: &mut String, n: u64) {
        buf.push_str(self.prefix);
        push_padded(buf, n, self.width);
    }
}

/// A fixed affine permutation of `[0, 10^width)`.
#[derive(Debug, Clone, Copy)]
pub struct Scrambled {
    pub modulus: u64,
    mul: u64,
    add: u64,
}

impl Scrambled {
    fn new(width: usize, mul: u64, add: u64) -> Self {
        // `mul` ends in 1, 3, 7 or 9: coprime with every power of ten.
        let modulus = 10u64.pow(width as u32);
        Scrambled {
            modulus,
            mul: mul % modulus,
            add: add % modulus,
        }
    }

    pub fn apply(&self, x: u64) -> u64 {
        ((u128::from(x) * u128::from(self.mul) + u128::from(self.add)) % u128::from(self.modulus))
            as u64
    }
}

/// Ids per block of persons-level identifiers (accounts, cards): persons plus bad rows.
pub const PERSON_ID_STRIDE: u64 = 2 * BLOCK;

/// Every id space of a run.
#[derive(Debug, Clone, Copy)]
pub struct Ids {
    pub web: IdSpace,
    pub pos: IdSpace,
    pub app_orders: IdSpace,
    pub call_centre: IdSpace,
    pub messaging: IdSpace,
    pub account: IdSpace,
    account_perm: Scrambled,
    card_prefix: u64,
    card_perm: Scrambled,
    pub person_width: usize,
}

impl Ids {
    pub fn new(persons: u64) -> Self {
        let n_blocks = persons.div_ceil(BLOCK).max(1);
        // Upper bounds of rows per block (see the channels), plus room for bad rows
        // (at most half as many again, plus one).
        let room = |per_person: u64| per_person * BLOCK * 3 / 2 + 1;
        let person_space = n_blocks * PERSON_ID_STRIDE;
        let account_width = decimal_digits(person_space - 1).max(6);
        let (card_prefix, card_width) = if person_space <= 100_000_000 {
            (2400, 8)
        } else {
            (24, 10)
        };
        Ids {
            web: IdSpace::sequential("W", 6, room(12), n_blocks),
            pos: IdSpace::sequential("T", 7, room(24), n_blocks),
            app_orders: IdSpace::sequential("AO", 6, room(5), n_blocks),
            call_centre: IdSpace::sequential("CC", 6, room(4), n_blocks),
            messaging: IdSpace::sequential("M", 6, room(2), n_blocks),
            account: IdSpace {
                prefix: "A",
                width: account_width,
                stride: PERSON_ID_STRIDE,
            },
            account_perm: Scrambled::new(account_width, 7_368_787_231, 4_270_711_003),
            card_prefix,
            card_perm: Scrambled::new(card_width, 9_301_937_413, 1_618_033_988),
            person_width: decimal_digits(persons).max(4),
        }
    }

    /// The account number of the `k`-th account (from 0) of `block`.
    pub fn account(&self, block: u64, k: u64) -> u64 {
        self.account_perm.apply(block * PERSON_ID_STRIDE + k)
    }

    /// The 13-digit loyalty card of the `k`-th card (from 0) of `block`.
    pub fn card(&self, block: u64, k: u64) -> u64 {
        let body = self.card_prefix * self.card_perm.modulus
            + self.card_perm.apply(block * PERSON_ID_STRIDE + k);
        body * 10 + ean13_check(body)
    }

    /// `P0001`-style id of the global person index `global` (from 0).
    pub fn push_person(&self, buf: &mut String, global: u64) {
        buf.push('P');
        push_padded(buf, global + 1, self.person_width);
    }
}

/// The EAN-13 check digit of a 12-digit body.
pub fn ean13_check(body: u64) -> u64 {
    let mut sum = 0;
    let mut b = body;
    // From the right, the body's last digit has weight 3.
    for i in 0..12 {
        let d = b % 10;
        b /= 10;
        sum += if i % 2 == 0 { 3 * d } else { d };
    }
    (10 - sum % 10) % 10
}

/// Pushes a 13-digit card number.
pub fn push_card(buf: &mut String, card: u64) {
    push_padded(buf, card, 13);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ean13() {
        // 4006381333931 is a well-known valid EAN-13.
        assert_eq!(ean13_check(400_638_133_393), 1);
        let ids = Ids::new(400);
        let card = ids.card(0, 17);
        assert_eq!(card / 1_000_000_000, 2400);
        assert_eq!(ean13_check(card / 10), card % 10);
    }

    #[test]
    fn spaces_are_unique_and_shaped() {
        let ids = Ids::new(400);
        assert_eq!((ids.web.width, ids.pos.width, ids.person_width), (6, 7, 4));
        let mut s = String::new();
        ids.web.push(&mut s, ids.web.number(0, 0));
        assert_eq!(s, "W100001");
        let big = Ids::new(10_000_000);
        let mut seen = HashSet::new();
        for block in [0, 1, 2440] {
            for k in 0..PERSON_ID_STRIDE {
                assert!(seen.insert(big.card(block, k)));
                assert!(big.account(block, k) < 10u64.pow(big.account.width as u32));
            }
        }
        assert!(big.web.number(2441, 73_000) < 10u64.pow(big.web.width as u32));
    }
}
