//! Place data: cities with their streets, postcodes, landline prefixes and stores; e-mail
//! domains; street-type abbreviations.

/// How a city's postcodes look.
#[derive(Debug, Clone, Copy)]
pub enum PostcodeRule {
    /// Spain: two-digit province prefix and a district `001..=max`: `28013`.
    Es {
        prefix: &'static str,
        max_district: u16,
    },
    /// UK: an outward district and an inward code: `SW9 3AB`.
    Gb { districts: &'static [&'static str] },
}

/// One city of the synthetic population.
#[derive(Debug)]
pub struct City {
    pub name: &'static str,
    pub es: bool,
    /// Share of the country's population, relative.
    pub weight: u32,
    pub streets: &'static [&'static str],
    pub postcode: PostcodeRule,
    /// Landline prefixes (start of the national number, without the trunk `0`).
    pub landline_prefixes: &'static [&'static str],
    /// Digits allowed right after the prefix (all of them valid for libphonenumber).
    pub landline_next: &'static str,
    /// Store codes its residents shop at (their own or the nearest city's).
    pub stores: &'static [&'static str],
    /// Other spellings seen in the exports, besides upper case and dropped accents.
    pub spellings: &'static [&'static str],
}

const ES_NEXT: &str = "2345678";

#[rustfmt::skip]
pub static CITIES: &[City] = &[
    City { name: "Madrid", es: true, weight: 26, postcode: PostcodeRule::Es { prefix: "28", max_district: 55 },
        streets: &["Calle de Alcalá", "Calle Mayor", "Gran Vía", "Calle de Serrano", "Paseo de la Castellana",
            "Calle de Bravo Murillo", "Calle de Arturo Soria", "Calle de Toledo", "Avenida de América",
            "Calle de Embajadores", "Calle de Goya", "Calle de la Princesa", "Calle de López de Hoyos",
            "Avenida de la Albufera", "Calle de Fuencarral", "Paseo de Extremadura", "Calle de Atocha",
            "Calle de Ríos Rosas", "Avenida de Oporto", "Calle del General Ricardos"],
        landline_prefixes: &["91"], landline_next: ES_NEXT, stores: &["MAD-01", "MAD-02", "MAD-03"], spellings: &[] },
    City { name: "Barcelona", es: true, weight: 19, postcode: PostcodeRule::Es { prefix: "08", max_district: 42 },
        streets: &["Carrer de Mallorca", "Carrer d'Aragó", "Passeig de Gràcia", "Carrer de Sants",
            "Avinguda Diagonal", "Carrer de Balmes", "Gran Via de les Corts Catalanes", "Carrer de Provença",
            "Carrer de Muntaner", "Carrer del Consell de Cent", "Avinguda Meridiana", "Carrer de Sardenya",
            "Passeig de Sant Joan", "Carrer de Pujades"],
        landline_prefixes: &["93"], landline_next: ES_NEXT, stores: &["BCN-01", "BCN-02"], spellings: &[] },
    City { name: "Valencia", es: true, weight: 9, postcode: PostcodeRule::Es { prefix: "46", max_district: 26 },
        streets: &["Calle de Colón", "Avenida del Puerto", "Calle de Cuba", "Gran Vía Marqués del Turia",
            "Avenida de Blasco Ibáñez", "Calle de Sueca", "Avenida del Cid", "Calle de Ruzafa",
            "Avenida de Aragón", "Calle de Xàtiva"],
        landline_prefixes: &["96"], landline_next: ES_NEXT, stores: &["VAL-01"], spellings: &["València"] },
    City { name: "Sevilla", es: true, weight: 8, postcode: PostcodeRule::Es { prefix: "41", max_district: 20 },
        streets: &["Calle Sierpes", "Avenida de la Constitución", "Calle Feria", "Calle Asunción",
            "Avenida de Eduardo Dato", "Calle San Jacinto", "Calle Betis", "Avenida de la Buhaira",
            "Calle Luis Montoto", "Avenida de Kansas City"],
        landline_prefixes: &["954", "955"], landline_next: ES_NEXT, stores: &["SEV-01"], spellings: &["Seville"] },
    City { name: "Málaga", es: true, weight: 6, postcode: PostcodeRule::Es { prefix: "29", max_district: 18 },
        streets: &["Calle Larios", "Avenida de Andalucía", "Calle Carretería", "Paseo Marítimo Pablo Ruiz Picasso",
            "Calle Armengual de la Mota", "Avenida de Velázquez", "Calle Héroe de Sostoa"],
        landline_prefixes: &["952", "951"], landline_next: ES_NEXT, stores: &["AGP-01"], spellings: &[] },
    City { name: "Zaragoza", es: true, weight: 5, postcode: PostcodeRule::Es { prefix: "50", max_district: 18 },
        streets: &["Paseo de la Independencia", "Calle Alfonso I", "Avenida de Goya", "Calle de San Vicente de Paúl",
            "Paseo de Sagasta", "Avenida de Madrid", "Calle del Coso"],
        landline_prefixes: &["976"], landline_next: ES_NEXT, stores: &["ZAZ-01"], spellings: &[] },
    City { name: "Bilbao", es: true, weight: 5, postcode: PostcodeRule::Es { prefix: "48", max_district: 15 },
        streets: &["Gran Vía de Don Diego López de Haro", "Calle Licenciado Poza", "Alameda de Urquijo",
            "Calle Autonomía", "Calle Iparraguirre", "Calle Ercilla", "Avenida de Zumalacárregui"],
        landline_prefixes: &["944", "946"], landline_next: ES_NEXT, stores: &["BIO-01"], spellings: &[] },
    City { name: "Alicante", es: true, weight: 5, postcode: PostcodeRule::Es { prefix: "03", max_district: 16 },
        streets: &["Avenida de Maisonnave", "Calle de San Vicente", "Avenida de Alfonso el Sabio",
            "Calle Pintor Aparicio", "Avenida de Óscar Esplá", "Calle de García Andreu"],
        landline_prefixes: &["965", "966"], landline_next: ES_NEXT, stores: &["VAL-01"], spellings: &["Alacant"] },
    City { name: "Murcia", es: true, weight: 4, postcode: PostcodeRule::Es { prefix: "30", max_district: 12 },
        streets: &["Gran Vía Escultor Salzillo", "Avenida de la Libertad", "Calle Trapería",
            "Avenida Primero de Mayo", "Calle Mayor", "Avenida Juan Carlos I"],
        landline_prefixes: &["968"], landline_next: ES_NEXT, stores: &["VAL-01", "AGP-01"], spellings: &[] },
    City { name: "Palma", es: true, weight: 4, postcode: PostcodeRule::Es { prefix: "07", max_district: 15 },
        streets: &["Passeig del Born", "Avinguda de Jaume III", "Carrer de Blanquerna", "Carrer de Sant Miquel",
            "Avinguda d'Alexandre Rosselló", "Carrer de Manacor"],
        landline_prefixes: &["971"], landline_next: ES_NEXT, stores: &["BCN-01"], spellings: &["Palma de Mallorca"] },
    City { name: "Valladolid", es: true, weight: 3, postcode: PostcodeRule::Es { prefix: "47", max_district: 15 },
        streets: &["Calle de Santiago", "Paseo de Zorrilla", "Calle de Miguel Íscar", "Avenida de Segovia",
            "Calle Labradores"],
        landline_prefixes: &["983"], landline_next: ES_NEXT, stores: &["MAD-01", "MAD-02"], spellings: &[] },
    City { name: "Granada", es: true, weight: 3, postcode: PostcodeRule::Es { prefix: "18", max_district: 19 },
        streets: &["Calle Recogidas", "Gran Vía de Colón", "Camino de Ronda", "Calle Reyes Católicos",
            "Avenida de la Constitución", "Calle San Antón"],
        landline_prefixes: &["958"], landline_next: ES_NEXT, stores: &["AGP-01"], spellings: &[] },
    City { name: "A Coruña", es: true, weight: 3, postcode: PostcodeRule::Es { prefix: "15", max_district: 11 },
        streets: &["Rúa Real", "Avenida de la Marina", "Rúa San Andrés", "Avenida de Finisterre",
            "Calle Juan Flórez", "Ronda de Outeiro"],
        landline_prefixes: &["981"], landline_next: ES_NEXT, stores: &["BIO-01"], spellings: &["La Coruña"] },
    City { name: "London", es: false, weight: 45,
        postcode: PostcodeRule::Gb { districts: &["E1", "E8", "E17", "N1", "N7", "N16", "NW1", "NW5", "NW10",
            "SE1", "SE15", "SE22", "SW2", "SW9", "SW11", "W2", "W12", "W5"] },
        streets: &["Baker Street", "Camden Road", "Holloway Road", "Brixton Road", "Kingsland Road",
            "Old Kent Road", "Cromwell Road", "Fulham Palace Road", "Lordship Lane", "Stoke Newington Church Street",
            "Uxbridge Road", "Lavender Hill", "Green Lanes", "Walworth Road"],
        landline_prefixes: &["20"], landline_next: "378", stores: &["LON-01", "LON-02"], spellings: &[] },
    City { name: "Manchester", es: false, weight: 15,
        postcode: PostcodeRule::Gb { districts: &["M1", "M3", "M4", "M8", "M13", "M14", "M16", "M19", "M20", "M21"] },
        streets: &["Oxford Road", "Wilmslow Road", "Deansgate", "Stockport Road", "Burton Road", "Palatine Road",
            "Barlow Moor Road", "Princess Road"],
        landline_prefixes: &["161"], landline_next: "2345678", stores: &["MAN-01"], spellings: &[] },
    City { name: "Leeds", es: false, weight: 10,
        postcode: PostcodeRule::Gb { districts: &["LS1", "LS2", "LS4", "LS6", "LS7", "LS8", "LS11", "LS17"] },
        streets: &["Headingley Lane", "Kirkstall Road", "Otley Road", "Roundhay Road", "Harehills Lane",
            "Woodhouse Lane"],
        landline_prefixes: &["113"], landline_next: "2345", stores: &["LDS-01"], spellings: &[] },
    City { name: "Birmingham", es: false, weight: 15,
        postcode: PostcodeRule::Gb { districts: &["B1", "B5", "B13", "B15", "B16", "B17", "B29", "B30"] },
        streets: &["Bristol Road", "Hagley Road", "Soho Road", "Stratford Road", "Alcester Road",
            "Harborne Lane"],
        landline_prefixes: &["121"], landline_next: "234567", stores: &["MAN-01", "LON-01"], spellings: &[] },
    City { name: "Bristol", es: false, weight: 7,
        postcode: PostcodeRule::Gb { districts: &["BS1", "BS3", "BS5", "BS6", "BS7", "BS8"] },
        streets: &["Gloucester Road", "Whiteladies Road", "North Street", "Stapleton Road", "Park Street"],
        landline_prefixes: &["117"], landline_next: "2349", stores: &["LON-01", "LON-02"], spellings: &[] },
    City { name: "Liverpool", es: false, weight: 8,
        postcode: PostcodeRule::Gb { districts: &["L1", "L6", "L8", "L15", "L17", "L18"] },
        streets: &["Smithdown Road", "Allerton Road", "Lark Lane", "County Road", "Bold Street"],
        landline_prefixes: &["151"], landline_next: "2345678", stores: &["MAN-01"], spellings: &[] },
];

/// Country of each store code: `true` for Spain.
#[rustfmt::skip]
pub static STORES: &[(&str, bool)] = &[
    ("MAD-01", true), ("MAD-02", true), ("MAD-03", true), ("BCN-01", true), ("BCN-02", true),
    ("VAL-01", true), ("SEV-01", true), ("BIO-01", true), ("AGP-01", true), ("ZAZ-01", true),
    ("LON-01", false), ("LON-02", false), ("MAN-01", false), ("LDS-01", false),
];

/// Whether a store is in Spain.
pub fn store_es(code: &str) -> bool {
    STORES
        .iter()
        .find(|(c, _)| *c == code)
        .is_none_or(|(_, es)| *es)
}

/// Index of the city called `name`.
pub fn city_index(name: &str) -> usize {
    CITIES.iter().position(|c| c.name == name).unwrap_or(0)
}

#[rustfmt::skip]
pub static FREE_DOMAINS_ES: &[(&str, u32)] = &[
    ("gmail.com", 40), ("hotmail.com", 10), ("hotmail.es", 8), ("yahoo.es", 10), ("outlook.es", 8),
    ("outlook.com", 7),
];
#[rustfmt::skip]
pub static FREE_DOMAINS_GB: &[(&str, u32)] = &[
    ("gmail.com", 40), ("hotmail.co.uk", 10), ("hotmail.com", 8), ("yahoo.co.uk", 10), ("outlook.com", 15),
];
pub static CUSTOM_DOMAINS_ES: &[&str] = &[
    "telefonica.net",
    "movistar.es",
    "ono.com",
    "icloud.com",
    "protonmail.com",
];
pub static CUSTOM_DOMAINS_GB: &[&str] = &[
    "btinternet.com",
    "sky.com",
    "icloud.com",
    "virginmedia.com",
    "talktalk.net",
];
#[rustfmt::skip]
pub static WORK_DOMAINS_ES: &[&str] = &[
    "construcciones-levante.es", "grupoalborada.es", "asesoria-norte.com", "clinicadentalsol.es",
    "transportesiberia.es", "consultoramediterranea.com", "hotelesdelsur.es", "ayto-ejemplo.es",
    "colegiosanjose.es", "farmaciacentral.es", "ingenieria-atlas.com", "seguroslaestrella.es",
];
#[rustfmt::skip]
pub static WORK_DOMAINS_GB: &[&str] = &[
    "northbridge-logistics.co.uk", "harlowandpartners.co.uk", "greenfield-solicitors.co.uk",
    "pennine-engineering.co.uk", "riverside-health.nhs.uk", "oakwoodacademy.org.uk",
    "brightstone-consulting.co.uk", "mercia-insurance.co.uk",
];
pub static GMAIL_TAGS: &[&str] = &["shop", "tienda", "compras", "ofertas", "web", "promo"];

/// Spanish street-type abbreviations, first match wins.
#[rustfmt::skip]
pub static ABBREV_ES: &[(&str, &str)] = &[
    ("Calle de la ", "C/ la "), ("Calle de ", "C/ "), ("Calle del ", "C/ del "), ("Calle ", "C/ "),
    ("Avenida de la ", "Avda. la "), ("Avenida de ", "Avda. "), ("Avenida del ", "Avda. del "),
    ("Avenida ", "Avda. "), ("Paseo de la ", "Pº "), ("Paseo de ", "Pº "), ("Paseo ", "Pº "),
    ("Carrer de ", "C/ "), ("Carrer d'", "C/ "), ("Carrer del ", "C/ "), ("Avinguda ", "Av. "),
    ("Passeig de ", "Pg. "), ("Passeig del ", "Pg. "), ("Rúa ", "R/ "),
];
/// UK street-type abbreviations, all applied.
pub static ABBREV_GB: &[(&str, &str)] = &[
    (" Street", " St"),
    (" Road", " Rd"),
    (" Lane", " Ln"),
    (" Avenue", " Ave"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_city_is_usable() {
        for c in CITIES {
            assert!(!c.streets.is_empty() && !c.landline_prefixes.is_empty());
            assert!(
                c.stores
                    .iter()
                    .all(|s| STORES.iter().any(|(code, _)| code == s))
            );
            assert!(c.stores.iter().all(|s| store_es(s) == c.es), "{}", c.name);
            match c.postcode {
                PostcodeRule::Es { prefix, .. } => assert!(c.es && prefix.len() == 2),
                PostcodeRule::Gb { districts } => assert!(!c.es && !districts.is_empty()),
            }
        }
        assert_eq!(CITIES[city_index("Sevilla")].name, "Sevilla");
    }
}
