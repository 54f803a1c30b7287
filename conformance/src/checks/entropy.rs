//! Token-quality conditions: minimum length, the Shannon-entropy estimate, and the character sets
//! the suite allows in error responses and tokens.

/// Shannon entropy of the string's own character distribution, in bits per character, times its
/// length: the suite's `AbstractEnsureMinimumEntropy` estimate.
pub fn entropy_bits(s: &str) -> f64 {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return 0.0;
    }
    let mut counts = std::collections::HashMap::new();
    for c in &chars {
        *counts.entry(*c).or_insert(0usize) += 1;
    }
    let n = chars.len() as f64;
    let per_char: f64 = counts.values().map(|&k| (k as f64 / n) * -(k as f64 / n).log2()).sum();
    per_char * n
}

/// `EnsureMinimum…Entropy`: more than 96 bits.
pub fn ensure_entropy(what: &str, value: &str) -> Result<(), String> {
    let bits = entropy_bits(value);
    if bits > 96.0 {
        Ok(())
    } else {
        Err(format!("{what} has an estimated {bits:.1} bits of entropy; more than 96 required"))
    }
}

/// `EnsureMinimum…Length`: at least 128 bits, i.e. 16 bytes.
pub fn ensure_length(what: &str, value: &str) -> Result<(), String> {
    let bits = value.len() * 8;
    if bits >= 128 { Ok(()) } else { Err(format!("{what} is {bits} bits long; at least 128 required")) }
}

/// The `error_description` charset of RFC 6749: 0x09, 0x0A, 0x0D (tolerated, WARNING), 0x20-21,
/// 0x23-5B, 0x5D-7E. Returns `Err` for a forbidden character and `Ok(true)` when CR/LF/TAB occur.
pub fn error_description_charset(value: &str) -> Result<bool, String> {
    let mut whitespace = false;
    for c in value.chars() {
        match c {
            '\t' | '\n' | '\r' => whitespace = true,
            '\u{20}'..='\u{21}' | '\u{23}'..='\u{5B}' | '\u{5D}'..='\u{7E}' => {}
            other => return Err(format!("forbidden character {other:?} (U+{:04X})", other as u32)),
        }
    }
    Ok(whitespace)
}

/// The `error` code charset (same as the description without CR/LF/TAB).
pub fn error_code_charset(value: &str) -> Result<(), String> {
    match error_description_charset(value) {
        Ok(false) => Ok(()),
        Ok(true) => Err("contains CR, LF or TAB".into()),
        Err(e) => Err(e),
    }
}

/// `error_uri`: 0x21, 0x23-5B, 0x5D-7E, and a URL.
pub fn error_uri_charset(value: &str) -> Result<(), String> {
    if let Some(c) = value.chars().find(|c| !matches!(c, '\u{21}' | '\u{23}'..='\u{5B}' | '\u{5D}'..='\u{7E}')) {
        return Err(format!("forbidden character {c:?} in error_uri"));
    }
    url::Url::parse(value).map(|_| ()).map_err(|e| format!("error_uri is not a URL: {e}"))
}

/// VSCHAR (0x20-0x7E), the character set of access and refresh tokens.
pub fn vschar(what: &str, value: &str) -> Result<(), String> {
    match value.chars().find(|c| !('\u{20}'..='\u{7E}').contains(c)) {
        None => Ok(()),
        Some(c) => Err(format!("{what} contains {c:?}, outside 0x20-0x7E")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_uniform_and_repetitive_strings() {
        assert_eq!(entropy_bits(""), 0.0);
        assert_eq!(entropy_bits("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 0.0);
        // 16 distinct characters: 4 bits each.
        assert!((entropy_bits("0123456789abcdef") - 64.0).abs() < 1e-9);
        // 43 base64url characters of a 256-bit random value comfortably exceed 96 bits.
        assert!(ensure_entropy("code", "Yq3x7_Vn2kLp9Q-rT5mZcW8sB1dF4hJ6gN0aEoUiXyK").is_ok());
        assert!(ensure_entropy("code", "abababababababababababababababababababab").is_err());
    }

    #[test]
    fn length_is_in_bytes() {
        assert!(ensure_length("code", "0123456789abcdef").is_ok());
        assert!(ensure_length("code", "0123456789abcde").is_err());
    }

    #[test]
    fn error_description_charset_follows_rfc6749() {
        assert_eq!(error_description_charset("The code is invalid."), Ok(false));
        assert_eq!(error_description_charset("line\nbreak"), Ok(true));
        assert!(error_description_charset("a \"quote\"").is_err());
        assert!(error_description_charset("back\\slash").is_err());
        assert!(error_description_charset("čeština").is_err());
        assert!(error_uri_charset("https://example.com/e").is_ok());
        assert!(error_uri_charset("https://example.com/a b").is_err());
    }
}
