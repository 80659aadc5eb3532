//! Personal names: folding, full-name splitting, nicknames, surname particles and Spanish
//! double surnames. The tables are data (`data/nicknames.csv`, `data/surname_particles.txt`),
//! compiled in and parsed once.

use std::borrow::Cow;

use crate::data;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds a name for matching: NFKD, accents removed, lowercase, punctuation to spaces,
/// whitespace collapsed. `"  JOSÉ-María  O'Neill "` → `"jose maria o neill"`.
pub fn fold_name(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    fold_name_into(raw, &mut out);
    (!out.is_empty()).then_some(out)
}

/// [`fold_name`] into `out` (cleared first), so that a caller folding many words reuses one
/// buffer; `out` is left empty where `fold_name` gives `None`.
pub fn fold_name_into(raw: &str, out: &mut String) {
    out.clear();
    let mut space = false;
    if raw.is_ascii() {
        // NFKD leaves ASCII as it is and ASCII has no combining marks: the same loop on bytes.
        // Most names are letters and digits with single spaces between words: lowercased
        // as they are, without a push per byte.
        let b = raw.as_bytes();
        let mut after_space = true;
        let plain = b.iter().all(|&c| {
            let ok = c.is_ascii_alphanumeric() || (c == b' ' && !after_space);
            after_space = c == b' ';
            ok
        }) && !after_space;
        if plain {
            out.push_str(raw);
            out.make_ascii_lowercase();
            return;
        }
        for b in raw.bytes() {
            if b.is_ascii_alphanumeric() {
                append(out, &mut space, |o| {
                    o.push(char::from(b.to_ascii_lowercase()))
                });
            } else {
                space = true;
            }
        }
        return;
    }
    // Latin letters (below U+0250, as in Spanish, Portuguese, French, German names) fold
    // through a table; any other character sends the whole name down the general path.
    let latin = raw.chars().all(|c| (c as usize) < LATIN_FOLD_END);
    if latin {
        let table = &*LATIN_FOLD;
        for c in raw.chars() {
            // Most characters of such a name are ASCII: folded as on the ASCII path.
            if c.is_ascii() {
                if c.is_ascii_alphanumeric() {
                    append(out, &mut space, |o| o.push(c.to_ascii_lowercase()));
                } else {
                    space = true;
                }
                continue;
            }
            for tok in &table[c as usize] {
                match tok {
                    Tok::Run(s) => append(out, &mut space, |o| o.push_str(s)),
                    Tok::Sep => space = true,
                }
            }
        }
        return;
    }
    fold_general(raw, out);
}

/// [`fold_name_into`] by its definition: NFKD, combining marks dropped, letters and digits
/// lowercased, runs of anything else to one space.
fn fold_general(raw: &str, out: &mut String) {
    out.clear();
    let mut space = false;
    for c in raw.nfkd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            append(out, &mut space, |o| o.extend(c.to_lowercase()));
        } else {
            space = true;
        }
    }
}

/// Adds letters or digits to a folded name with `push`, after one space when a separator came
/// since the last ones (`space`), none at the start.
#[inline]
fn append(out: &mut String, space: &mut bool, push: impl FnOnce(&mut String)) {
    if *space && !out.is_empty() {
        out.push(' ');
    }
    *space = false;
    push(out);
}

/// Characters below this code point fold through [`LATIN_FOLD`].
const LATIN_FOLD_END: usize = 0x250;

/// What one character contributes to a folded name.
enum Tok {
    /// Letters and digits, lowercased.
    Run(Box<str>),
    /// Anything else: a word break.
    Sep,
}

/// How each character below U+0250 (Basic Latin to Latin Extended-B) folds, computed at first
/// use by the general path ([`fold_general`]) one character at a time. Exact for text made
/// only of these characters: NFKD decomposes each character on its own and reorders only
/// combining marks, which folding drops (and none lies below U+0250).
static LATIN_FOLD: std::sync::LazyLock<Vec<Vec<Tok>>> = std::sync::LazyLock::new(|| {
    (0..LATIN_FOLD_END as u32)
        .map(|cp| {
            let mut toks: Vec<Tok> = Vec::new();
            let Some(c) = char::from_u32(cp) else {
                return toks;
            };
            let mut run = String::new();
            for d in std::iter::once(c).nfkd().filter(|d| !is_combining_mark(*d)) {
                if d.is_alphanumeric() {
                    run.extend(d.to_lowercase());
                } else {
                    if !run.is_empty() {
                        toks.push(Tok::Run(std::mem::take(&mut run).into()));
                    }
                    toks.push(Tok::Sep);
                }
            }
            if !run.is_empty() {
                toks.push(Tok::Run(run.into()));
            }
            toks
        })
        .collect()
});

/// Splits a full name into (first, last). `"GARCÍA LÓPEZ, MARÍA"` (surnames, comma, given
/// name, as call centres write it) and `"María García López"` both give
/// (`María`, `García López`). A single word is a first name.
///
/// Without a comma, the given name is the first word plus the words after it that the
/// nickname table knows as given names (optionally after particles): `"José María García
/// López"` gives (`José María`, `García López`), `"María del Carmen Ruiz"` gives
/// (`María del Carmen`, `Ruiz`), `"María de la Fuente"` gives (`María`, `de la Fuente`). At
/// least one word is left for the surname.
pub fn split_full_name(raw: &str) -> (Option<String>, Option<String>) {
    let (first, last) = split_full_name_ref(raw);
    (first.map(Cow::into_owned), last.map(Cow::into_owned))
}

/// [`split_full_name`], borrowing each part from `raw` when its words are already separated
/// by single spaces (as in text that went through a whitespace collapse).
pub fn split_full_name_ref(raw: &str) -> (Option<Cow<'_, str>>, Option<Cow<'_, str>>) {
    let t = raw.trim();
    if t.is_empty() {
        return (None, None);
    }
    if let Some((last, first)) = t.split_once(',') {
        return (non_empty(first), non_empty(last));
    }
    // The words, on the stack for any usual name.
    let (mut few, mut n) = ([""; 12], 0);
    let mut many = Vec::new();
    for w in t.split_whitespace() {
        if n < few.len() {
            few[n] = w;
            n += 1;
        } else {
            many = t.split_whitespace().collect();
            break;
        }
    }
    let words: &[&str] = if many.is_empty() { &few[..n] } else { &many };
    // Words are folded as the scan reaches them, into one buffer: most names stop at the
    // second word.
    let mut buf = String::new();
    fn fold<'b>(w: &str, buf: &'b mut String) -> &'b str {
        fold_name_into(w, buf);
        buf.as_str()
    }
    let mut given = 1;
    let mut k = 1;
    while k + 1 < words.len() {
        // Particles join the given name only when a given name follows them ("del Carmen").
        let mut j = k;
        while j + 1 < words.len() && data::PARTICLES_SET.contains(fold(words[j], &mut buf)) {
            j += 1;
        }
        if j + 1 < words.len() && data::GIVEN_NAMES.contains(fold(words[j], &mut buf)) {
            given = j + 1;
            k = j + 1;
        } else {
            break;
        }
    }
    (
        Some(joined(t, &words[..given])),
        (given < words.len()).then(|| joined(t, &words[given..])),
    )
}

/// `words` (consecutive words of `t`, at least one) joined by single spaces: the slice of `t`
/// they span when it is exactly that.
fn joined<'t>(t: &'t str, words: &[&'t str]) -> Cow<'t, str> {
    let offset = |w: &str| w.as_ptr() as usize - t.as_ptr() as usize;
    let (a, b) = (words[0], words[words.len() - 1]);
    let span = &t[offset(a)..offset(b) + b.len()];
    if span.len() == words.iter().map(|w| w.len() + 1).sum::<usize>() - 1
        && span.bytes().filter(|&c| c == b' ').count() == words.len() - 1
    {
        Cow::Borrowed(span)
    } else {
        Cow::Owned(words.join(" "))
    }
}

/// The formal first name of a nickname, folded (`"Pepe"` → `jose`, `"Bill"` → `william`,
/// `"Mari Carmen"` → `maria del carmen`), from the nickname table in
/// `data/nicknames.csv`; any other name comes back folded ([`fold_name`]). A compound name
/// not in the table maps word by word (`"Pepe Luis"` → `jose luis`). Borrows when the input
/// is already folded and not a nickname, so comparing `first_name_norm` values is cheap.
///
/// ```
/// use omni_normalize::name::canonical_first;
/// assert_eq!(canonical_first("Paco"), canonical_first("francisco"));
/// assert_eq!(canonical_first("Lola"), "dolores");
/// assert_eq!(canonical_first("María"), "maria");
/// ```
pub fn canonical_first(name: &str) -> Cow<'_, str> {
    let key: Cow<'_, str> = if is_folded(name) {
        Cow::Borrowed(name)
    } else {
        match fold_name(name) {
            Some(f) => Cow::Owned(f),
            None => return Cow::Borrowed(""),
        }
    };
    let table: &'static std::collections::HashMap<String, String> = &data::NICKNAME;
    if let Some(formal) = table.get(key.as_ref()) {
        return Cow::Borrowed(formal.as_str());
    }
    if key.contains(' ') && key.split(' ').any(|w| table.contains_key(w)) {
        let words: Vec<&str> = key
            .split(' ')
            .map(|w| table.get(w).map(String::as_str).unwrap_or(w))
            .collect();
        return Cow::Owned(words.join(" "));
    }
    key
}

/// Already in [`fold_name`]'s form: lowercase ASCII letters and digits, single spaces.
fn is_folded(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(' ')
        && !s.ends_with(' ')
        && !s.contains("  ")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' ')
}

/// Whether a word is a surname particle (`de`, `del`, `la`, `van`, `von`, `y`, ...; the list
/// is `data/surname_particles.txt`), in any case.
pub fn is_particle(word: &str) -> bool {
    word.len() <= 6
        && word.is_ascii()
        && data::PARTICLES_SET.contains(word.to_ascii_lowercase().as_str())
}

/// The words of a surname (separated by spaces or hyphens) that identify it, without
/// particles: `"de la Fuente y García"` → `["Fuente", "García"]`, `"van der Berg"` →
/// `["Berg"]`. A surname made only of particles (`"Le"`, `"Da"`) keeps its words.
pub fn surname_tokens(last: &str) -> Vec<&str> {
    let words: Vec<&str> = words(last).map(|(s, e)| &last[s..e]).collect();
    let kept: Vec<&str> = words.iter().copied().filter(|w| !is_particle(w)).collect();
    if kept.is_empty() { words } else { kept }
}

/// Splits Spanish double surnames into (first surname, second surname), keeping particles
/// with the surname they introduce: `"García López"` → (`García`, `López`), `"de la Fuente
/// García"` → (`de la Fuente`, `García`), `"García-López"` and `"García y López"` → (`García`,
/// `López`), `"Ruiz de la Torre"` → (`Ruiz`, `de la Torre`), `"van der Berg"` → (`van der
/// Berg`, none). Matching can then compare the first surname alone, which is what a
/// customer keeps when a form has room for one.
pub fn split_surnames(last: &str) -> (&str, Option<&str>) {
    let spans: Vec<(usize, usize)> = words(last).collect();
    let Some(first_main) = spans.iter().position(|&(s, e)| !is_particle(&last[s..e])) else {
        return (last.trim(), None);
    };
    let first = &last[spans[0].0..spans[first_main].1];
    let mut rest = first_main + 1;
    // A conjunction between the two surnames belongs to neither.
    while rest < spans.len()
        && matches!(
            last[spans[rest].0..spans[rest].1]
                .to_ascii_lowercase()
                .as_str(),
            "y" | "i" | "e"
        )
    {
        rest += 1;
    }
    let second = (rest < spans.len()).then(|| &last[spans[rest].0..spans[spans.len() - 1].1]);
    (first, second)
}

/// Byte ranges of the words of a name: split on whitespace and hyphens, surrounding
/// punctuation (`.`, `,`, quotes) trimmed.
fn words(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        if c.is_whitespace() || c == '-' {
            if let Some(st) = start.take() {
                let w = &s[st..i];
                let trimmed = w.trim_matches(|c: char| !c.is_alphanumeric());
                if !trimmed.is_empty() {
                    let off =
                        st + (w.len() - w.trim_start_matches(|c: char| !c.is_alphanumeric()).len());
                    out.push((off, off + trimmed.len()));
                }
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    out.into_iter()
}

fn non_empty(s: &str) -> Option<Cow<'_, str>> {
    let words: Vec<&str> = s.split_whitespace().collect();
    let t = s.trim();
    (!words.is_empty()).then(|| joined(t, &words))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_and_punctuation() {
        assert_eq!(
            fold_name("  JOSÉ-María  O'Neill ").as_deref(),
            Some("jose maria o neill")
        );
        assert_eq!(fold_name("Núñez").as_deref(), Some("nunez"));
        assert_eq!(fold_name("Ｍａｒｉａ").as_deref(), Some("maria")); // full-width
        assert_eq!(fold_name(" - "), None);
    }

    /// The ASCII shortcut folds as the general path does.
    #[test]
    fn ascii_names_fold_as_unicode_ones() {
        let general = |raw: &str| {
            let mut out = String::new();
            let mut space = false;
            for c in raw.nfkd().filter(|c| !is_combining_mark(*c)) {
                if c.is_alphanumeric() {
                    if space && !out.is_empty() {
                        out.push(' ');
                    }
                    space = false;
                    out.extend(c.to_lowercase());
                } else {
                    space = true;
                }
            }
            (!out.is_empty()).then_some(out)
        };
        let all: String = (0u8..128).map(char::from).collect();
        for raw in [
            all.as_str(),
            "  JOHN-Paul  O'Neill ",
            "mary_ann",
            "A.B.",
            "x\t\ny",
            "",
            " - ",
            "Smith2",
        ] {
            assert_eq!(fold_name(raw), general(raw), "{raw:?}");
        }
    }

    #[test]
    fn splits_both_orders() {
        let want = (Some("María".to_string()), Some("García López".to_string()));
        assert_eq!(split_full_name("María García López"), want);
        assert_eq!(split_full_name("García López, María"), want);
        assert_eq!(split_full_name("Cher"), (Some("Cher".into()), None));
        assert_eq!(split_full_name("  "), (None, None));
    }

    /// The borrowing split gives the parts the reference definition (split on whitespace,
    /// join with single spaces) gives, and borrows exactly when the input's spacing is clean.
    #[test]
    fn borrowed_parts_match_the_joined_ones() {
        let cases = [
            "María García López",
            "  José   María\tGarcía  López ",
            "María del Carmen Ruiz Gil",
            "María\u{a0}de la Fuente",
            "García López ,  María",
            "GARCÍA  LÓPEZ, MARÍA JOSÉ",
            "Cher",
            ", Ana",
            "Ruiz,",
            "Juan Carlos Pérez",
        ];
        for raw in cases {
            let (first, last) = split_full_name_ref(raw);
            let reference = |part: Option<&str>| {
                part.map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
                    .filter(|p| !p.is_empty())
            };
            assert_eq!(
                first.as_deref(),
                reference(first.as_deref()).as_deref(),
                "{raw:?}"
            );
            assert_eq!(
                last.as_deref(),
                reference(last.as_deref()).as_deref(),
                "{raw:?}"
            );
            let (f2, l2) = split_full_name(raw);
            assert_eq!(
                (first.as_deref(), last.as_deref()),
                (f2.as_deref(), l2.as_deref())
            );
            let clean = !raw.contains("  ")
                && !raw.contains(['\t', '\u{a0}'])
                && !raw.contains(" ,")
                && !raw.contains(",  ");
            if clean {
                for part in [&first, &last].into_iter().flatten() {
                    assert!(matches!(part, Cow::Borrowed(_)), "{raw:?}: {part:?}");
                }
            }
        }
        assert_eq!(
            split_full_name_ref("  José   María\tGarcía  López "),
            (Some("José María".into()), Some("García López".into()))
        );
        // Past the words kept on the stack: every given name still joins the first part.
        let given = ["María"; 13].join(" ");
        let raw = format!("{given} del  Carmen Ruiz");
        let (first, last) = split_full_name_ref(&raw);
        assert_eq!(
            first.as_deref(),
            Some(format!("{given} del Carmen").as_str())
        );
        assert_eq!(last.as_deref(), Some("Ruiz"));
    }

    /// The Latin table folds every text made of its characters as the definition does:
    /// each character alone, and 20,000 random names mixing them with separators, marks and
    /// other scripts (those take the general path).
    #[test]
    fn latin_table_folds_as_the_definition() {
        let reference = |s: &str| {
            let mut out = String::new();
            fold_general(s, &mut out);
            out
        };
        let mut out = String::new();
        for cp in 0..LATIN_FOLD_END as u32 {
            let c = char::from_u32(cp).unwrap();
            for s in [c.to_string(), format!("a{c}b"), format!("{c} {c}x")] {
                fold_name_into(&s, &mut out);
                assert_eq!(out, reference(&s), "{s:?}");
            }
        }
        let pool: Vec<char> = (0x20..LATIN_FOLD_END as u32)
            .filter_map(char::from_u32)
            .chain(['\u{301}', '\u{a0}', 'Ω', 'Ж', 'ﬁ', '\t', '-'])
            .collect();
        // Half the names from the whole pool, half ASCII, mostly letters and single spaces
        // (the lowercased-as-is path).
        let ascii = b"aZk9  -.'";
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for round in 0..40_000 {
            let mut s = String::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for k in 0..(x % 12) {
                let r = (x >> (k * 5)) as usize;
                s.push(if round % 2 == 0 {
                    pool[r % pool.len()]
                } else if r.is_multiple_of(4) {
                    char::from(ascii[r / 4 % ascii.len()])
                } else {
                    char::from(ascii[r % 4])
                });
            }
            fold_name_into(&s, &mut out);
            assert_eq!(out, reference(&s), "{s:?}");
        }
    }

    fn split(s: &str) -> (String, String) {
        let (f, l) = split_full_name(s);
        (f.unwrap_or_default(), l.unwrap_or_default())
    }

    #[test]
    fn splits_compound_given_names() {
        let cases = [
            ("José María García López", "José María", "García López"),
            ("Juan Carlos Pérez", "Juan Carlos", "Pérez"),
            ("María del Carmen Ruiz Gil", "María del Carmen", "Ruiz Gil"),
            ("María de los Ángeles Sanz", "María de los Ángeles", "Sanz"),
            ("María de la Fuente", "María", "de la Fuente"),
            ("Ana García", "Ana", "García"),
            ("JOHN SMITH", "JOHN", "SMITH"),
            ("John Ronald Tolkien", "John Ronald", "Tolkien"),
            ("John Baker Smith", "John", "Baker Smith"),
            ("José María", "José", "María"),
            ("Ludwig van Beethoven", "Ludwig", "van Beethoven"),
        ];
        for (full, first, last) in cases {
            assert_eq!(split(full), (first.to_string(), last.to_string()), "{full}");
        }
    }

    #[test]
    fn nicknames_map_to_formal_names() {
        for (nick, formal) in [
            ("Pepe", "José"),
            ("PACO", "Francisco"),
            ("Curro", "Francisco"),
            ("Lola", "Dolores"),
            ("Concha", "Concepción"),
            ("Chema", "José María"),
            ("Mari Carmen", "María del Carmen"),
            ("Bill", "William"),
            ("bob", "Robert"),
            ("Liz", "Elizabeth"),
            ("Peggy", "Margaret"),
            ("Toño", "Antonio"),
        ] {
            assert_eq!(canonical_first(nick), canonical_first(formal), "{nick}");
        }
        assert_eq!(canonical_first("Pepe Luis"), "jose luis");
        assert_eq!(canonical_first(" JOSÉ "), "jose");
        assert_eq!(canonical_first("-"), "");
        // Already folded and not a nickname: borrowed, no allocation.
        assert!(matches!(canonical_first("maria"), Cow::Borrowed("maria")));
        assert!(matches!(canonical_first("pepe"), Cow::Borrowed("jose")));
    }

    #[test]
    fn surname_tokens_drop_particles() {
        assert_eq!(
            surname_tokens("de la Fuente y García"),
            vec!["Fuente", "García"]
        );
        assert_eq!(surname_tokens("van der Berg"), vec!["Berg"]);
        assert_eq!(surname_tokens("García-López"), vec!["García", "López"]);
        assert_eq!(surname_tokens("O'Neill"), vec!["O'Neill"]);
        assert_eq!(surname_tokens("Le"), vec!["Le"]);
        assert_eq!(surname_tokens("  DEL  Río. "), vec!["Río"]);
        assert!(surname_tokens("").is_empty());
    }

    #[test]
    fn double_surnames() {
        assert_eq!(split_surnames("García López"), ("García", Some("López")));
        assert_eq!(
            split_surnames("de la Fuente García"),
            ("de la Fuente", Some("García"))
        );
        assert_eq!(split_surnames("García-López"), ("García", Some("López")));
        assert_eq!(split_surnames("García y López"), ("García", Some("López")));
        assert_eq!(
            split_surnames("Ruiz de la Torre"),
            ("Ruiz", Some("de la Torre"))
        );
        assert_eq!(split_surnames("van der Berg"), ("van der Berg", None));
        assert_eq!(split_surnames("Smith"), ("Smith", None));
        assert_eq!(split_surnames(" de "), ("de", None));
    }
}
