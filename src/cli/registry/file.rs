//! The register's fixture file: JSON Lines, one person per line.
//!
//! ```text
//! # Test citizens (a line starting with # is a comment; blank lines are skipped)
//! {"id":"jan-novak","given_names":"Jan","family_name":"Novák","birth_date":"1985-03-14",…}
//! ```
//!
//! One line is one record, so a mistake is named by its line and field (`line 7: birth_number:
//! …`), a generator writes it with one `println!` per person, and it is read a line at a time.
//! Every line is checked before anything is written, and so is that no two lines share an id,
//! a birth number or a data-box ID.

use std::collections::HashMap;
use std::io::BufRead;

use crate::model::person::FieldError;
use crate::model::{Person, PersonRecord};

/// At most this many bad lines are reported; the rest are counted.
const REPORTED: usize = 20;

/// A bad line, 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// What reading a file found wrong: the first bad lines, and how many there were in all.
#[derive(Debug)]
pub struct Refusal {
    pub errors: Vec<LineError>,
    pub bad_lines: usize,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<String> = self.errors.iter().map(ToString::to_string).collect();
        write!(f, "{}", lines.join("; "))?;
        if self.bad_lines > self.errors.len() {
            write!(f, "; and {} more bad lines", self.bad_lines - self.errors.len())?;
        }
        Ok(())
    }
}

/// One line's record, a failure naming the field (1-based list positions, as `Person::parse`).
pub fn record(line: &str) -> Result<PersonRecord, FieldError> {
    // Most lines read; tracking the path costs, so only a line that does not is read again.
    if let Ok(record) = serde_json::from_str(line) {
        return Ok(record);
    }
    let mut deserializer = serde_json::Deserializer::from_str(line);
    let record = serde_path_to_error::deserialize::<_, PersonRecord>(&mut deserializer).map_err(|e| {
        let field = field_of(e.path());
        let problem = e.inner().to_string();
        // serde_json appends where in the line; the field says it better.
        let problem = problem.split(" at line ").next().unwrap_or(&problem).to_owned();
        FieldError { field, problem }
    })?;
    deserializer.end().map_err(|e| FieldError { field: "(line)".into(), problem: e.to_string() })?;
    Ok(record)
}

fn field_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut field = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => field.push_str(&format!("[{}]", index + 1)),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    if field.is_empty() { "(line)".into() } else { field }
}

/// The values that must be unique in the register, each with the line that has it.
#[derive(Default)]
struct Taken {
    ids: HashMap<String, usize>,
    birth_numbers: HashMap<String, usize>,
    data_boxes: HashMap<String, usize>,
}

impl Taken {
    fn claim(&mut self, person: &Person, line: usize) -> Result<(), String> {
        let take = |map: &mut HashMap<String, usize>, field: &str, value: Option<&str>| {
            let Some(value) = value else { return Ok(()) };
            match map.get(value) {
                Some(first) => Err(format!("{field}: {value} is on line {first} already")),
                None => {
                    map.insert(value.to_owned(), line);
                    Ok(())
                }
            }
        };
        take(&mut self.ids, "id", Some(person.id()))?;
        take(&mut self.birth_numbers, "birth_number", person.birth_number().map(|n| n.digits()))?;
        take(&mut self.data_boxes, "data_box", person.data_box().map(|d| d.as_str()))
    }
}

/// Every person of the file, with the line each is on; or what is wrong with it.
pub fn read(input: impl BufRead) -> Result<Vec<(usize, Person)>, Refusal> {
    let mut persons = Vec::new();
    let mut refusal = Refusal { errors: Vec::new(), bad_lines: 0 };
    let mut taken = Taken::default();
    for (index, line) in input.lines().enumerate() {
        let number = index + 1;
        let checked = match line {
            Err(e) => Err(format!("cannot be read: {e}")),
            Ok(line) if line.trim().is_empty() || line.trim_start().starts_with('#') => continue,
            Ok(line) => record(&line)
                .and_then(|record| Person::parse(&record))
                .map_err(|e| e.to_string())
                .and_then(|person| taken.claim(&person, number).map(|()| person)),
        };
        match checked {
            Ok(person) => persons.push((number, person)),
            Err(message) => {
                refusal.bad_lines += 1;
                if refusal.errors.len() < REPORTED {
                    refusal.errors.push(LineError { line: number, message });
                }
            }
        }
    }
    if refusal.bad_lines > 0 { Err(refusal) } else { Ok(persons) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAN: &str = r#"{"id":"jan","given_names":"Jan","family_name":"Novák","birth_date":"1985-03-14","birth_number":"850314/1251","birth_place":"Praha","birth_country":"CZ","sex":"M","citizenship":["CZ"]}"#;

    fn line_with(from: &str, to: &str) -> String {
        JAN.replacen(from, to, 1)
    }

    #[test]
    fn comments_and_blank_lines_are_skipped_and_lines_keep_their_numbers() {
        let text = format!(
            "# test citizens\n\n{JAN}\n{}\n",
            line_with("\"jan\"", "\"jan2\"")
                .replace("850314/1251", "925102/4442")
                .replace("\"M\"", "\"F\"")
                .replace("1985-03-14", "1992-01-02")
        );
        let persons = read(text.as_bytes()).unwrap();
        let lines: Vec<usize> = persons.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [3, 4]);
    }

    #[test]
    fn each_bad_line_is_named_with_its_field() {
        let text = [
            JAN.to_owned(),
            line_with("850314/1251", "850314/1252"),
            line_with("\"sex\":\"M\"", "\"sex\":7"),
            line_with("\"citizenship\":[\"CZ\"]", "\"citizenship\":[\"CZ\",\"XX\"]"),
            line_with("\"id\":\"jan\",", ""),
            "{not json".to_owned(),
            line_with("\"sex\":\"M\"", "\"sex\":\"M\",\"nick\":\"J\""),
        ]
        .join("\n");
        let refusal = read(text.as_bytes()).unwrap_err();
        let got: Vec<String> = refusal.errors.iter().map(ToString::to_string).collect();
        assert_eq!(refusal.bad_lines, 6);
        assert!(got[0].starts_with("line 2: birth_number: ") && got[0].contains("check digit"), "{got:?}");
        assert!(got[1].starts_with("line 3: sex: invalid type"), "{got:?}");
        assert!(got[2].starts_with("line 4: citizenship[2]: "), "{got:?}");
        assert!(got[3].starts_with("line 5: ") && got[3].contains("missing field `id`"), "{got:?}");
        assert!(got[4].starts_with("line 6: "), "{got:?}");
        assert!(got[5].starts_with("line 7: ") && got[5].contains("unknown field `nick`"), "{got:?}");
    }

    #[test]
    fn a_second_line_with_a_taken_key_names_the_first() {
        let text = [JAN.to_owned(), line_with("\"jan\"", "\"jan-again\"")].join("\n");
        let refusal = read(text.as_bytes()).unwrap_err();
        assert_eq!(refusal.to_string(), "line 2: birth_number: 8503141251 is on line 1 already");
    }

    #[test]
    fn many_bad_lines_are_counted_past_the_reported_ones() {
        let text = vec![line_with("\"M\"", "\"X\""); 30].join("\n");
        let refusal = read(text.as_bytes()).unwrap_err();
        assert_eq!((refusal.errors.len(), refusal.bad_lines), (REPORTED, 30));
        assert!(refusal.to_string().ends_with("and 10 more bad lines"));
    }
}
