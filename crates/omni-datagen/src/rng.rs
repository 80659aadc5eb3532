//! Randomness: one ChaCha8 generator per (seed, block, stream), and the small sampling
//! helpers the generators use (weighted choice, log-normal amounts, digits).
//!
//! Every block of persons draws from its own generators, seeded by a fixed mixing function
//! of the run's seed and the block index, so a block's output depends on nothing else and
//! blocks can be generated in any order, on any number of threads.

use std::sync::LazyLock;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub type BlockRng = ChaCha8Rng;

/// Independent streams of a block: one per generation step, so that leaving a channel out
/// does not change what the others draw.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    Persons = 1,
    Registry = 2,
    Web = 3,
    Pos = 4,
    StoreReturns = 5,
    Loyalty = 6,
    App = 7,
    CallCentre = 8,
    Messaging = 9,
}

/// SplitMix64's finaliser: a bijective, well-mixing function of 64 bits.
pub const fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator of `stream` in block `block` of a run seeded with `seed`.
pub fn block_rng(seed: u64, block: u64, stream: Stream) -> BlockRng {
    let mut key = [0u8; 32];
    let mut state = mix64(seed ^ 0x6F6D_6E69_6361_6E61) ^ mix64(block.wrapping_add(1));
    for chunk in key.chunks_exact_mut(8) {
        state = mix64(state);
        chunk.copy_from_slice(&state.to_le_bytes());
    }
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(stream as u64);
    rng
}

/// A 64-bit hash of bytes, fixed forever (unlike std's `DefaultHasher`).
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = 0x243F_6A88_85A3_08D3 ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = mix64(h ^ u64::from_le_bytes(w));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = mix64(h ^ u64::from_le_bytes(w) ^ 0xFF);
    }
    mix64(h)
}

/// True with probability `p`.
#[inline]
pub fn chance(rng: &mut BlockRng, p: f64) -> bool {
    rng.random::<f64>() < p
}

/// A uniform draw in `[0, 1)`.
#[inline]
pub fn unit(rng: &mut BlockRng) -> f64 {
    rng.random::<f64>()
}

/// A uniformly chosen element.
#[inline]
pub fn pick<'a, T>(rng: &mut BlockRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// A uniformly chosen element, by value.
#[inline]
pub fn pick_copy<T: Copy>(rng: &mut BlockRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// An index drawn with the given (small) weights.
pub fn pick_index(rng: &mut BlockRng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.random_range(0..total);
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// A weighted table sampled by binary search over cumulative weights.
pub struct Weighted<T> {
    items: Vec<(T, u32)>,
    cumulative: Vec<u64>,
}

impl<T: Copy> Weighted<T> {
    pub fn new(items: impl IntoIterator<Item = (T, u32)>) -> Self {
        let items: Vec<(T, u32)> = items.into_iter().collect();
        let mut total = 0u64;
        let cumulative = items
            .iter()
            .map(|(_, w)| {
                total += u64::from(*w);
                total
            })
            .collect();
        Weighted { items, cumulative }
    }

    pub fn sample(&self, rng: &mut BlockRng) -> T {
        let total = *self.cumulative.last().unwrap_or(&1);
        let x = rng.random_range(0..total);
        let i = self.cumulative.partition_point(|&c| c <= x);
        self.items[i.min(self.items.len() - 1)].0
    }
}

/// A lazily built weighted table over a static list.
pub type LazyWeighted<T> = LazyLock<Weighted<T>>;

/// A log-normal draw: `exp(mu + sigma * N(0, 1))` (Box-Muller).
pub fn lognormal(rng: &mut BlockRng, mu: f64, sigma: f64) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    (mu + sigma * z).exp()
}

/// A uniform number of `n` decimal digits (leading zeros allowed).
#[inline]
pub fn digits(rng: &mut BlockRng, n: u32) -> u64 {
    rng.random_range(0..10u64.pow(n))
}

/// `floor(expected + u)` for a uniform `u`: a count whose mean is `expected`.
pub fn stochastic_round(rng: &mut BlockRng, expected: f64) -> usize {
    (expected + unit(rng)).floor().max(0.0) as usize
}

/// Fisher-Yates shuffle.
pub fn shuffle<T>(rng: &mut BlockRng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.random_range(0..=i);
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_streams_differ_and_repeat() {
        let a: u64 = block_rng(7, 0, Stream::Web).random();
        let b: u64 = block_rng(7, 1, Stream::Web).random();
        let c: u64 = block_rng(7, 0, Stream::Pos).random();
        let d: u64 = block_rng(8, 0, Stream::Web).random();
        assert!(a != b && a != c && a != d);
        assert_eq!(a, block_rng(7, 0, Stream::Web).random::<u64>());
    }

    #[test]
    fn weighted_follows_weights() {
        static T: &[(&str, u32)] = &[("a", 90), ("b", 10), ("c", 0)];
        let w = Weighted::new(T.iter().copied());
        let mut rng = block_rng(1, 0, Stream::Persons);
        let n = (0..10_000).filter(|_| w.sample(&mut rng) == "a").count();
        assert!((8_700..9_300).contains(&n), "{n}");
        assert!((0..1000).all(|_| w.sample(&mut rng) != "c"));
        assert_eq!(hash_bytes(b"abc"), hash_bytes(b"abc"));
        assert_ne!(hash_bytes(b"abc"), hash_bytes(b"abd"));
    }
}
