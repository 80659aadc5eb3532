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
    let (mut address, mut match_key) = (String::new(), String::new());
    normalize_email_into(raw, &mut address, &mut match_key)
        .then_some(NormalizedEmail { address, match_key })
}

/// [`normalize_email`] into two buffers the caller keeps (cleared first): the address and its
/// match key; `false` (buffers unspecified) for empty or malformed values. No allocation once
/// the buffers are large enough.
pub fn normalize_email_into(raw: &str, address: &mut String, match_key: &mut String) -> bool {
    address.clear();
    match_key.clear();
    let mut trimmed = raw
        .trim()
        .trim_matches(|c: char| c == '<' || c == '>' || c == '"' || c == '\'');
    // `trim_start_matches("mailto:")` without building a substring searcher per value.
    while let Some(rest) = trimmed.strip_prefix("mailto:") {
        trimmed = rest;
    }
    if trimmed.is_ascii() {
        // The usual case, without decoding characters; the same result as below.
        address.extend(
            trimmed
                .bytes()
                .filter(|&b| !char::from(b).is_whitespace())
                .map(|b| char::from(b.to_ascii_lowercase())),
        );
    } else {
        address.extend(
            trimmed
                .chars()
                .filter(|c| !c.is_whitespace())
                .flat_map(char::to_lowercase),
        );
    }
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    if local.is_empty() || domain.contains('@') || !valid_domain(domain) {
        return false;
    }
    let dots = domain.len() - domain.trim_end_matches('.').len();
    let domain = &domain[..domain.len() - dots];
    // The match key: the local part up to a `+` tag (most large providers accept +tags;
    // folding them only risks merging two people when a provider gives `+` a meaning, which
    // none of the big ones do), without dots for Gmail, whose two domains are one.
    let base = local.split('+').next().unwrap_or(local);
    match domain {
        "gmail.com" | "googlemail.com" => {
            match_key.extend(base.chars().filter(|c| *c != '.'));
            match_key.push_str("@gmail.com");
        }
        _ => {
            match_key.push_str(base);
            match_key.push('@');
            match_key.push_str(domain);
        }
    }
    if match_key.starts_with('@') {
        return false;
    }
    // A domain written with trailing dots (`example.com.`) is kept without them.
    address.truncate(address.len() - dots);
    true
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

    /// The definition the fast paths must agree with: decode, drop whitespace, lowercase,
    /// then split and rebuild.
    fn reference(raw: &str) -> Option<NormalizedEmail> {
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
        let base = local.split('+').next().unwrap_or(local);
        let match_key = match domain {
            "gmail.com" | "googlemail.com" => {
                let base: String = base.chars().filter(|c| *c != '.').collect();
                format!("{base}@gmail.com")
            }
            _ => format!("{base}@{domain}"),
        };
        (!match_key.starts_with('@')).then(|| NormalizedEmail {
            address: format!("{local}@{domain}"),
            match_key,
        })
    }

    #[test]
    fn fast_paths_agree_with_the_definition() {
        let all_ascii: String = (0u8..128).map(char::from).collect();
        let inputs = [
            "  Maria.Garcia@Gmail.COM ",
            "a@b.com.",
            "a@b.com..",
            "<mailto:Pepe+news@Example.ES>",
            "mailto:mailto:a@b.es",
            "mailto:",
            "pe pe@ex ample.es",
            "x\u{b}y@ex.com",
            "ÁNGEL@correo.es",
            "angel@CORREO.ÉS",
            "+tag@ex.com",
            "...+x@gmail.com",
            "a@@b.com",
            "@b.com",
            "a@b",
            "\"o'neil\"@ex.co.uk",
            all_ascii.as_str(),
            "",
        ];
        let (mut address, mut key) = (String::from("left over"), String::from("@"));
        for raw in inputs.iter().chain(inputs.iter().rev()) {
            assert_eq!(normalize_email(raw), reference(raw), "{raw:?}");
            // The same through buffers reused from one value to the next.
            let ok = normalize_email_into(raw, &mut address, &mut key);
            assert_eq!(
                ok.then(|| NormalizedEmail {
                    address: address.clone(),
                    match_key: key.clone()
                }),
                reference(raw),
                "{raw:?}"
            );
        }
    }

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
