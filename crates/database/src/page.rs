//! One page of a listing and the count of the whole listing.

use crate::{Database, DbError, FromRow, SqlValue};

/// A window of rows: `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub limit: i64,
    pub offset: i64,
}

/// Rows `window` of `select` decoded as `T`, and the number of rows the
/// whole listing has, from `count` (a statement selecting one `total`).
///
/// Both statements take the same `params`; `select` gets two more, the
/// limit and the offset, appended as `LIMIT $n OFFSET $n+1`, so it must
/// end with its `ORDER BY`.
pub async fn fetch_page<T: FromRow>(
    database: &dyn Database,
    select: &str,
    count: &str,
    params: &[SqlValue],
    window: Window,
) -> Result<(Vec<T>, u64), DbError> {
    let mut with_window = params.to_vec();
    with_window.push(window.limit.into());
    with_window.push(window.offset.into());
    let sql = format!(
        "{select} LIMIT ${} OFFSET ${}",
        params.len() + 1,
        params.len() + 2
    );
    let rows = database.query(&sql, &with_window).await?;
    let total = database
        .query_opt(count, params)
        .await?
        .map(|row| row.get::<i64>("total"))
        .transpose()?
        .unwrap_or(0);
    let items = rows
        .iter()
        .map(|row| row.decode())
        .collect::<Result<_, _>>()?;
    Ok((items, u64::try_from(total).unwrap_or(0)))
}
