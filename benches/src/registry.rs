//! The register of inhabitants at a million citizens: `identita registry import` of a generated
//! fixture on SQLite, timed as an operator runs it (the binary, pinned by the caller), then the
//! latency of a person lookup by identifier (`PersonStore::get`, called in process on the
//! imported database) at that size.
//!
//! The citizens are made from their number alone (no randomness to seed): names with Czech
//! diacritics, a date of birth from 1930 to 2019 and a birth number that encodes it (nine
//! digits before 1954, a right check digit after), an address with RÚIAN codes for most, a
//! data box for every third, an identity card for everyone. Identifiers are 16 hex digits of a
//! bijective mix of the number, so they arrive in no order, as UUIDs would.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use hdrhistogram::Histogram;
use serde_json::{Value, json};

use crate::http::Error;

const GIVEN_MALE: [&str; 8] = ["Jan", "Petr", "Jiří", "Tomáš", "Lukáš", "Matyáš", "Vojtěch", "Štěpán"];
const GIVEN_FEMALE: [&str; 8] = ["Jana", "Eliška", "Tereza", "Marie", "Kateřina", "Lucie", "Zuzana", "Anežka"];
const FAMILY: [(&str, &str); 8] = [
    ("Novák", "Nováková"),
    ("Dvořák", "Dvořáková"),
    ("Černý", "Černá"),
    ("Procházka", "Procházková"),
    ("Kučera", "Kučerová"),
    ("Veselý", "Veselá"),
    ("Horák", "Horáková"),
    ("Němec", "Němcová"),
];
/// Municipalities: name and RÚIAN code.
const PLACES: [(&str, u32); 6] = [
    ("Praha", 554_782),
    ("Brno", 582_786),
    ("Ostrava", 554_821),
    ("Plzeň", 554_791),
    ("Olomouc", 500_496),
    ("Liberec", 563_889),
];
const DATA_BOX_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
/// Days from 1930-01-01 to 2019-12-31.
const DAYS: u64 = 32_872;

/// A bijection of 64-bit numbers (splitmix64's finaliser): distinct citizens, distinct ids.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

pub fn id_of(i: u64) -> String {
    format!("{:016x}", mix(i))
}

/// The date `days` after 1930-01-01.
fn date_of(days: u64) -> (u64, u64, u64) {
    let (mut year, mut left) = (1930, days);
    loop {
        let length = if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) { 366 } else { 365 };
        if left < length {
            break;
        }
        left -= length;
        year += 1;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let months = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 0;
    while left >= months[month] {
        left -= months[month];
        month += 1;
    }
    (year, month as u64 + 1, left + 1)
}

/// The birth number of a citizen born on that day, the `slot`th on it (two serials per slot, so
/// one is free when the other's check digit would be 10).
fn birth_number((year, month, day): (u64, u64, u64), female: bool, slot: u64) -> String {
    let month = if female { month + 50 } else { month };
    let date = format!("{:02}{month:02}{day:02}", year % 100);
    let serial = slot * 2;
    if year < 1954 {
        return format!("{date}/{serial:03}");
    }
    let first_nine = |serial: u64| format!("{date}{serial:03}").parse::<u64>().unwrap_or(0);
    let serial = if first_nine(serial) % 11 == 10 { serial + 1 } else { serial };
    format!("{date}/{serial:03}{}", first_nine(serial) % 11)
}

fn data_box(i: u64) -> String {
    let mut code = i;
    (0..7)
        .map(|_| {
            let c = DATA_BOX_ALPHABET[(code % 32) as usize];
            code /= 32;
            char::from(c)
        })
        .collect()
}

/// The `i`th citizen as a fixture line.
pub fn citizen(i: u64) -> Value {
    let female = i % 2 == 1;
    let pick = (mix(i ^ 0x5eed) % 8) as usize;
    let (family_male, family_female) = FAMILY[(mix(i ^ 0xfa) % 8) as usize];
    let born = date_of(i % DAYS);
    let (place, municipality) = PLACES[(i % 6) as usize];
    let mut person = json!({
        "id": id_of(i),
        "given_names": if female { GIVEN_FEMALE[pick] } else { GIVEN_MALE[pick] },
        "family_name": if female { family_female } else { family_male },
        "birth_date": format!("{:04}-{:02}-{:02}", born.0, born.1, born.2),
        "birth_number": birth_number(born, female, i / DAYS),
        "birth_place": place,
        "birth_country": "CZ",
        "sex": if female { "F" } else { "M" },
        "citizenship": ["CZ"],
        "phone": format!("+4206{:08}", i % 100_000_000),
        "email": format!("obcan{i}@example.cz"),
        "documents": [{ "type": "ID", "number": format!("{:09}", i), "valid_until": "2031-06-30" }],
    });
    if !i.is_multiple_of(10) {
        person["address"] = json!({
            "text": format!("Hlavní {}/{}, {place}", i % 2000 + 1, i % 90 + 1),
            "address_place": 10_000_000 + i,
            "municipality": municipality,
        });
    }
    if i.is_multiple_of(3) {
        person["data_box"] = data_box(i).into();
    }
    person
}

/// Writes `count` citizens to `path`, one per line.
fn generate(path: &Path, count: u64) -> Result<(), Error> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(out, "# {count} generated citizens (identita-bench registry)")?;
    for i in 0..count {
        serde_json::to_writer(&mut out, &citizen(i))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct RegistryArgs {
    /// Citizens to generate and import.
    #[arg(long, default_value_t = 1_000_000)]
    citizens: u64,
    /// The identita binary to run `init` and `registry import` with.
    #[arg(long, default_value = "identita")]
    identita: PathBuf,
    /// A directory to work in (its data and keys; left behind for a look); a new one under the
    /// temporary directory, removed at the end, when not given.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Lookups by identifier to time.
    #[arg(long, default_value_t = 100_000)]
    lookups: u64,
}

fn identita(args: &RegistryArgs, dir: &Path, command: &[&str]) -> Result<(), Error> {
    let output = Command::new(&args.identita)
        .args(command)
        .env("IDENTITA_DATA_DIR", dir.join("data"))
        .env("IDENTITA_KEYS_DIR", dir.join("keys"))
        .env("IDENTITA_LOG", "warn")
        .output()?;
    if !output.status.success() {
        return Err(format!("identita {command:?}: {}", String::from_utf8_lossy(&output.stdout)).into());
    }
    Ok(())
}

pub async fn run(args: RegistryArgs) -> Result<Value, Error> {
    let (dir, temporary) = match &args.dir {
        Some(dir) => (dir.clone(), false),
        None => (std::env::temp_dir().join(format!("identita-bench-registry-{}", std::process::id())), true),
    };
    std::fs::create_dir_all(&dir)?;
    let result = measure(&args, &dir).await;
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn measure(args: &RegistryArgs, dir: &Path) -> Result<Value, Error> {
    let file = dir.join("citizens.jsonl");
    let started = Instant::now();
    generate(&file, args.citizens)?;
    let generate_s = started.elapsed().as_secs_f64();
    let file_mb = std::fs::metadata(&file)?.len() as f64 / 1e6;
    identita(args, dir, &["init"])?;
    let started = Instant::now();
    identita(args, dir, &["registry", "import", &file.to_string_lossy()])?;
    let import_s = started.elapsed().as_secs_f64();

    let config = identita::config::Config {
        data_dir: dir.join("data"),
        keys_dir: dir.join("keys"),
        ..identita::config::Config::default()
    };
    let provider = identita::app::provider(config, Arc::new(identita::clock::SystemClock)).await?;
    let persons = &provider.stores.persons;
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for n in 0..args.lookups {
        let i = mix(n ^ 0x100c) % args.citizens.max(1);
        let started = Instant::now();
        let found = persons.get(&id_of(i)).await?;
        histogram.record(started.elapsed().as_nanos().max(1) as u64)?;
        if found.is_none() {
            return Err(format!("citizen {i} ({}) was not found", id_of(i)).into());
        }
    }
    let micros = |quantile: f64| histogram.value_at_quantile(quantile) as f64 / 1000.0;
    Ok(json!({
        "registry": args.citizens,
        "generate_s": generate_s,
        "file_mb": file_mb,
        "import_s": import_s,
        "import_per_s": args.citizens as f64 / import_s,
        "lookups": args.lookups,
        "lookup_p50_us": micros(0.5),
        "lookup_p99_us": micros(0.99),
        "lookup_max_us": histogram.max() as f64 / 1000.0,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citizens_have_distinct_keys_and_birth_numbers_that_encode_their_birth() {
        let mut numbers = std::collections::HashSet::new();
        let mut boxes = std::collections::HashSet::new();
        for i in (0..200_000).step_by(7) {
            let citizen = citizen(i);
            let number = citizen["birth_number"].as_str().unwrap().to_owned();
            let born = citizen["birth_date"].as_str().unwrap();
            assert_eq!(&number[..2], &born[2..4], "{citizen}");
            let digits = number.replace('/', "");
            if digits.len() == 10 {
                assert_eq!(digits.parse::<u64>().unwrap() % 11, 0, "{citizen}");
            } else {
                assert!(born < "1954", "{citizen}");
            }
            assert!(numbers.insert(number), "{citizen}");
            if let Some(data_box) = citizen["data_box"].as_str() {
                assert!(boxes.insert(data_box.to_owned()), "{citizen}");
            }
        }
        assert_eq!(date_of(0), (1930, 1, 1));
        assert_eq!(date_of(DAYS - 1), (2019, 12, 31));
    }
}
