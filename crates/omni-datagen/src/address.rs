//! Postal addresses: Spanish (`Calle Mayor, 12, 3º A`, `28013`) and British
//! (`Flat 4, 12 Baker Street`, `SW9 3AB`).

use rand::Rng;

use crate::places::{City, PostcodeRule};
use crate::rng::{BlockRng, chance, pick_copy};

/// Flat or floor and door of an address.
#[derive(Debug, Clone, Copy)]
pub enum Flat {
    Es { floor: u8, door: &'static str },
    Gb(u8),
}

#[derive(Debug, Clone)]
pub struct Address {
    pub street: &'static str,
    pub num: u16,
    pub flat: Option<Flat>,
    pub postcode: String,
    pub es: bool,
}

impl Address {
    /// The address as written in full: `Calle Mayor, 12, 3º A` or `Flat 4, 12 Baker Street`.
    pub fn full(&self) -> String {
        match self.flat {
            None if self.es => format!("{}, {}", self.street, self.num),
            None => format!("{} {}", self.num, self.street),
            Some(Flat::Es { floor, door }) => {
                format!("{}, {}, {floor}º {door}", self.street, self.num)
            }
            Some(Flat::Gb(n)) => format!("Flat {n}, {} {}", self.num, self.street),
        }
    }
}

/// A new random address in `city`.
pub fn new_address(rng: &mut BlockRng, city: &City) -> Address {
    let street = pick_copy(rng, city.streets);
    let num = rng.random_range(1..=180);
    match city.postcode {
        PostcodeRule::Es {
            prefix,
            max_district,
        } => {
            let postcode = format!("{prefix}{:03}", rng.random_range(1..=max_district));
            let flat = chance(rng, 0.75).then(|| Flat::Es {
                floor: rng.random_range(1..=9),
                door: pick_copy(rng, &["A", "B", "C", "D", "izda.", "dcha."]),
            });
            Address {
                street,
                num,
                flat,
                postcode,
                es: true,
            }
        }
        PostcodeRule::Gb { districts } => {
            const L: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
            let d = pick_copy(rng, districts);
            let postcode = format!(
                "{d} {}{}{}",
                rng.random_range(1..=9),
                pick_copy(rng, L) as char,
                pick_copy(rng, L) as char
            );
            let flat = chance(rng, 0.3).then(|| Flat::Gb(rng.random_range(1..=24)));
            Address {
                street,
                num,
                flat,
                postcode,
                es: false,
            }
        }
    }
}
