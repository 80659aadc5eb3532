//! Name data: first names and surnames with realistic frequency weights (approximate
//! counts of holders, in thousands, after Spain's INE and the UK's ONS lists), nicknames and
//! the emoji of WhatsApp profile names. Places are in [`crate::places`].

/// Spanish female first names, weighted.
#[rustfmt::skip]
pub static ES_FIRST_F: &[(&str, u32)] = &[
    ("María del Carmen", 650), ("María", 600), ("Carmen", 380), ("Ana María", 280),
    ("Josefa", 250), ("Isabel", 240), ("Laura", 240), ("María Pilar", 230),
    ("María Dolores", 230), ("María José", 240), ("Lucía", 220), ("Ana", 220),
    ("Cristina", 200), ("Marta", 200), ("María Teresa", 190), ("Francisca", 190),
    ("Antonia", 180), ("María Ángeles", 170), ("Dolores", 170), ("Sara", 160),
    ("Paula", 160), ("Elena", 160), ("María Isabel", 150), ("Rosa María", 140),
    ("Raquel", 140), ("Pilar", 140), ("Manuela", 140), ("Concepción", 130),
    ("Mercedes", 120), ("Julia", 120), ("Beatriz", 120), ("Alba", 120), ("Nuria", 110),
    ("Silvia", 110), ("Irene", 110), ("Patricia", 110), ("Rocío", 110), ("Andrea", 110),
    ("Rosario", 100), ("Juana", 100), ("Teresa", 100), ("Montserrat", 100),
    ("Encarnación", 90), ("Mónica", 90), ("Alicia", 90), ("Marina", 90), ("Sonia", 90),
    ("Sandra", 90), ("Susana", 85), ("Rosa", 85), ("Yolanda", 85), ("Ángela", 80),
    ("Natalia", 80), ("Margarita", 80), ("María Jesús", 75), ("Claudia", 75),
    ("Sofía", 75), ("Inmaculada", 70), ("Eva María", 70), ("Carla", 70), ("Esther", 70),
    ("Noelia", 65), ("Verónica", 65), ("Eva", 65), ("Carolina", 60), ("Nerea", 60),
    ("Daniela", 60), ("Inés", 55), ("Miriam", 55), ("Lorena", 55), ("Victoria", 55),
    ("Ana Isabel", 55), ("Amparo", 55), ("Lidia", 50), ("Celia", 50), ("Martina", 50),
    ("Aurora", 50), ("Consuelo", 50), ("Catalina", 45), ("Gloria", 45), ("Emilia", 45),
    ("Esperanza", 45), ("Begoña", 40), ("Ainhoa", 40), ("Guadalupe", 40),
    ("Ana Belén", 40), ("Valeria", 40), ("Olga", 40), ("Lourdes", 40), ("Vanesa", 40),
    ("Fátima", 35), ("Belén", 35), ("Blanca", 35), ("Leire", 30), ("Maite", 30),
    ("Almudena", 30), ("Remedios", 30), ("Judith", 25), ("Noa", 25), ("Milagros", 25),
    ("Irati", 15), ("Montse", 10), ("Covadonga", 8), ("Núria", 20), ("Àngels", 8),
];

/// Spanish male first names, weighted.
#[rustfmt::skip]
pub static ES_FIRST_M: &[(&str, u32)] = &[
    ("Antonio", 650), ("José", 600), ("Manuel", 580), ("Francisco", 520), ("David", 370),
    ("Juan", 370), ("José Antonio", 360), ("Javier", 350), ("Daniel", 330),
    ("José Luis", 320), ("Francisco Javier", 300), ("Carlos", 290), ("Jesús", 280),
    ("Alejandro", 280), ("Miguel", 260), ("José Manuel", 260), ("Rafael", 240),
    ("Miguel Ángel", 240), ("Pablo", 230), ("Pedro", 220), ("Ángel", 210),
    ("Sergio", 210), ("José María", 200), ("Fernando", 200), ("Jorge", 190), ("Luis", 190),
    ("Alberto", 170), ("Juan Carlos", 160), ("Álvaro", 160), ("Adrián", 160),
    ("Juan José", 150), ("Diego", 150), ("Raúl", 140), ("Iván", 140),
    ("Juan Antonio", 140), ("Rubén", 130), ("Enrique", 130), ("Óscar", 130),
    ("Ramón", 120), ("Andrés", 110), ("Vicente", 110), ("Joaquín", 110),
    ("Santiago", 100), ("Víctor", 100), ("Mario", 100), ("Roberto", 100),
    ("Eduardo", 95), ("Marcos", 95), ("Jaime", 90), ("Francisco José", 90),
    ("Ignacio", 90), ("Alfonso", 85), ("Salvador", 85), ("Hugo", 85), ("Ricardo", 80),
    ("Emilio", 75), ("Guillermo", 75), ("Gabriel", 70), ("Marc", 70), ("Julián", 70),
    ("Julio", 70), ("Tomás", 65), ("Gonzalo", 65), ("Agustín", 65), ("Mohamed", 65),
    ("Lucas", 60), ("Martín", 60), ("Nicolás", 60), ("Felipe", 55), ("Joan", 55),
    ("Jordi", 55), ("Ismael", 50), ("Cristian", 50), ("Samuel", 50), ("Héctor", 50),
    ("Rodrigo", 45), ("Aitor", 45), ("Iker", 45), ("Mikel", 40), ("Xavier", 40),
    ("Domingo", 40), ("Mateo", 35), ("Sebastián", 35), ("Germán", 35), ("Lorenzo", 35),
    ("Íñigo", 30), ("Asier", 30), ("Unai", 30), ("Borja", 30), ("Bruno", 30), ("Pau", 30),
    ("Esteban", 30), ("Benito", 25), ("Leo", 25), ("Gorka", 20), ("Fermín", 15),
    ("Xabier", 10), ("Oriol", 20), ("Sergi", 25), ("Josep", 40),
];

/// English female first names, weighted.
#[rustfmt::skip]
pub static EN_FIRST_F: &[(&str, u32)] = &[
    ("Sarah", 100), ("Emma", 90), ("Laura", 80), ("Emily", 80), ("Charlotte", 80),
    ("Jessica", 75), ("Sophie", 75), ("Claire", 70), ("Rebecca", 70), ("Hannah", 70),
    ("Olivia", 70), ("Lucy", 65), ("Amy", 65), ("Chloe", 60), ("Elizabeth", 55),
    ("Rachel", 55), ("Helen", 55), ("Katherine", 50), ("Grace", 50), ("Susan", 50),
    ("Nicola", 50), ("Victoria", 50), ("Amelia", 50), ("Margaret", 45), ("Megan", 45),
    ("Karen", 45), ("Michelle", 45), ("Lisa", 45), ("Zoe", 40), ("Joanne", 40),
    ("Ava", 40), ("Ella", 40), ("Lily", 40), ("Alice", 40), ("Jennifer", 40), ("Jane", 40),
    ("Caroline", 40), ("Louise", 40), ("Samantha", 40), ("Catherine", 40), ("Isla", 35),
    ("Mia", 35), ("Ruby", 35), ("Anne", 35), ("Natalie", 35), ("Gemma", 35), ("Holly", 35),
    ("Eleanor", 35), ("Julie", 35), ("Bethany", 30), ("Abigail", 30), ("Deborah", 30),
    ("Alison", 30), ("Stephanie", 30), ("Georgia", 30), ("Kirsty", 25), ("Patricia", 25),
    ("Fiona", 25), ("Hayley", 25), ("Freya", 25),
];

/// English male first names, weighted.
#[rustfmt::skip]
pub static EN_FIRST_M: &[(&str, u32)] = &[
    ("James", 100), ("David", 95), ("John", 90), ("Michael", 85), ("Thomas", 75),
    ("Paul", 70), ("Andrew", 70), ("Daniel", 70), ("Christopher", 70), ("Robert", 65),
    ("William", 65), ("Oliver", 65), ("Jack", 65), ("Harry", 60), ("Matthew", 60),
    ("George", 55), ("Richard", 55), ("Mark", 55), ("Peter", 50), ("Stephen", 50),
    ("Samuel", 45), ("Joseph", 45), ("Benjamin", 45), ("Adam", 45), ("Joshua", 45),
    ("Luke", 40), ("Ryan", 40), ("Alexander", 40), ("Charlie", 40), ("Connor", 35),
    ("Jamie", 35), ("Ian", 35), ("Steven", 35), ("Simon", 35), ("Anthony", 35),
    ("Jonathan", 35), ("Nicholas", 35), ("Edward", 35), ("Jacob", 35), ("Noah", 35),
    ("Leo", 35), ("Oscar", 35), ("Liam", 35), ("Gary", 30), ("Kevin", 30), ("Martin", 30),
    ("Alfie", 30), ("Callum", 30), ("Scott", 30), ("Philip", 30), ("Craig", 25),
    ("Lee", 25), ("Neil", 25), ("Kieran", 25), ("Graham", 25), ("Brian", 25),
    ("Patrick", 25), ("Sean", 25), ("Dean", 20), ("Keith", 20),
];

/// Spanish surnames, weighted.
#[rustfmt::skip]
pub static ES_SURNAMES: &[(&str, u32)] = &[
    ("García", 1450), ("Rodríguez", 930), ("González", 920), ("Fernández", 900),
    ("López", 870), ("Martínez", 830), ("Sánchez", 810), ("Pérez", 770), ("Gómez", 490),
    ("Martín", 490), ("Jiménez", 390), ("Ruiz", 360), ("Hernández", 350), ("Díaz", 340),
    ("Moreno", 320), ("Muñoz", 290), ("Álvarez", 290), ("Romero", 230), ("Alonso", 220),
    ("Gutiérrez", 220), ("Navarro", 200), ("Torres", 200), ("Domínguez", 190),
    ("Vázquez", 180), ("Ramos", 180), ("Gil", 180), ("Ramírez", 170), ("Serrano", 170),
    ("Blanco", 170), ("Molina", 160), ("Morales", 160), ("Suárez", 160), ("Ortega", 160),
    ("Delgado", 150), ("Castro", 150), ("Ortiz", 150), ("Rubio", 150), ("Marín", 140),
    ("Sanz", 140), ("Núñez", 140), ("Iglesias", 135), ("Medina", 130), ("Garrido", 130),
    ("Cortés", 125), ("Castillo", 125), ("Santos", 125), ("Lozano", 120),
    ("Guerrero", 120), ("Cano", 120), ("Prieto", 120), ("Méndez", 115), ("Cruz", 115),
    ("Calvo", 110), ("Gallego", 110), ("Herrera", 110), ("Márquez", 110), ("León", 105),
    ("Vidal", 105), ("Peña", 105), ("Flores", 105), ("Cabrera", 100), ("Campos", 100),
    ("Vega", 100), ("Fuentes", 95), ("Carrasco", 95), ("Díez", 95), ("Reyes", 90),
    ("Caballero", 90), ("Nieto", 90), ("Aguilar", 90), ("Pascual", 88), ("Santana", 88),
    ("Herrero", 87), ("Lorenzo", 86), ("Montero", 85), ("Hidalgo", 84), ("Giménez", 83),
    ("Ibáñez", 82), ("Ferrer", 82), ("Durán", 80), ("Santiago", 80), ("Benítez", 79),
    ("Vargas", 78), ("Mora", 78), ("Vicente", 77), ("Arias", 76), ("Carmona", 75),
    ("Crespo", 75), ("Román", 74), ("Pastor", 73), ("Soto", 72), ("Sáez", 71),
    ("Velasco", 70), ("Moya", 70), ("Soler", 69), ("Parra", 68), ("Esteban", 68),
    ("Bravo", 67), ("Gallardo", 66), ("Rojas", 65), ("Pardo", 60), ("Merino", 60),
    ("Franco", 60), ("Espinosa", 60), ("Izquierdo", 58), ("Lara", 58), ("Rivas", 57),
    ("Silva", 57), ("Rivera", 56), ("Casado", 55), ("Arroyo", 55), ("Redondo", 55),
    ("Camacho", 55), ("Rey", 54), ("Vera", 54), ("Otero", 54), ("Luque", 53),
    ("Galán", 53), ("Montes", 52), ("Ríos", 52), ("Sierra", 52), ("Segura", 51),
    ("Carrillo", 51), ("Marcos", 50), ("Martí", 49), ("Soriano", 48), ("Mendoza", 48),
    ("Robles", 47), ("Bernal", 47), ("Vila", 46), ("Valero", 46), ("Palacios", 45),
    ("Pereira", 45), ("Benito", 45), ("Macías", 44), ("Varela", 44), ("Guerra", 44),
    ("Heredia", 43), ("Roldán", 43), ("Andrés", 43), ("Contreras", 42), ("Villar", 42),
    ("Miranda", 42), ("Guillén", 41), ("Mateo", 41), ("Bueno", 41), ("Beltrán", 40),
    ("Aparicio", 40), ("Jurado", 40), ("Salazar", 39), ("Rosa", 39), ("Cuesta", 38),
    ("Escobar", 38), ("Navas", 37), ("Trujillo", 37), ("Ávila", 36), ("Quintana", 36),
    ("Paredes", 35), ("Acosta", 35), ("Blázquez", 35), ("Calderón", 34), ("Serra", 34),
    ("Salas", 34), ("Orozco", 33), ("Tapia", 33), ("Osorio", 32), ("Cobo", 32),
    ("Roca", 30), ("Casas", 30), ("Peláez", 30), ("Carretero", 30), ("Puig", 30),
    ("Aguirre", 30), ("Castaño", 28), ("Costa", 25), ("Mas", 20), ("Etxeberria", 20),
    ("Echevarría", 15), ("Urrutia", 15), ("Pujol", 15), ("Riera", 15), ("Font", 15),
    ("Sala", 15), ("Ferrández", 12), ("Rovira", 12), ("Garmendia", 10), ("Bilbao", 10),
    ("Goikoetxea", 8), ("Arrieta", 8), ("Castells", 8), ("Serrat", 8), ("Iturbe", 6),
    ("Zubizarreta", 6), ("Busquets", 6), ("Ordóñez", 30), ("Zamora", 30), ("Toledo", 28),
];

/// English surnames, weighted.
#[rustfmt::skip]
pub static EN_SURNAMES: &[(&str, u32)] = &[
    ("Smith", 500), ("Jones", 400), ("Williams", 300), ("Taylor", 280), ("Brown", 270),
    ("Davies", 250), ("Evans", 200), ("Wilson", 190), ("Thomas", 185), ("Johnson", 180),
    ("Roberts", 175), ("Robinson", 160), ("Thompson", 155), ("Wright", 150),
    ("Walker", 145), ("White", 140), ("Edwards", 135), ("Hughes", 130), ("Green", 128),
    ("Hall", 126), ("Lewis", 125), ("Harris", 124), ("Clarke", 120), ("Patel", 118),
    ("Jackson", 115), ("Wood", 112), ("Turner", 110), ("Martin", 108), ("Cooper", 106),
    ("Hill", 105), ("Ward", 104), ("Morris", 103), ("Moore", 102), ("Clark", 100),
    ("Lee", 98), ("King", 97), ("Baker", 96), ("Harrison", 95), ("Morgan", 94),
    ("Allen", 93), ("James", 92), ("Scott", 91), ("Phillips", 90), ("Watson", 89),
    ("Davis", 88), ("Parker", 87), ("Price", 86), ("Bennett", 85), ("Young", 84),
    ("Griffiths", 83), ("Mitchell", 82), ("Kelly", 81), ("Cook", 80), ("Carter", 79),
    ("Richardson", 78), ("Bailey", 77), ("Collins", 76), ("Bell", 75), ("Shaw", 74),
    ("Murphy", 73), ("Miller", 72), ("Cox", 71), ("Richards", 70), ("Khan", 70),
    ("Marshall", 68), ("Anderson", 67), ("Simpson", 66), ("Ellis", 65), ("Adams", 64),
    ("Singh", 63), ("Begum", 62), ("Wilkinson", 61), ("Foster", 60), ("Chapman", 59),
    ("Powell", 58), ("Webb", 57), ("Rogers", 56), ("Gray", 55), ("Mason", 54), ("Ali", 53),
    ("Hunt", 52), ("Hussain", 51), ("Campbell", 50), ("Matthews", 49), ("Owen", 48),
    ("Palmer", 47), ("Holmes", 46), ("Mills", 45), ("Barnes", 44), ("Knight", 43),
    ("Lloyd", 42), ("Butler", 41), ("Russell", 40), ("Barker", 39), ("Fisher", 38),
    ("Stevens", 37), ("Jenkins", 36), ("Murray", 35), ("Dixon", 34), ("Harvey", 33),
    ("O'Brien", 30), ("Graham", 30), ("Pearson", 30), ("Ahmed", 30), ("O'Connor", 25),
];

/// Nicknames and short forms by first name (Spanish and English).
#[rustfmt::skip]
pub static NICKNAMES: &[(&str, &[&str])] = &[
    ("María", &["Mari", "Maria"]), ("José", &["Pepe"]), ("Josefa", &["Pepa"]),
    ("Francisco", &["Paco", "Fran", "Curro"]), ("Francisco Javier", &["Javi", "Fran"]),
    ("Francisco José", &["Fran"]), ("Javier", &["Javi"]), ("Alejandro", &["Álex", "Alex"]),
    ("Guadalupe", &["Lupe"]), ("Dolores", &["Lola", "Loli"]), ("María Dolores", &["Lola", "Loli"]),
    ("Concepción", &["Concha", "Conchi"]), ("Jesús", &["Chus"]),
    ("Manuel", &["Manolo", "Manu"]), ("José María", &["Chema"]), ("Ignacio", &["Nacho"]),
    ("Cristina", &["Cris"]), ("Daniel", &["Dani", "Dan"]), ("Rafael", &["Rafa"]),
    ("Antonio", &["Toni"]), ("José Antonio", &["Toni"]), ("Fernando", &["Fer", "Nando"]),
    ("Beatriz", &["Bea"]), ("Patricia", &["Patri", "Pat"]), ("Montserrat", &["Montse"]),
    ("María José", &["Majo", "Mª José"]), ("María del Carmen", &["Mari Carmen", "Maica"]),
    ("Carmen", &["Mamen"]), ("José Luis", &["Joselu"]), ("Juan Carlos", &["Juanca"]),
    ("Juan José", &["Juanjo"]), ("Juan Antonio", &["Juanan"]), ("Miguel Ángel", &["Migue"]),
    ("Encarnación", &["Encarna"]), ("Inmaculada", &["Inma"]), ("Rosario", &["Charo"]),
    ("Mercedes", &["Merche"]), ("Enrique", &["Quique"]), ("Eduardo", &["Edu"]),
    ("Santiago", &["Santi"]), ("Guillermo", &["Guille"]), ("Roberto", &["Rober"]),
    ("Nicolás", &["Nico"]), ("Sebastián", &["Sebas"]), ("Salvador", &["Salva"]),
    ("Margarita", &["Marga"]), ("Teresa", &["Tere"]), ("María Teresa", &["Maite"]),
    ("Begoña", &["Bego"]), ("Esperanza", &["Espe"]), ("Consuelo", &["Chelo"]),
    ("Elizabeth", &["Liz", "Beth"]), ("William", &["Will", "Bill"]),
    ("Robert", &["Rob", "Bob"]), ("James", &["Jim", "Jamie"]), ("Margaret", &["Maggie"]),
    ("Katherine", &["Kate", "Katie"]), ("Catherine", &["Cathy", "Kate"]),
    ("Thomas", &["Tom"]), ("Christopher", &["Chris"]), ("Samuel", &["Sam"]),
    ("Benjamin", &["Ben"]), ("Rebecca", &["Becky"]), ("Michael", &["Mike"]),
    ("Richard", &["Rich"]), ("Anthony", &["Tony"]), ("Andrew", &["Andy"]),
    ("Edward", &["Ed", "Ted"]), ("Joseph", &["Joe"]), ("Matthew", &["Matt"]),
    ("Nicholas", &["Nick"]), ("Jonathan", &["Jon"]), ("Alexander", &["Alex"]),
    ("David", &["Dave"]), ("Stephen", &["Steve"]), ("Steven", &["Steve"]),
    ("Philip", &["Phil"]), ("Peter", &["Pete"]), ("Jennifer", &["Jen", "Jenny"]),
    ("Samantha", &["Sam"]), ("Victoria", &["Vicky"]), ("Abigail", &["Abby"]),
    ("Eleanor", &["Ellie"]), ("Susan", &["Sue"]), ("Deborah", &["Debbie"]),
    ("Nicola", &["Nicky"]),
];

/// Emoji of WhatsApp profile names.
#[rustfmt::skip]
pub static EMOJIS: &[&str] = &["🌸", "✨", "🌞", "⚽", "💙", "🙂", "🌻", "🐾", "🎶", "❤️", "🌊", "☕"];

/// A namesake template: (Spanish?, female?, first, surname, second surname, city).
pub type Namesake = (
    bool,
    bool,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
);

/// Namesake templates.
#[rustfmt::skip]
pub static NAMESAKES: &[Namesake] = &[
    (true, true, "María", "García", Some("López"), "Madrid"),
    (true, false, "José", "Martínez", Some("Sánchez"), "Sevilla"),
    (true, true, "Laura", "Fernández", Some("Ruiz"), "Barcelona"),
    (false, false, "James", "Smith", None, "London"),
    (true, false, "Antonio", "Rodríguez", Some("González"), "Valencia"),
    (false, true, "Sarah", "Jones", None, "Manchester"),
    (true, true, "Carmen", "López", Some("García"), "Málaga"),
    (true, false, "David", "González", Some("Pérez"), "Zaragoza"),
];

/// The nicknames of `first`, if it has any.
pub fn nicknames(first: &str) -> Option<&'static [&'static str]> {
    NICKNAMES.iter().find(|(n, _)| *n == first).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sane() {
        for t in [
            ES_FIRST_F,
            ES_FIRST_M,
            EN_FIRST_F,
            EN_FIRST_M,
            ES_SURNAMES,
            EN_SURNAMES,
        ] {
            assert!(t.len() >= 60);
            let mut names: Vec<&str> = t.iter().map(|(n, _)| *n).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), t.len(), "duplicate name");
            assert!(
                t.iter()
                    .all(|(n, w)| *w > 0 && !n.contains(',') && !n.contains('"'))
            );
        }
        assert_eq!(nicknames("José"), Some(&["Pepe"][..]));
        assert!(nicknames("Robert").unwrap().contains(&"Bob"));
        assert!(nicknames("William").unwrap().contains(&"Bill"));
    }
}
