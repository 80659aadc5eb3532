//! Canonical fields: the names a pipeline file maps channel columns to.

/// How a canonical field's raw text is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Kept as text after normalisation.
    Text,
    /// A point in time (`formats` in the mapping; RFC 3339 and ISO forms by default).
    Timestamp,
    /// A calendar date (`formats` in the mapping; ISO and `dd/mm/YYYY` by default).
    Date,
    /// A yes/no statement in the words exports use (`true/false`, `sí/no`, `1/0`, `Y/N`).
    Bool,
}

macro_rules! canonical_fields {
    ($( $variant:ident => $name:literal, $ty:ident, $doc:literal; )*) => {
        /// A field of the canonical customer record (`source_records`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum CanonicalField {
            $( #[doc = $doc] $variant, )*
        }

        impl CanonicalField {
            /// Every canonical field, in schema order.
            pub const ALL: &'static [CanonicalField] = &[$(CanonicalField::$variant,)*];

            /// The name used in pipeline files and as the column name.
            pub fn name(self) -> &'static str {
                match self { $(CanonicalField::$variant => $name,)* }
            }

            /// How the raw text is parsed.
            pub fn field_type(self) -> FieldType {
                match self { $(CanonicalField::$variant => FieldType::$ty,)* }
            }

            /// One line of documentation, shown in error messages and docs.
            pub fn doc(self) -> &'static str {
                match self { $(CanonicalField::$variant => $doc,)* }
            }
        }
    };
}

canonical_fields! {
    RecordId => "record_id", Text, "The record's id within its source (required, unique per source).";
    EventTs => "event_ts", Timestamp, "When the record happened (order time, contact time, signup).";
    Email => "email", Text, "Email address; normalised to lowercase, plus a gmail-folded match key.";
    Phone => "phone", Text, "Phone number; normalised to E.164 with the pipeline's default region.";
    LoyaltyCard => "loyalty_card", Text, "Loyalty card number (digits only after normalisation).";
    AccountId => "account_id", Text, "Web/app account or user id.";
    DeviceId => "device_id", Text, "Mobile device id.";
    NationalId => "national_id", Text, "National id (DNI/NIE, NI number); uppercase, no separators.";
    FirstName => "first_name", Text, "Given name.";
    LastName => "last_name", Text, "Surname(s).";
    FullName => "full_name", Text, "Whole name in one field; split into first/last when those are not mapped.";
    BirthDate => "birth_date", Date, "Date of birth.";
    Address => "address", Text, "Street address.";
    Postcode => "postcode", Text, "Postal code.";
    City => "city", Text, "City or town.";
    Country => "country", Text, "Country (ISO 3166 alpha-2 preferred).";
    ConsentEmail => "consent_email", Bool, "Consent to email marketing, as stated by this record.";
    ConsentSms => "consent_sms", Bool, "Consent to SMS marketing.";
    ConsentWhatsapp => "consent_whatsapp", Bool, "Consent to WhatsApp messages.";
    ConsentPush => "consent_push", Bool, "Consent to app push notifications.";
}

impl CanonicalField {
    /// Looks a field up by its pipeline-file name.
    pub fn parse(name: &str) -> Option<CanonicalField> {
        Self::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// Every field name, for suggestions in error messages.
    pub fn names() -> impl Iterator<Item = &'static str> {
        Self::ALL.iter().map(|f| f.name())
    }

    /// Identifier fields that can link records deterministically.
    pub fn is_identifier(self) -> bool {
        matches!(
            self,
            CanonicalField::Email
                | CanonicalField::Phone
                | CanonicalField::LoyaltyCard
                | CanonicalField::AccountId
                | CanonicalField::DeviceId
                | CanonicalField::NationalId
        )
    }
}

/// Fields of a transaction mapping (`[source.transaction]` in a pipeline file).
pub const TRANSACTION_FIELDS: &[(&str, &str)] = &[
    ("id", "Transaction id (default: the record id)."),
    ("ts", "Transaction time (default: the record's event_ts)."),
    ("amount", "Amount, required; negative amounts are returns."),
    (
        "currency",
        "ISO currency code column (default: the pipeline's currency).",
    ),
    ("store", "Store or shop code."),
    (
        "original_id",
        "For a return: the id of the purchase it refunds.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for f in CanonicalField::ALL {
            assert_eq!(CanonicalField::parse(f.name()), Some(*f));
            assert!(seen.insert(f.name()));
        }
        assert_eq!(CanonicalField::parse("nope"), None);
    }

    #[test]
    fn identifiers_are_the_strong_ids() {
        assert!(CanonicalField::LoyaltyCard.is_identifier());
        assert!(!CanonicalField::FirstName.is_identifier());
    }
}
