-- The register of inhabitants (ROB) view: each person whole as JSON in `data`, next to the
-- columns its lookups need (by family name, given names and date of birth; by birth number;
-- by data-box ID). A person may have no birth number or data box (NULL, never a duplicate).
CREATE TABLE persons (
    id TEXT PRIMARY KEY NOT NULL,
    family_name TEXT NOT NULL,
    given_names TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    birth_number TEXT UNIQUE,
    data_box TEXT UNIQUE,
    data TEXT NOT NULL
);
CREATE INDEX persons_name ON persons (family_name, given_names, birth_date);

-- An account may belong to a person; an account without one (every account made before) works
-- as it always did.
ALTER TABLE users ADD COLUMN person_id TEXT REFERENCES persons (id);
CREATE INDEX users_person ON users (person_id);
