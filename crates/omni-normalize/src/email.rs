//! Email addresses.

/// A normalised email: the address as the customer typed it, lowercased and trimmed, and a
/// match key that folds provider aliases (gmail dots and `+tags`, googlemail.com).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedEmail {
    pub address: String,
    pub match_key: String,
}

/// Normalises an email; `None` for empty or malformed values.
pub fn normalize_email(raw: &str) -> Option<NormalizedEmail> {
    let cleaned: String = raw
        .trim()
        .trim_matches(|c: char| c == '<' || c == '>' || c == '"' || c == '\'')
        .trim_start_matches("mailto:")
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let (local, domain) = cleaned.split_once('@')?;
    if local.is_empty() || domain.contains('@') || !valid_domain(domain) {
        return None;
    }
    let domain = domain.trim_end_matches('.');
    let address = format!("{local}@{domain}");
    let match_key = match domain {
        "gmail.com" | "googlemail.com" => {
            let base = local.split('+').next().unwrap_or(local);
            let base: String = base.chars().filter(|c| *c != '.').collect();
            if base.is_empty() {
                return None;
            }
            format!("{base}@gmail.com")
        }
        _ => {
            // Most large providers accept +tags too; folding them only risks merging two
            // people when a provider gives `+` a meaning, which none of the big ones do.
            let base = local.split('+').next().unwrap_or(local);
            if base.is_empty() {
                return None;
            }
            format!("{base}@{domain}")
        }
    };
    Some(NormalizedEmail { address, match_key })
}

fn valid_domain(domain: &str) -> bool {
    let d = domain.trim_end_matches('.');
    let (mut labels, mut last) = (0usize, "");
    for l in d.split('.') {
        let ok = !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-');
        if !ok {
            return false;
        }
        labels += 1;
        last = l;
    }
    labels >= 2 && last.len() >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Option<String> {
        normalize_email(s).map(|e| e.match_key)
    }

    #[test]
    fn trims_and_lowercases() {
        let e = normalize_email("  Maria.Garcia@Gmail.COM ").unwrap();
        assert_eq!(e.address, "maria.garcia@gmail.com");
        assert_eq!(e.match_key, "mariagarcia@gmail.com");
    }

    #[test]
    fn folds_gmail_aliases() {
        assert_eq!(key("m.a.r.i.a+shop@googlemail.com"), key("maria@gmail.com"));
        assert_eq!(key("bob+news@outlook.com").unwrap(), "bob@outlook.com");
        // dots are significant outside gmail
        assert_ne!(key("a.b@hotmail.com"), key("ab@hotmail.com"));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "   ",
            "maria",
            "@gmail.com",
            "a@b",
            "a@@b.com",
            "a@b.c",
            "a@-x.com",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
        for v in ["<mailto:x@y.es>", "mailto:x@y.es", "\"x@y.es\""] {
            assert_eq!(normalize_email(v).unwrap().address, "x@y.es", "{v}");
        }
    }

    #[test]
    fn keeps_unicode_domains() {
        assert_eq!(
            normalize_email("josé@correo.españa.es").unwrap().address,
            "josé@correo.españa.es"
        );
    }
}
