//! How to reach a person: a phone number in E.164 form and an e-mail address.

use std::fmt;

/// A phone number in international (E.164) form, `+` and up to 15 digits, kept without spaces.
/// A Czech number (`+420`) has exactly nine digits after the country code, not starting with 0
/// or 1.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// `+420 601 123 456`, `+420601123456`, `+421 905 123 456`; spaces are dropped.
    pub fn parse(text: &str) -> Result<Phone, String> {
        let compact: String = text.chars().filter(|c| *c != ' ').collect();
        let Some(digits) = compact.strip_prefix('+') else {
            return Err(format!("{text:?} is not a phone number in international form: write +420 and nine digits"));
        };
        let plain = digits.bytes().all(|b| b.is_ascii_digit());
        if !plain || !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(format!("{text:?} is not an E.164 phone number: + and 8 to 15 digits"));
        }
        if let Some(national) = digits.strip_prefix("420")
            && (national.len() != 9 || national.starts_with(['0', '1']))
        {
            return Err(format!("{text:?} is not a Czech number: +420 and nine digits, the first from 2 to 9"));
        }
        Ok(Phone(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest address SMTP carries (RFC 5321's path limit, less the brackets).
const EMAIL_MAX: usize = 254;

/// An e-mail address: `local@domain`, the domain with a dot, no spaces, at most 254 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, String> {
        let shaped = match text.rsplit_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !local.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !text.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if !shaped {
            return Err(format!("{text:?} is not an e-mail address"));
        }
        if text.len() > EMAIL_MAX {
            return Err(format!("an e-mail address is at most {EMAIL_MAX} bytes, not {}", text.len()));
        }
        Ok(Email(text.to_owned()))
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn czech_and_international_numbers_are_kept_without_spaces() {
        assert_eq!(Phone::parse("+420 601 123 456").unwrap().as_str(), "+420601123456");
        assert_eq!(Phone::parse("+420221234567").unwrap().as_str(), "+420221234567");
        assert_eq!(Phone::parse("+421 905 123 456").unwrap().as_str(), "+421905123456");
        assert_eq!(Phone::parse("+380671234567").unwrap().as_str(), "+380671234567");
    }

    #[test]
    fn numbers_out_of_shape_are_refused() {
        for bad in [
            "601123456",
            "00420601123456",
            "+42060112345",
            "+4206011234567",
            "+420101123456",
            "+420 601-123-456",
            "+1234567",
            "+1234567890123456",
            "+0420601123456",
            "",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses_need_a_local_part_and_a_domain() {
        assert!(Email::parse("jan.novak@example.cz").is_ok());
        assert!(Email::parse("eliška@příklad.cz").is_ok());
        for bad in ["jan.novak", "@example.cz", "jan@example", "jan@.cz", "jan@cz.", "jan novak@example.cz", "a@b@c.cz"]
        {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        let long = format!("{}@example.cz", "a".repeat(250));
        assert!(Email::parse(&long).unwrap_err().contains("at most 254"));
    }
}
