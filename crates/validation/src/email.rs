//! E-mail addresses as accounts know them: trimmed and lower-cased, so that
//! `Ann@Example.com ` and `ann@example.com` are one account.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid e-mail address")]
pub struct InvalidEmail;

/// The normal form of an address, or [`InvalidEmail`]. The checks are the
/// practical ones (one `@`, a dotted domain, no spaces or control
/// characters, at most 254 characters), not the whole of RFC 5322.
pub fn normalise(raw: &str) -> Result<String, InvalidEmail> {
    let address = raw.trim().to_lowercase();
    if address.len() > 254 || address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidEmail);
    }
    let (local, domain) = address.split_once('@').ok_or(InvalidEmail)?;
    let domain_ok = domain.contains('.')
        && !domain.contains('@')
        && domain
            .split('.')
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    if domain_ok && local_ok {
        Ok(address)
    } else {
        Err(InvalidEmail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        assert_eq!(
            normalise("  Ann.Smith+news@Example.COM "),
            Ok("ann.smith+news@example.com".to_owned())
        );
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann@@example.com",
            "an n@example.com",
            "ann@exa_mple.com",
            ".ann@example.com",
            "ann..smith@example.com",
            "ann@-example.com",
            "ann@example..com",
            "ann\r\n@example.com",
            "<ann@example.com>",
        ] {
            assert_eq!(normalise(bad), Err(InvalidEmail), "{bad:?}");
        }
        assert_eq!(
            normalise(&format!("{}@example.com", "a".repeat(65))),
            Err(InvalidEmail)
        );
    }
}
