//! Token search: which patients hold a set of blind-index tokens, walked in id order one page
//! at a time. No sealed value is read.

use sqlx::Row;

use crate::{Db, StoreError, on_db};

/// Which patients a search asks for, as blind-index tokens: those holding every token of
/// `all_of` (the first drives the query, so it should be the rarest) but not every token of
/// `not_all_of` (empty: no exclusion), and, if given, of this status.
#[derive(Debug, Clone, Copy)]
pub struct TokenSearch<'a> {
    pub all_of: &'a [[u8; 32]],
    pub not_all_of: &'a [[u8; 32]],
    pub status: Option<&'a str>,
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
    /// The first token of `all_of` drives the query: its index range is walked in id order
    /// and each other token is one primary-key probe per candidate, so a page costs about
    /// its length in probes when the driving token is the rarest (the caller orders them).
    pub async fn search_patient_page(
        &self,
        practice_id: &str,
        search: &TokenSearch<'_>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
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

    /// How many patients [`Self::search_patient_page`] would list from the start, counting
    /// no further than `cap`.
    pub async fn count_search_matches(
        &self,
        practice_id: &str,
        search: &TokenSearch<'_>,
        cap: i64,
    ) -> Result<i64, StoreError> {
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
