//! Phase B of a block: make its e-mail addresses and phone numbers unique across the whole
//! run, as real mailboxes and lines are. Two different persons never share one (except on
//! purpose: a household's landline and family mailbox).
//!
//! Blocks pass through the registry one at a time, in block order, so what a block gets
//! depends only on the blocks before it: the output does not depend on the thread count.
//! The registry keeps one 64-bit hash per claimed value (about 10 bytes each); two values
//! with the same hash only cost the second one a renaming, never a duplicate.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use rand::Rng;

use crate::contact::{email_key, new_landline, new_mobile};
use crate::error::{Error, Result};
use crate::person::Block;
use crate::rng::{BlockRng, Stream, block_rng, hash_bytes, mix64};

/// Hasher for keys that are already hashes.
#[derive(Default)]
pub struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = hash_bytes(bytes);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[derive(Default)]
pub struct Registry {
    seen: HashSet<u64, BuildHasherDefault<IdentityHasher>>,
}

fn phone_key(num: u64, es: bool) -> u64 {
    mix64(num ^ if es { 0x34 << 56 } else { 0x44 << 56 })
}

impl Registry {
    pub fn with_capacity(n: usize) -> Self {
        Registry {
            seen: HashSet::with_capacity_and_hasher(n, BuildHasherDefault::default()),
        }
    }

    /// Claims the block's phones and e-mails, replacing those already taken.
    pub fn register(&mut self, block: &mut Block, seed: u64) -> Result<()> {
        let mut rng = block_rng(seed, block.index, Stream::Registry);
        let is_member: Vec<bool> = {
            let mut v = vec![false; block.persons.len()];
            for h in &block.households {
                v[h.member as usize] = true;
            }
            v
        };
        for (i, p) in block.persons.iter_mut().enumerate() {
            let es = p.es;
            p.mobile = self
                .claim_phone(&mut rng, p.mobile, es, 100_000, |r| new_mobile(r, es))
                .ok_or_else(|| Error::Internal {
                    message: "the space of mobile numbers is exhausted".into(),
                })?;
            if let Some(l) = p.landline.filter(|_| !is_member[i]) {
                let city = p.city();
                p.landline = self.claim_phone(&mut rng, l, es, 200, |r| new_landline(r, city));
            }
        }
        for h in &block.households {
            let landline = block.persons[h.head as usize].landline;
            block.persons[h.member as usize].landline = landline;
        }
        for p in block.persons.iter_mut() {
            p.email = self.claim_email(&mut rng, std::mem::take(&mut p.email))?;
            if let Some(alt) = p.alt_email.take() {
                p.alt_email = Some(self.claim_email(&mut rng, alt)?);
            }
        }
        for h in block.households.iter_mut() {
            if let Some(f) = h.family_email.take() {
                h.family_email = Some(self.claim_email(&mut rng, f)?);
            }
        }
        Ok(())
    }

    fn claim_phone(
        &mut self,
        rng: &mut BlockRng,
        mut num: u64,
        es: bool,
        attempts: u32,
        mut redraw: impl FnMut(&mut BlockRng) -> u64,
    ) -> Option<u64> {
        for _ in 0..attempts {
            if self.seen.insert(phone_key(num, es)) {
                return Some(num);
            }
            num = redraw(rng);
        }
        None
    }

    fn claim_email(&mut self, rng: &mut BlockRng, email: String) -> Result<String> {
        if self.seen.insert(hash_bytes(email_key(&email).as_bytes())) {
            return Ok(email);
        }
        let (local, dom) = email.split_once('@').unwrap_or((&email, "example.com"));
        for attempt in 1..=1000u32 {
            let suffix = match attempt {
                1..=10 => rng.random_range(2..=999u64),
                11..=30 => rng.random_range(1_000..=99_999),
                _ => rng.random_range(100_000..=99_999_999),
            };
            let candidate = format!("{local}{suffix}@{dom}");
            if self
                .seen
                .insert(hash_bytes(email_key(&candidate).as_bytes()))
            {
                return Ok(candidate);
            }
        }
        Err(Error::Internal {
            message: format!("no free e-mail address like {email}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_claim_is_renamed() {
        let mut reg = Registry::default();
        let mut rng = block_rng(1, 0, Stream::Registry);
        let a = reg
            .claim_email(&mut rng, "maria.garcia@gmail.com".into())
            .unwrap();
        let b = reg
            .claim_email(&mut rng, "mariagarcia@gmail.com".into())
            .unwrap();
        assert_eq!(a, "maria.garcia@gmail.com");
        assert!(
            b.starts_with("mariagarcia") && b != "mariagarcia@gmail.com",
            "{b}"
        );
        assert_eq!(
            reg.claim_phone(&mut rng, 612_345_678, true, 5, |_| 699_999_999),
            Some(612_345_678)
        );
        assert_eq!(
            reg.claim_phone(&mut rng, 612_345_678, true, 5, |_| 699_999_999),
            Some(699_999_999)
        );
        assert_eq!(
            reg.claim_phone(&mut rng, 612_345_678, false, 5, |_| 1),
            Some(612_345_678)
        );
    }
}
