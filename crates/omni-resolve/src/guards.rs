//! Guarded union-find: every link, deterministic or probabilistic, joins two clusters only if
//! no guard objects. Links are offered strongest first, so when a guard must choose, the
//! weakest links are the ones refused.
//!
//! Guards:
//! - **cannot-link identifiers** (`identity.cannot_link`, default national_id): a customer
//!   has at most one value; a link joining two clusters with different values is refused.
//! - **family guard** (`identity.family_guard`, default email and phone, and every
//!   probabilistic link): a link is refused when both sides have first names and none of
//!   them agree (beyond a nickname, a compound name or a close spelling), unless their birth
//!   dates agree — a family mailbox or a household landline, not one person.
//!   With `probabilistic` in the list, a probabilistic link is also refused when both
//!   customers have birth dates and none agree (namesakes in one town), or both have emails
//!   and phones and share none.
//! - **maximum cluster size** (`identity.max_cluster_size`).
//!
//! Links of `identity.must_link` rules pass every guard.

use crate::compare;
use crate::features::{Features, Interned, NO_DATE, NONE};
use crate::union_find::UnionFind;

/// What each cluster (by root) holds that the guards look at.
#[derive(Debug, Default, Clone)]
struct State {
    /// Distinct values of each cannot-link identifier.
    unique: Vec<Vec<u32>>,
    dobs: Vec<i32>,
    /// Distinct first names (ids into `Features::first`).
    firsts: Vec<u32>,
    /// Distinct surnames (ids into `Features::last`), to recognise names written the other
    /// way round.
    lasts: Vec<u32>,
    /// Distinct email match keys and phones (ids into `Features::email`, `Features::phone`).
    emails: Vec<u32>,
    phones: Vec<u32>,
}

/// Why a link was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    CannotLink {
        field: String,
    },
    Family,
    /// A probabilistic link between customers whose known birth dates all disagree.
    BirthDates,
    /// A probabilistic link between customers with emails and phones, none shared.
    Contacts,
    TooLarge {
        size: usize,
        max: usize,
    },
    /// A record whose customer has no first name, behind a value the family guard found
    /// `customers` different people behind, none using it twice as often as each other:
    /// which one it belongs to cannot be told.
    Ambiguous {
        customers: usize,
    },
}

impl Refusal {
    /// Stats key.
    pub fn kind(&self) -> String {
        match self {
            Refusal::CannotLink { field } => format!("cannot_link:{field}"),
            Refusal::Family => "family_guard".into(),
            Refusal::BirthDates => "birth_date_guard".into(),
            Refusal::Contacts => "contact_guard".into(),
            Refusal::TooLarge { .. } => "max_cluster_size".into(),
            Refusal::Ambiguous { .. } => "ambiguous_value".into(),
        }
    }

    pub fn reason(&self) -> String {
        match self {
            Refusal::CannotLink { field } => {
                format!("cannot-link: the two sides have different {field} values")
            }
            Refusal::Family => "family guard: different first names or second surnames and no \
                                matching birth date (a shared mailbox or landline, not one \
                                person)"
                .into(),
            Refusal::BirthDates => "birth-date guard: the two customers' birth dates disagree \
                                    (a namesake, not one person)"
                .into(),
            Refusal::Contacts => "contact guard: both customers have emails and phones and share \
                                  none (a namesake, not one person)"
                .into(),
            Refusal::TooLarge { size, max } => {
                format!("the customer would have {size} records (max_cluster_size = {max})")
            }
            Refusal::Ambiguous { customers } => format!(
                "ambiguous value: the family guard found {customers} people behind it, none \
                 using it twice as often as each other, and a record without a first name \
                 cannot tell which one it belongs to"
            ),
        }
    }
}

/// Union-find with the guards' per-cluster state.
pub struct Guarded<'a> {
    pub uf: UnionFind,
    f: &'a Features,
    unique_fields: Vec<(String, Interned)>,
    states: Vec<State>,
    max_size: usize,
}

impl<'a> Guarded<'a> {
    pub fn new(f: &'a Features, unique_fields: Vec<(String, Interned)>, max_size: usize) -> Self {
        let states = (0..f.n)
            .map(|p| State {
                unique: unique_fields
                    .iter()
                    .map(|(_, col)| {
                        let v = col.ids[p];
                        if v == NONE { Vec::new() } else { vec![v] }
                    })
                    .collect(),
                dobs: if f.dob[p] == NO_DATE {
                    Vec::new()
                } else {
                    vec![f.dob[p]]
                },
                firsts: if f.first.ids[p] == NONE {
                    Vec::new()
                } else {
                    vec![f.first.ids[p]]
                },
                lasts: if f.last.ids[p] == NONE {
                    Vec::new()
                } else {
                    vec![f.last.ids[p]]
                },
                emails: if f.email.ids[p] == NONE {
                    Vec::new()
                } else {
                    vec![f.email.ids[p]]
                },
                phones: if f.phone.ids[p] == NONE {
                    Vec::new()
                } else {
                    vec![f.phone.ids[p]]
                },
            })
            .collect();
        Guarded {
            uf: UnionFind::new(f.n),
            f,
            unique_fields,
            states,
            max_size,
        }
    }

    pub fn find(&mut self, p: usize) -> usize {
        self.uf.find(p)
    }

    /// Whether `p`'s customer (so far) has a first name on any of its records.
    pub fn has_first_name(&mut self, p: usize) -> bool {
        let r = self.uf.find(p);
        !self.states[r].firsts.is_empty()
    }

    /// Whether the two clusters' first names agree (beyond a nickname, a compound name or a
    /// close spelling), or one side has first name and surname the other way round ("turner
    /// anthony" / "anthony turner": a form filled in the wrong order is one person).
    fn first_names_agree(&self, a: &State, b: &State) -> bool {
        let f = self.f;
        let firsts_agree = |x: &str, y: &str| {
            x == y
                || compare::first_name(
                    x,
                    y,
                    &crate::features::canonical_first(x),
                    &crate::features::canonical_first(y),
                ) <= 4
        };
        let first = |id: u32| f.first.values[id as usize].as_str();
        let last = |id: u32| f.last.values[id as usize].as_str();
        if a.firsts.iter().any(|&x| {
            b.firsts
                .iter()
                .any(|&y| x == y || firsts_agree(first(x), first(y)))
        }) {
            return true;
        }
        // Swapped on one side: p's first name is one of q's surnames and p's surname is
        // q's first name (surnames and first names compare differently, so both ways).
        let swapped = |p: &State, q: &State| {
            p.firsts.iter().any(|&x| {
                q.lasts
                    .iter()
                    .any(|&y| compare::last_name(first(x), last(y)) <= 3)
            }) && q
                .firsts
                .iter()
                .any(|&x| p.lasts.iter().any(|&y| firsts_agree(first(x), last(y))))
        };
        swapped(a, b) || swapped(b, a)
    }

    /// Whether the two clusters' surnames say relatives: both write two surnames, one agrees
    /// and the other does not ("pardo santiago" and "pardo guerrero": a father and son who
    /// share a landline), and no surname of one is exactly one of the other's.
    fn relatives(&self, a: &State, b: &State) -> bool {
        let last = |id: u32| self.f.last.values[id as usize].as_str();
        let mut second_differs = false;
        for &x in &a.lasts {
            for &y in &b.lasts {
                match compare::last_name(last(x), last(y)) {
                    1 => return false,
                    5 => second_differs = true,
                    _ => {}
                }
            }
        }
        second_differs
    }

    /// Whether a link between `a` and `b` may be made, and why not.
    pub fn check(&mut self, a: usize, b: usize, family: bool) -> Result<(), Refusal> {
        let (ra, rb) = (self.uf.find(a), self.uf.find(b));
        if ra == rb {
            return Ok(());
        }
        let size = self.uf.size(ra) + self.uf.size(rb);
        if size > self.max_size {
            return Err(Refusal::TooLarge {
                size,
                max: self.max_size,
            });
        }
        let (sa, sb) = (&self.states[ra], &self.states[rb]);
        for (i, (field, _)) in self.unique_fields.iter().enumerate() {
            let (x, y) = (&sa.unique[i], &sb.unique[i]);
            if !x.is_empty() && !y.is_empty() && x.iter().any(|v| !y.contains(v)) {
                return Err(Refusal::CannotLink {
                    field: field.clone(),
                });
            }
        }
        if family && !sa.firsts.is_empty() && !sb.firsts.is_empty() {
            let both_dobs = !sa.dobs.is_empty() && !sb.dobs.is_empty();
            let dob_agree = both_dobs
                && sa
                    .dobs
                    .iter()
                    .any(|&x| sb.dobs.iter().any(|&y| compare::birth_date(x, y) <= 3));
            // Different first names are two people unless their birth dates agree (then it
            // is one person known by two names); without birth dates the names decide.
            if !dob_agree && (!self.first_names_agree(sa, sb) || self.relatives(sa, sb)) {
                return Err(Refusal::Family);
            }
        }
        Ok(())
    }

    /// For probabilistic links: refused when both customers have birth dates and none of
    /// one side's is within a typo (a swapped day and month, one part off) of the other's.
    /// The pair's own comparison may not see it: the birth dates can sit on other records of
    /// the two customers.
    pub fn check_birth_dates(&mut self, a: usize, b: usize) -> Result<(), Refusal> {
        let (ra, rb) = (self.uf.find(a), self.uf.find(b));
        if ra == rb {
            return Ok(());
        }
        let (sa, sb) = (&self.states[ra].dobs, &self.states[rb].dobs);
        if !sa.is_empty()
            && !sb.is_empty()
            && !sa
                .iter()
                .any(|&x| sb.iter().any(|&y| compare::birth_date(x, y) <= 3))
        {
            return Err(Refusal::BirthDates);
        }
        Ok(())
    }

    /// For probabilistic links: refused when both customers have emails *and* phones and
    /// share neither (not even within a typo). A person reached by a name and an address
    /// whose every contact point differs is, far more often, a namesake: one person's
    /// records that share an email or phone were joined by the deterministic tier already.
    pub fn check_contacts(&mut self, a: usize, b: usize) -> Result<(), Refusal> {
        let (ra, rb) = (self.uf.find(a), self.uf.find(b));
        if ra == rb {
            return Ok(());
        }
        let f = self.f;
        let (sa, sb) = (&self.states[ra], &self.states[rb]);
        let disjoint = |x: &[u32], y: &[u32], col: &Interned, cmp: fn(&str, &str) -> u8| {
            !x.is_empty()
                && !y.is_empty()
                && !x.iter().any(|&i| {
                    y.iter().any(|&j| {
                        i == j || cmp(&col.values[i as usize], &col.values[j as usize]) <= 2
                    })
                })
        };
        if disjoint(&sa.emails, &sb.emails, &f.email, compare::email)
            && disjoint(&sa.phones, &sb.phones, &f.phone, compare::phone)
        {
            return Err(Refusal::Contacts);
        }
        Ok(())
    }

    /// Joins the clusters of `a` and `b` (no checks). True when they were apart.
    pub fn join(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.uf.find(a), self.uf.find(b));
        if ra == rb {
            return false;
        }
        self.uf.union(ra, rb);
        let root = self.uf.find(ra);
        let other = if root == ra { rb } else { ra };
        let moved = std::mem::take(&mut self.states[other]);
        let st = &mut self.states[root];
        for (i, vals) in moved.unique.into_iter().enumerate() {
            for v in vals {
                if !st.unique[i].contains(&v) {
                    st.unique[i].push(v);
                }
            }
        }
        for d in moved.dobs {
            if !st.dobs.contains(&d) {
                st.dobs.push(d);
            }
        }
        for x in moved.firsts {
            if !st.firsts.contains(&x) {
                st.firsts.push(x);
            }
        }
        for x in moved.lasts {
            if !st.lasts.contains(&x) {
                st.lasts.push(x);
            }
        }
        for x in moved.emails {
            if !st.emails.contains(&x) {
                st.emails.push(x);
            }
        }
        for x in moved.phones {
            if !st.phones.contains(&x) {
                st.phones.push(x);
            }
        }
        true
    }

    /// `check` then `join`; `forced` skips the checks (must-link rules).
    pub fn link(
        &mut self,
        a: usize,
        b: usize,
        family: bool,
        forced: bool,
    ) -> Result<bool, Refusal> {
        if !forced {
            self.check(a, b, family)?;
        }
        Ok(self.join(a, b))
    }
}
