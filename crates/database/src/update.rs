//! An `UPDATE` statement built from the fields a request actually changes.
//!
//! ```
//! use codex_database::{Patch, SqlValue, Update};
//!
//! let (sql, params) = Update::new("users u")
//!     .set("name", "Ada")
//!     .patch("bio", Patch::<String>::Null)
//!     .patch("website", Patch::<String>::Absent)
//!     .set_sql("updated_at", "now()")
//!     .where_eq("u.id", 7_i64)
//!     .where_sql("u.deleted_at IS NULL")
//!     .returning("u.id, u.name")
//!     .build();
//! assert_eq!(
//!     sql,
//!     "UPDATE users u SET name = $1, bio = $2, updated_at = now() \
//!      WHERE u.id = $3 AND (u.deleted_at IS NULL) RETURNING u.id, u.name"
//! );
//! assert_eq!(
//!     params,
//!     [SqlValue::Text(Some("Ada".into())), SqlValue::Text(None), SqlValue::Int(Some(7))]
//! );
//! ```
//!
//! Every value is bound as a parameter (`$1…`, numbered in the order the
//! calls were made). Table, column names and the `*_sql` fragments are
//! `&'static str`: text written in our code, never input.
//!
//! When nothing is to be set (every patch `Absent`), [`Update::build`]
//! gives `SELECT {returning} FROM {table} WHERE {conditions}` with the same
//! parameters instead: a request that changes nothing reads the current
//! row, exactly as the `UPDATE … RETURNING` would have returned it, without
//! writing (so triggers such as `set_updated_at` do not fire) and without
//! locking it. With no `RETURNING` either, it is `SELECT 1 FROM {table}
//! WHERE {conditions}`, which changes nothing. Either way a missing row
//! still gives no row.

use std::borrow::Cow;

use crate::{FromRow, Patch, SqlValue, columns};

#[derive(Debug, Clone, PartialEq)]
enum Assignment {
    Value(SqlValue),
    Sql(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
enum Condition {
    Eq(&'static str, SqlValue),
    Sql(&'static str),
}

/// `UPDATE {table} SET … WHERE … RETURNING …`, see the module documentation.
#[derive(Debug, Clone, PartialEq)]
#[must_use = "an Update does nothing until it is built and run"]
pub struct Update {
    table: &'static str,
    assignments: Vec<(&'static str, Assignment)>,
    conditions: Vec<Condition>,
    returning: Option<Cow<'static, str>>,
}

impl Update {
    /// `table` is the table's name with an optional alias: `"users"`,
    /// `"users u"` or `"users AS u"`.
    pub fn new(table: &'static str) -> Self {
        Self {
            table,
            assignments: Vec::new(),
            conditions: Vec::new(),
            returning: None,
        }
    }

    /// `column = value`, always. A `None` sets a typed NULL.
    ///
    /// `column` is a bare column name: PostgreSQL refuses an alias in `SET`.
    pub fn set(self, column: &'static str, value: impl Into<SqlValue>) -> Self {
        self.assign(column, Assignment::Value(value.into()))
    }

    /// `column = expression`, for constants written in our code such as
    /// `now()` or `'creator'`. The expression is spliced into the
    /// statement, so it must never carry input: use [`Update::set`] for
    /// values.
    pub fn set_sql(self, column: &'static str, expression: &'static str) -> Self {
        self.assign(column, Assignment::Sql(expression))
    }

    /// Applies one field of a partial update: `Absent` leaves the column
    /// alone, `Null` sets it to a NULL of `V`'s SQL type, a value sets it.
    pub fn patch<V>(self, column: &'static str, patch: Patch<V>) -> Self
    where
        Option<V>: Into<SqlValue>,
    {
        match patch {
            Patch::Absent => self,
            Patch::Null => self.set(column, None::<V>),
            Patch::Value(value) => self.set(column, Some(value)),
        }
    }

    /// `expression = value` in the `WHERE` clause (joined with `AND`).
    /// `expression` is ours, usually an aliased column such as `"u.id"`.
    /// A NULL value matches nothing; use [`Update::where_sql`] with
    /// `IS NULL` instead.
    pub fn where_eq(mut self, expression: &'static str, value: impl Into<SqlValue>) -> Self {
        self.conditions
            .push(Condition::Eq(expression, value.into()));
        self
    }

    /// A condition written in our code, such as `"u.deleted_at IS NULL"`,
    /// joined with `AND` (in parentheses, so an `OR` inside stays inside).
    /// It is spliced into the statement, so it must never carry input.
    pub fn where_sql(mut self, condition: &'static str) -> Self {
        self.conditions.push(Condition::Sql(condition));
        self
    }

    /// The `RETURNING` list, such as `"u.id, u.name"`: ours, never input.
    pub fn returning(mut self, columns: &'static str) -> Self {
        self.returning = Some(Cow::Borrowed(columns));
        self
    }

    /// Returns `T::COLUMNS`, prefixed with the table's alias if it has one,
    /// so the row can be read with [`Row::decode`](crate::Row::decode).
    pub fn returning_columns<T: FromRow>(mut self) -> Self {
        self.returning = Some(Cow::Owned(columns::<T>(self.alias())));
        self
    }

    /// True when nothing is to be set: [`Update::build`] then gives a
    /// `SELECT` rather than an `UPDATE`.
    pub fn is_noop(&self) -> bool {
        self.assignments.is_empty()
    }

    /// The statement and its parameters, numbered `$1…` in order.
    pub fn build(self) -> (String, Vec<SqlValue>) {
        let mut params = Vec::new();
        let mut bind = |value: SqlValue| {
            params.push(value);
            format!("${}", params.len())
        };
        let is_update = !self.assignments.is_empty();
        let mut sql = if is_update {
            let assignments: Vec<String> = self
                .assignments
                .into_iter()
                .map(|(column, assignment)| match assignment {
                    Assignment::Value(value) => format!("{column} = {}", bind(value)),
                    Assignment::Sql(expression) => format!("{column} = {expression}"),
                })
                .collect();
            format!("UPDATE {} SET {}", self.table, assignments.join(", "))
        } else {
            let list = self.returning.as_deref().unwrap_or("1");
            format!("SELECT {list} FROM {}", self.table)
        };
        if !self.conditions.is_empty() {
            let conditions: Vec<String> = self
                .conditions
                .into_iter()
                .map(|condition| match condition {
                    Condition::Eq(expression, value) => format!("{expression} = {}", bind(value)),
                    Condition::Sql(condition) => format!("({condition})"),
                })
                .collect();
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        if is_update && let Some(list) = &self.returning {
            sql.push_str(" RETURNING ");
            sql.push_str(list);
        }
        (sql, params)
    }

    fn assign(mut self, column: &'static str, assignment: Assignment) -> Self {
        debug_assert!(
            !column.contains('.'),
            "SET takes a bare column name, not {column:?}"
        );
        debug_assert!(
            self.assignments.iter().all(|(set, _)| *set != column),
            "{column:?} is set twice"
        );
        self.assignments.push((column, assignment));
        self
    }

    /// The alias in `"users u"` or `"users AS u"`; empty when there is none.
    fn alias(&self) -> &'static str {
        let mut words = self.table.split_whitespace().skip(1);
        match (words.next(), words.next()) {
            (Some(keyword), Some(alias)) if keyword.eq_ignore_ascii_case("as") => alias,
            (Some(alias), None) => alias,
            _ => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::{DbError, Row};

    struct Named;

    impl FromRow for Named {
        const COLUMNS: &'static [&'static str] = &["id", "name"];

        fn from_row(_row: &Row) -> Result<Self, DbError> {
            Ok(Self)
        }
    }

    #[test]
    fn sets_then_conditions_are_numbered_in_order() {
        let id = Uuid::new_v4();
        let (sql, params) = Update::new("users u")
            .set("name", "Ada")
            .set("age", 36_i64)
            .where_eq("u.id", id)
            .where_eq("u.org", "acme")
            .returning("u.id")
            .build();
        assert_eq!(
            sql,
            "UPDATE users u SET name = $1, age = $2 WHERE u.id = $3 AND u.org = $4 RETURNING u.id"
        );
        assert_eq!(
            params,
            [
                SqlValue::Text(Some("Ada".into())),
                SqlValue::Int(Some(36)),
                SqlValue::Uuid(Some(id)),
                SqlValue::Text(Some("acme".into())),
            ]
        );
    }

    #[test]
    fn patches_skip_absent_and_bind_typed_nulls() {
        let (sql, params) = Update::new("profiles")
            .patch("bio", Patch::<String>::Absent)
            .patch("website", Patch::<String>::Null)
            .patch("owner", Patch::<Uuid>::Null)
            .patch("age", Patch::Value(5_i32))
            .where_eq("id", 1_i64)
            .build();
        assert_eq!(
            sql,
            "UPDATE profiles SET website = $1, owner = $2, age = $3 WHERE id = $4"
        );
        assert_eq!(
            params,
            [
                SqlValue::Text(None),
                SqlValue::Uuid(None),
                SqlValue::Int(Some(5)),
                SqlValue::Int(Some(1)),
            ]
        );
    }

    #[test]
    fn raw_expressions_take_no_parameter_and_raw_conditions_are_parenthesised() {
        let (sql, params) = Update::new("users u")
            .set_sql("updated_at", "now()")
            .set("name", "x")
            .where_sql("u.role = 'a' OR u.role = 'b'")
            .where_eq("u.id", 3_i64)
            .build();
        assert_eq!(
            sql,
            "UPDATE users u SET updated_at = now(), name = $1 \
             WHERE (u.role = 'a' OR u.role = 'b') AND u.id = $2"
        );
        assert_eq!(params.len(), 2);
    }

    #[test]
    fn nothing_to_set_reads_the_row_with_the_same_conditions() {
        let update = Update::new("users u")
            .patch("bio", Patch::<String>::Absent)
            .where_eq("u.id", 9_i64)
            .where_sql("u.deleted_at IS NULL")
            .returning("u.id, u.name");
        assert!(update.is_noop());
        let (sql, params) = update.build();
        assert_eq!(
            sql,
            "SELECT u.id, u.name FROM users u WHERE u.id = $1 AND (u.deleted_at IS NULL)"
        );
        assert_eq!(params, [SqlValue::Int(Some(9))]);
    }

    #[test]
    fn nothing_to_set_and_nothing_returned_is_a_harmless_select() {
        let (sql, params) = Update::new("users").where_eq("id", 9_i64).build();
        assert_eq!(sql, "SELECT 1 FROM users WHERE id = $1");
        assert_eq!(params, [SqlValue::Int(Some(9))]);
        assert_eq!(Update::new("users").build().0, "SELECT 1 FROM users");
    }

    #[test]
    fn an_update_without_conditions_has_no_where_clause() {
        let update = Update::new("platform_configuration p").set("enable_signups", false);
        assert!(!update.is_noop());
        let (sql, params) = update.returning("p.enable_signups").build();
        assert_eq!(
            sql,
            "UPDATE platform_configuration p SET enable_signups = $1 RETURNING p.enable_signups"
        );
        assert_eq!(params, [SqlValue::Bool(Some(false))]);
    }

    #[test]
    fn returning_columns_uses_the_alias_when_there_is_one() {
        let returning = |table| {
            Update::new(table)
                .returning_columns::<Named>()
                .set("name", "x")
                .build()
                .0
        };
        assert_eq!(
            returning("users u"),
            "UPDATE users u SET name = $1 RETURNING u.id, u.name"
        );
        assert_eq!(
            returning("users AS usr"),
            "UPDATE users AS usr SET name = $1 RETURNING usr.id, usr.name"
        );
        assert_eq!(
            returning("users"),
            "UPDATE users SET name = $1 RETURNING id, name"
        );
    }

    #[test]
    #[should_panic(expected = "bare column name")]
    #[cfg(debug_assertions)]
    fn an_aliased_set_column_is_caught_in_debug_builds() {
        let _ = Update::new("users u").set("u.name", "x");
    }
}
