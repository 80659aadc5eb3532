//! One JSON line's leaves read straight from the text: no `serde_json::Value` tree, no string
//! per path or value (both go into two buffers the line reuses). The leaves come out as
//! flattening a `Value` gives them (`jsonl::flatten`: keys of each object in sorted order,
//! depth first, scalars as their text, arrays as compact JSON), so a line read here gives the
//! same row. Lines this reader does not take (invalid JSON, not an object, a key given twice in
//! one object, where `Value` keeps the last) are left to the general path, which also words
//! the errors.

use std::fmt::Write;
use std::ops::Range;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

/// The leaves of one line: `(path, value)` as ranges of [`paths`](Self::paths) and
/// [`values`](Self::values); a `None` value is JSON `null`.
#[derive(Default)]
pub(super) struct LineFields {
    pub paths: String,
    pub values: String,
    pub fields: Vec<(Range<usize>, Option<Range<usize>>)>,
    /// The path being read (keys joined by dots).
    current: String,
    /// Keys of the objects being read, for sorting an object's leaves by key.
    keys: String,
    /// Per open object: (key range in `keys`, first leaf, end of leaves) of its entries.
    entries: Vec<(Range<usize>, usize, usize)>,
    /// Set when the general path must read the line.
    declined: bool,
}

impl LineFields {
    pub fn path(&self, f: &(Range<usize>, Option<Range<usize>>)) -> &str {
        &self.paths[f.0.clone()]
    }

    pub fn value(&self, f: &(Range<usize>, Option<Range<usize>>)) -> Option<&str> {
        f.1.clone().map(|r| &self.values[r])
    }

    /// Reads `bytes` (one line; `line` is the same as a string when known to be UTF-8);
    /// `false` when the general path must read it.
    pub fn read(&mut self, bytes: &[u8], line: Option<&str>) -> bool {
        self.paths.clear();
        self.values.clear();
        self.fields.clear();
        self.current.clear();
        self.keys.clear();
        self.entries.clear();
        self.declined = false;
        match line {
            Some(l) => self.read_from(&mut serde_json::Deserializer::from_str(l)),
            None => self.read_from(&mut serde_json::Deserializer::from_slice(bytes)),
        }
    }

    fn read_from<'de, R: serde_json::de::Read<'de>>(
        &mut self,
        de: &mut serde_json::Deserializer<R>,
    ) -> bool {
        let top = Leaf {
            lf: self,
            path_len: 0,
            top: true,
        };
        top.deserialize(&mut *de).is_ok() && de.end().is_ok() && !self.declined
    }

    fn leaf(&mut self, path_len: usize, value: Option<&str>) {
        let p = self.paths.len();
        self.paths.push_str(&self.current[..path_len]);
        let v = value.map(|v| {
            let s = self.values.len();
            self.values.push_str(v);
            s..self.values.len()
        });
        self.fields.push((p..self.paths.len(), v));
    }

    fn leaf_display(&mut self, path_len: usize, value: impl std::fmt::Display) {
        let p = self.paths.len();
        self.paths.push_str(&self.current[..path_len]);
        let s = self.values.len();
        let _ = write!(self.values, "{value}");
        self.fields
            .push((p..self.paths.len(), Some(s..self.values.len())));
    }
}

/// The value at `current[..path_len]`.
struct Leaf<'a> {
    lf: &'a mut LineFields,
    path_len: usize,
    /// The line itself, which must be an object.
    top: bool,
}

impl<'de> DeserializeSeed<'de> for Leaf<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Leaf<'_> {
    /// A scalar or array as the whole line is not an object: declined.
    fn scalar(self, value: Option<&str>) {
        if self.top {
            self.lf.declined = true;
        } else {
            self.lf.leaf(self.path_len, value);
        }
    }

    fn number(self, n: Option<Number>) {
        match n {
            _ if self.top => self.lf.declined = true,
            Some(n) => self.lf.leaf_display(self.path_len, n),
            None => self.lf.leaf(self.path_len, None),
        }
    }
}

impl<'de> Visitor<'de> for Leaf<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.scalar(Some(if v { "true" } else { "false" }));
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.number(Some(Number::from(v)));
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.number(Some(Number::from(v)));
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        // As `Value` reads it: a number, or null when not finite.
        self.number(Number::from_f64(v));
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.scalar(Some(v));
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.scalar(None);
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        self.scalar(None);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        if self.top {
            self.lf.declined = true;
        } else {
            let text = Value::Array(items).to_string();
            self.lf.leaf(self.path_len, Some(&text));
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let lf = self.lf;
        let path_len = self.path_len;
        let first_entry = lf.entries.len();
        let first_leaf = lf.fields.len();
        loop {
            lf.current.truncate(path_len);
            // As `flatten` joins them: no dot after an empty path (the line's own keys, or
            // those under an empty key).
            if path_len > 0 {
                lf.current.push('.');
            }
            let key_at = lf.current.len();
            if map.next_key_seed(Key { lf: &mut *lf })?.is_none() {
                break;
            }
            let k = lf.keys.len();
            lf.keys.push_str(&lf.current[key_at..]);
            let key = k..lf.keys.len();
            let start = lf.fields.len();
            let len = lf.current.len();
            map.next_value_seed(Leaf {
                lf: &mut *lf,
                path_len: len,
                top: false,
            })?;
            lf.entries.push((key, start, lf.fields.len()));
        }
        lf.current.truncate(path_len);
        // Sorted by key, as a `Value` object (a `BTreeMap`) holds them; a key given twice is
        // for the general path (the last one wins there).
        let entries = &mut lf.entries[first_entry..];
        let keys = &lf.keys;
        let sorted = entries
            .windows(2)
            .all(|w| keys[w[0].0.clone()] < keys[w[1].0.clone()]);
        if !sorted {
            entries.sort_by(|a, b| keys[a.0.clone()].cmp(&keys[b.0.clone()]));
            if entries
                .windows(2)
                .any(|w| keys[w[0].0.clone()] == keys[w[1].0.clone()])
            {
                lf.declined = true;
            } else {
                let leaves: Vec<_> = entries
                    .iter()
                    .flat_map(|(_, s, e)| lf.fields[*s..*e].iter().cloned())
                    .collect();
                lf.fields.truncate(first_leaf);
                lf.fields.extend(leaves);
            }
        }
        lf.entries.truncate(first_entry);
        Ok(())
    }
}

/// An object key, appended to the current path.
struct Key<'a> {
    lf: &'a mut LineFields,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.lf.current.push_str(v);
        Ok(())
    }
}
