//! The register's codes: IČO, RÚIAN codes, data-box IDs and country codes, each checked by its
//! own rule.

use std::fmt;

/// An identification number of a person in business (IČO): eight digits, the last a check
/// digit (weights 8…2 over the first seven, modulo 11).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ico(String);

impl Ico {
    pub fn parse(text: &str) -> Result<Ico, String> {
        let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
        if digits.len() != 8 || text.len() != 8 {
            return Err(format!("{text:?} is not an IČO: eight digits"));
        }
        let sum: u32 = digits[..7].iter().zip((2..=8).rev()).map(|(d, w)| d * w).sum();
        let check = match sum % 11 {
            0 => 1,
            1 => 0,
            rest => 11 - rest,
        };
        if digits[7] != check {
            return Err(format!("{text:?}: the IČO's check digit is wrong (it should end in {check})"));
        }
        Ok(Ico(text.to_owned()))
    }
}

impl fmt::Display for Ico {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A RÚIAN code: a positive number of at most so many digits (and, for a municipality, in the
/// range the Czech municipalities' codes take).
fn ruian(text: &str, what: &str, range: std::ops::RangeInclusive<u32>) -> Result<u32, String> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && !text.starts_with('0');
    match text.parse::<u32>() {
        Ok(code) if digits && range.contains(&code) => Ok(code),
        _ => Err(format!("{text:?} is not {what}: a number from {} to {}", range.start(), range.end())),
    }
}

/// The RÚIAN code of an address place (kód adresního místa): up to nine digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressPlaceCode(u32);

impl AddressPlaceCode {
    pub fn parse(text: &str) -> Result<AddressPlaceCode, String> {
        ruian(text, "an address-place code", 1..=999_999_999).map(AddressPlaceCode)
    }

    pub fn code(self) -> u32 {
        self.0
    }
}

/// The RÚIAN code of a municipality (kód obce): six digits, 500011 to 599999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MunicipalityCode(u32);

impl MunicipalityCode {
    pub fn parse(text: &str) -> Result<MunicipalityCode, String> {
        ruian(text, "a municipality code", 500_011..=599_999).map(MunicipalityCode)
    }

    pub fn code(self) -> u32 {
        self.0
    }
}

/// The letters and digits of a data-box ID: lower-case, without the look-alikes 0, 1, l and o.
const DATA_BOX_ALPHABET: &str = "abcdefghijkmnpqrstuvwxyz23456789";

/// The ID of a data box (ID datové schránky): seven characters of its alphabet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataBoxId(String);

impl DataBoxId {
    pub fn parse(text: &str) -> Result<DataBoxId, String> {
        if text.chars().count() != 7 || !text.chars().all(|c| DATA_BOX_ALPHABET.contains(c)) {
            return Err(format!(
                "{text:?} is not a data-box ID: seven lower-case letters and digits (no 0, 1, l or o)"
            ));
        }
        Ok(DataBoxId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DataBoxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The officially assigned codes of ISO 3166-1 alpha-2.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ \
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES \
    ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO \
    IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK \
    ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR \
    PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK \
    TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// A country as ISO 3166-1 alpha-2 (`CZ`, `UA`): the code OpenID Connect's `address.country`,
/// eIDAS identifiers (`CZ/CZ/…`) and mojeID use, so the register's value is released as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country([u8; 2]);

impl Country {
    pub fn parse(text: &str) -> Result<Country, String> {
        let assigned = text.len() == 2
            && text.bytes().all(|b| b.is_ascii_uppercase())
            && COUNTRIES.split_ascii_whitespace().any(|code| code == text);
        match text.as_bytes() {
            [a, b] if assigned => Ok(Country([*a, *b])),
            _ => Err(format!("{text:?} is not a country: an ISO 3166-1 alpha-2 code in capitals, such as CZ or SK")),
        }
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", char::from(self.0[0]), char::from(self.0[1]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icos_pass_or_fail_their_check_digit() {
        // Digitální a informační agentura; CZ.NIC; a remainder of 0 and of 1.
        for good in ["17651921", "67985726", "25596641", "10000020", "00006947"] {
            assert!(Ico::parse(good).is_ok(), "{good}");
        }
        for bad in ["17651922", "1765192", "176519210", "1765192a", " 7651921", ""] {
            assert!(Ico::parse(bad).is_err(), "{bad}");
        }
        assert!(Ico::parse("17651920").unwrap_err().contains("end in 1"));
    }

    #[test]
    fn ruian_codes_are_digits_within_their_range() {
        assert_eq!(AddressPlaceCode::parse("21717036").unwrap().code(), 21_717_036);
        assert_eq!(MunicipalityCode::parse("554782").unwrap().code(), 554_782);
        for bad in ["0", "", "-5", "1000000000", "12a", "+12", "012"] {
            assert!(AddressPlaceCode::parse(bad).is_err(), "{bad}");
        }
        for bad in ["500010", "600000", "54782", "5547820", "554 782"] {
            assert!(MunicipalityCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn data_box_ids_are_seven_characters_of_their_alphabet() {
        assert!(DataBoxId::parse("ab5cd9e").is_ok());
        for bad in ["ab5cd9", "ab5cd9ef", "AB5CD9E", "ab0cd9e", "ab1cd9e", "ablcd9e", "abocd9e", "ab-cd9e", "ábcd9ef"]
        {
            assert!(DataBoxId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn countries_are_assigned_alpha_2_codes() {
        for good in ["CZ", "SK", "UA", "VN", "DE", "GB"] {
            assert_eq!(Country::parse(good).unwrap().to_string(), good);
        }
        for bad in ["cz", "CZE", "XX", "UK", "C", ""] {
            assert!(Country::parse(bad).is_err(), "{bad}");
        }
    }
}
