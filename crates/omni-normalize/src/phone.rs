//! Phone numbers, through the `phonenumber` crate (libphonenumber's metadata).

use phonenumber::{Mode, country};

/// Parses phone numbers to E.164 with a default region for national-format numbers.
#[derive(Debug, Clone, Copy)]
pub struct PhoneNormalizer {
    region: country::Id,
}

impl PhoneNormalizer {
    /// `region` is an ISO 3166 alpha-2 code such as `ES` or `GB`.
    pub fn new(region: &str) -> Result<Self, String> {
        region
            .trim()
            .to_ascii_uppercase()
            .parse::<country::Id>()
            .map(|region| PhoneNormalizer { region })
            .map_err(|_| {
                format!("unknown region {region:?}: use an ISO 3166 alpha-2 code such as \"ES\"")
            })
    }

    /// E.164 (`+34612345678`), or `None` when the value is not a valid number.
    pub fn normalize(&self, raw: &str) -> Option<String> {
        let t = raw.trim();
        if t.is_empty() || !t.chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
        // Exports write international numbers as 0034..., 34... or (+34) ...; the library
        // handles `+` and the region's own international prefix.
        let n = phonenumber::parse(Some(self.region), t).ok()?;
        phonenumber::is_valid(&n).then(|| n.format().mode(Mode::E164).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_variants_agree() {
        let p = PhoneNormalizer::new("ES").unwrap();
        for v in [
            "+34 612 345 678",
            "0034612345678",
            "612-345-678",
            "612345678",
            "(+34) 612 34 56 78",
        ] {
            assert_eq!(p.normalize(v).as_deref(), Some("+34612345678"), "{v}");
        }
    }

    #[test]
    fn uk_numbers_with_spanish_default() {
        let p = PhoneNormalizer::new("es").unwrap();
        assert_eq!(
            p.normalize("+44 7911 123456").as_deref(),
            Some("+447911123456")
        );
        let uk = PhoneNormalizer::new("GB").unwrap();
        assert_eq!(
            uk.normalize("07911 123456").as_deref(),
            Some("+447911123456")
        );
    }

    #[test]
    fn invalid_values_are_none() {
        let p = PhoneNormalizer::new("ES").unwrap();
        for v in ["", "000000000", "n/a", "12", "+34 000"] {
            assert_eq!(p.normalize(v), None, "{v}");
        }
        assert!(PhoneNormalizer::new("Spain").is_err());
    }
}
