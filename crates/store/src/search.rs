//! Token search: which patients hold a set of blind-index tokens, walked in id order one page
//! at a time. No sealed value is read.
//!
//! Each token's postings are one range of the primary key `(practice_id, token, patient_id)`,
//! in id order. A search either walks the shortest range and probes the others once per
//! candidate ([`Walk::Probe`]), or reads every range side by side and keeps the ids they share
//! ([`Walk::Merge`], a merge join): a probe is a seek through the whole tree, a merge step the
//! next entry of a leaf page, so merging wins once even the shortest range is long. That choice
//! is the caller's on SQLite; PostgreSQL's planner makes it itself ([`Db::chooses_token_walks`]).

use sqlx::Row;

use crate::{Db, StoreError, on_db};

/// Which patients a search asks for, as blind-index tokens: those holding every token of
/// `all_of` (the first drives a probe walk, so it should be the rarest) but not every token of
/// `not_all_of` (empty: no exclusion), and, if given, of this status.
#[derive(Debug, Clone, Copy)]
pub struct TokenSearch<'a> {
    pub all_of: &'a [[u8; 32]],
    pub not_all_of: &'a [[u8; 32]],
    pub status: Option<&'a str>,
    pub walk: Walk,
}

/// How a search reads the postings of `all_of` on SQLite (PostgreSQL plans its own). Both list
/// the same patients in the same order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// Walk the first token's postings, probing every other token once per candidate: about
    /// one seek per posting of the first token, whatever the others hold.
    Probe,
    /// Read every token's postings side by side in id order and keep the ids all of them
    /// hold, a chunk at a time; the exclusions and the status are probed only for those.
    Merge,
}

/// Postings are counted up to this many ([`Db::token_postings`]); a search whose shortest
/// list is this long merges ([`Walk::for_shortest`]).
pub const POSTINGS_COUNTED_UP_TO: i64 = 1_000;

/// Ids read per round of a merge beyond the ones still wanted, so that a few excluded ids do
/// not cost another round.
const MERGE_SLACK: i64 = 16;

impl Walk {
    /// The cheaper walk when the shortest posting list of `all_of` has `postings` entries
    /// (as counted by [`Db::token_postings`]). Below the bound a probe walk costs at most that
    /// many seeks; at it, a merge reads the lists in order, several times cheaper an entry
    /// (0.1 µs a merge step against 0.7 µs a probe, timed in the sqlite3 shell on a
    /// 2,000,000-row token table of the same shape), and stops as soon as it has its page.
    pub fn for_shortest(postings: i64) -> Walk {
        if postings < POSTINGS_COUNTED_UP_TO {
            Walk::Probe
        } else {
            Walk::Merge
        }
    }
}

impl TokenSearch<'_> {
    /// The statement's body up to its ordering and the number of its next free parameter,
    /// or `None` when it can match nothing (no token). Parameters: $1 the practice, $2.. the
    /// tokens of `all_of` then `not_all_of`, then the status if given, then `after` if
    /// `with_after` (the order [`Self::bind`] binds them in).
    fn sql(&self, with_after: bool) -> Option<(String, usize)> {
        if self.all_of.is_empty() {
            return None;
        }
        let holds = |param: usize| {
            format!(
                "EXISTS (SELECT 1 FROM patient_search_tokens t WHERE t.practice_id = $1 \
                 AND t.token = ${param} AND t.patient_id = d.patient_id)"
            )
        };
        // $2 drives the walk; every other token is a probe.
        let mut conditions = vec!["d.practice_id = $1".to_string(), "d.token = $2".to_string()];
        let mut param = 3;
        for _ in 1..self.all_of.len() {
            conditions.push(holds(param));
            param += 1;
        }
        if !self.not_all_of.is_empty() {
            let mut all = Vec::with_capacity(self.not_all_of.len());
            for _ in self.not_all_of {
                all.push(holds(param));
                param += 1;
            }
            conditions.push(format!("NOT ({})", all.join(" AND ")));
        }
        let mut sql = String::from("SELECT d.patient_id AS id FROM patient_search_tokens d");
        if self.status.is_some() {
            sql.push_str(&format!(
                " JOIN patients p ON p.practice_id = d.practice_id AND p.id = d.patient_id \
                 AND p.status = ${param}"
            ));
            param += 1;
        }
        if with_after {
            conditions.push(format!("d.patient_id > ${param}"));
            param += 1;
        }
        Some((format!("{sql} WHERE {}", conditions.join(" AND ")), param))
    }

    /// One round of a merge: up to `$limit` ids that every token of `all_of` holds, in id
    /// order (after `after` if `with_after`), each with `keep` = 1 when it passes the
    /// exclusion and the status. Parameters as [`Self::sql`]'s, then the limit.
    fn merge_sql(&self, with_after: bool) -> Option<String> {
        if self.all_of.is_empty() {
            return None;
        }
        let tokens = self.all_of.len() + self.not_all_of.len();
        let mut param = 2 + tokens;
        let status_param = self.status.map(|_| {
            param += 1;
            param - 1
        });
        let after = with_after.then(|| {
            param += 1;
            format!(" AND patient_id > ${}", param - 1)
        });
        let after = after.as_deref().unwrap_or("");
        let arms: Vec<String> = (0..self.all_of.len())
            .map(|k| {
                format!(
                    "SELECT patient_id FROM patient_search_tokens \
                     WHERE practice_id = $1 AND token = ${}{after}",
                    2 + k
                )
            })
            .collect();
        let holds = |param: usize| {
            format!(
                "EXISTS (SELECT 1 FROM patient_search_tokens t WHERE t.practice_id = $1 \
                 AND t.token = ${param} AND t.patient_id = m.id)"
            )
        };
        let mut keep = Vec::new();
        if !self.not_all_of.is_empty() {
            let all: Vec<String> = (0..self.not_all_of.len())
                .map(|k| holds(2 + self.all_of.len() + k))
                .collect();
            keep.push(format!("NOT ({})", all.join(" AND ")));
        }
        if let Some(status) = status_param {
            keep.push(format!(
                "EXISTS (SELECT 1 FROM patients p WHERE p.practice_id = $1 AND p.id = m.id \
                 AND p.status = ${status})"
            ));
        }
        let keep = if keep.is_empty() {
            "1".to_string()
        } else {
            format!("CASE WHEN {} THEN 1 ELSE 0 END", keep.join(" AND "))
        };
        // The ORDER BY and LIMIT inside the CTE make SQLite merge the ranges (a MERGE
        // (INTERSECT) that stops at the limit) instead of building a temporary B-tree of every
        // posting. (Only SQLite runs it: see `chooses_token_walks`.)
        Some(format!(
            "WITH m(id) AS ({} ORDER BY 1 LIMIT ${param}) \
             SELECT m.id AS id, CAST({keep} AS BIGINT) AS keep FROM m ORDER BY m.id",
            arms.join(" INTERSECT ")
        ))
    }

    fn bind<'q, DB: sqlx::Database>(
        &'q self,
        mut q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
        practice_id: &'q str,
        after: Option<&'q str>,
    ) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
    where
        &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        q = q.bind(practice_id);
        for t in self.all_of.iter().chain(self.not_all_of) {
            q = q.bind(&t[..]);
        }
        if let Some(status) = self.status {
            q = q.bind(status);
        }
        if let Some(after) = after {
            q = q.bind(after);
        }
        q
    }
}

impl Db {
    /// Ids of the practice's patients that hold every token of `search.all_of` and not every
    /// token of `search.not_all_of` (and, if given, have this status), in id order after
    /// `after`, at most `limit`. No sealed value is read.
    ///
    /// With [`Walk::Probe`] the first token of `all_of` drives the query: its index range is
    /// walked in id order and each other token is one primary-key probe per candidate, so a
    /// page costs about its length in probes when the driving token is the rarest (the caller
    /// orders them). With [`Walk::Merge`] (and more than one token) the ranges are merged.
    pub async fn search_patient_page(
        &self,
        practice_id: &str,
        search: &TokenSearch<'_>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        if self.merges(search) {
            return self.merged_page(practice_id, search, after, limit).await;
        }
        let Some((sql, limit_param)) = search.sql(after.is_some()) else {
            return Ok(Vec::new());
        };
        let sql = format!("{sql} ORDER BY d.patient_id LIMIT ${limit_param}");
        on_db!(self, pool => {
            let q = search
                .bind(sqlx::query(sqlx::AssertSqlSafe(sql)), practice_id, after)
                .bind(limit);
            let rows = q.fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(row.try_get("id")?);
            }
            Ok(out)
        })
    }

    /// [`Self::search_patient_page`] by merging: rounds of merged ids until `limit` pass the
    /// exclusion and status, or the postings end.
    async fn merged_page(
        &self,
        practice_id: &str,
        search: &TokenSearch<'_>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let wanted = usize::try_from(limit).unwrap_or(0);
        let mut out: Vec<String> = Vec::with_capacity(wanted);
        let mut after = after.map(str::to_string);
        while out.len() < wanted {
            let Some(sql) = search.merge_sql(after.is_some()) else {
                break;
            };
            let round = i64::try_from(wanted - out.len()).unwrap_or(i64::MAX) + MERGE_SLACK;
            let rows: Vec<(String, i64)> = on_db!(self, pool => {
                let rows = search
                    .bind(sqlx::query(sqlx::AssertSqlSafe(sql)), practice_id, after.as_deref())
                    .bind(round)
                    .fetch_all(pool)
                    .await?;
                let mut ids = Vec::with_capacity(rows.len());
                for row in rows {
                    ids.push((row.try_get("id")?, row.try_get("keep")?));
                }
                Ok::<_, StoreError>(ids)
            })?;
            let ended = i64::try_from(rows.len()).unwrap_or(i64::MAX) < round;
            for (id, keep) in rows {
                after = Some(id.clone());
                if keep == 1 {
                    out.push(id);
                }
            }
            if ended {
                break;
            }
        }
        out.truncate(wanted);
        Ok(out)
    }

    /// How many patients [`Self::search_patient_page`] would list from the start, counting
    /// no further than `cap`.
    pub async fn count_search_matches(
        &self,
        practice_id: &str,
        search: &TokenSearch<'_>,
        cap: i64,
    ) -> Result<i64, StoreError> {
        if self.merges(search) {
            let ids = self.merged_page(practice_id, search, None, cap).await?;
            return Ok(i64::try_from(ids.len()).unwrap_or(i64::MAX));
        }
        let Some((sql, cap_param)) = search.sql(false) else {
            return Ok(0);
        };
        let sql = format!("SELECT count(*) AS n FROM ({sql} LIMIT ${cap_param}) AS capped");
        on_db!(self, pool => {
            let row = search
                .bind(sqlx::query(sqlx::AssertSqlSafe(sql)), practice_id, None)
                .bind(cap)
                .fetch_one(pool)
                .await?;
            Ok(row.try_get("n")?)
        })
    }
}

impl Db {
    /// Whether the walk and the order of `all_of` are the caller's to choose. On SQLite they
    /// are: its planner follows the statement as written. PostgreSQL's planner picks the join
    /// itself from its statistics (a merge join of two long lists, 1.3 ms where its hashed
    /// `INTERSECT` took 7 ms), so there [`Walk`] is ignored and counting postings first would
    /// only cost a round trip.
    pub fn chooses_token_walks(&self) -> bool {
        matches!(self, Db::Sqlite(..))
    }

    fn merges(&self, search: &TokenSearch<'_>) -> bool {
        search.walk == Walk::Merge && search.all_of.len() > 1 && self.chooses_token_walks()
    }

    /// How many patients of the practice hold each token, each counted up to
    /// [`POSTINGS_COUNTED_UP_TO`] (a count reads that many index entries at most): what a
    /// caller orders `all_of` by and chooses its [`Walk`] from. One statement for all tokens.
    pub async fn token_postings(
        &self,
        practice_id: &str,
        tokens: &[[u8; 32]],
    ) -> Result<Vec<i64>, StoreError> {
        if tokens.is_empty() {
            return Ok(Vec::new());
        }
        let cap_param = tokens.len() + 2;
        let columns: Vec<String> = (0..tokens.len())
            .map(|k| {
                format!(
                    "(SELECT count(*) FROM (SELECT 1 FROM patient_search_tokens \
                     WHERE practice_id = $1 AND token = ${} LIMIT ${cap_param}) AS c) AS c{k}",
                    k + 2
                )
            })
            .collect();
        let sql = format!("SELECT {}", columns.join(", "));
        on_db!(self, pool => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(practice_id);
            for t in tokens {
                q = q.bind(&t[..]);
            }
            let row = q.bind(POSTINGS_COUNTED_UP_TO).fetch_one(pool).await?;
            let mut out = Vec::with_capacity(tokens.len());
            for k in 0..tokens.len() {
                out.push(row.try_get::<i64, _>(k)?);
            }
            Ok(out)
        })
    }
}
