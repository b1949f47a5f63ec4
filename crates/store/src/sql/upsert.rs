//! Each information table's upsert, written once: its columns and what a row already stored takes
//! from the new one. The single upserts of [`InformationStore`] and the multi-row statements of
//! [`BulkStore`] both build their statements from these, so the two paths write alike.

use super::*;

/// One table's `INSERT INTO table (columns) VALUES … ON CONFLICT on_conflict`.
pub(super) struct Upsert {
    table: &'static str,
    /// In the order each row's values are bound.
    columns: &'static [&'static str],
    on_conflict: &'static str,
    single_row: OnceLock<String>,
}

impl Upsert {
    pub(super) const fn new(
        table: &'static str,
        columns: &'static [&'static str],
        on_conflict: &'static str,
    ) -> Upsert {
        Upsert { table, columns, on_conflict, single_row: OnceLock::new() }
    }

    /// Where `column` is among the values bound per row.
    ///
    /// # Panics
    /// If the table has no such column: the statements name their columns in code.
    pub(super) fn position(&self, column: &str) -> usize {
        self.columns
            .iter()
            .position(|c| *c == column)
            .unwrap_or_else(|| panic!("{} has no column {column}", self.table))
    }

    /// Values bound per row.
    pub(super) fn width(&self) -> usize {
        self.columns.len()
    }

    /// The statement for one row, placeholders `$1`..`$N`, built once.
    pub(super) fn single_row(&'static self) -> &'static str {
        self.single_row.get_or_init(|| self.statement(1, false))
    }

    /// The statement for `rows` rows of a bulk load.
    ///
    /// On SQLite the placeholders are anonymous `?`: sqlx binds each argument after asking SQLite for
    /// its parameter's name, which is a linear search through the statement's named parameters, so
    /// 3,500 `$N` parameters cost millions of string comparisons per statement (the profile of
    /// `mydata testdata` showed half its time there); anonymous parameters have no names to search.
    pub(super) fn rows(&self, backend: Backend, rows: usize) -> String {
        self.statement(rows, backend == Backend::Sqlite)
    }

    /// PostgreSQL: a temporary table for the rows of one [`Upsert::upsert_staged`], with this table's
    /// columns and types and none of its constraints (conflicts are settled by the upsert).
    pub(super) fn staging_table(&self) -> String {
        format!(
            "CREATE TEMP TABLE staged_{0} ON COMMIT DROP AS SELECT {1} FROM {0} WITH NO DATA",
            self.table,
            self.columns.join(", ")
        )
    }

    /// PostgreSQL: COPY of rows in text format into the [`Upsert::staging_table`].
    pub(super) fn copy_into_staging(&self) -> String {
        format!("COPY staged_{} ({}) FROM STDIN", self.table, self.columns.join(", "))
    }

    /// PostgreSQL: the upsert of every staged row.
    pub(super) fn upsert_staged(&self) -> String {
        let columns = self.columns.join(", ");
        format!(
            "INSERT INTO {0} ({columns}) SELECT {columns} FROM staged_{0} ON CONFLICT {1}",
            self.table, self.on_conflict
        )
    }

    /// PostgreSQL: drops the [`Upsert::staging_table`], so that another load in the transaction can create it again.
    pub(super) fn drop_staging(&self) -> String {
        format!("DROP TABLE staged_{}", self.table)
    }

    fn statement(&self, rows: usize, anonymous: bool) -> String {
        let width = self.width();
        let mut sql = format!("INSERT INTO {} ({}) VALUES ", self.table, self.columns.join(", "));
        for r in 0..rows {
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for c in 1..=width {
                if c > 1 {
                    sql.push_str(", ");
                }
                if anonymous {
                    sql.push('?');
                } else {
                    sql.push_str(&format!("${}", r * width + c));
                }
            }
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT ");
        sql.push_str(self.on_conflict);
        sql
    }
}

pub(super) static CUSTOMERS: Upsert = Upsert::new(
    "customers",
    &["org_code", "customer_id", "ci", "customer_name", "reg_date"],
    "(org_code, customer_id) DO UPDATE SET ci = excluded.ci, customer_name = excluded.customer_name, \
     reg_date = excluded.reg_date",
);

pub(super) static ASSETS: Upsert = Upsert::new(
    "assets",
    &["org_code", "list_api", "asset_key", "customer_id", "sort_key", "item", "updated_at"],
    "(org_code, list_api, asset_key) DO UPDATE SET customer_id = excluded.customer_id, \
     sort_key = excluded.sort_key, item = excluded.item, updated_at = excluded.updated_at",
);

pub(super) static DOCUMENTS: Upsert = Upsert::new(
    "documents",
    &["org_code", "api_id", "subject_key", "customer_id", "body", "updated_at"],
    "(org_code, api_id, subject_key) DO UPDATE SET customer_id = excluded.customer_id, \
     body = excluded.body, updated_at = excluded.updated_at",
);

pub(super) static HISTORY: Upsert = Upsert::new(
    "history",
    &["org_code", "api_id", "subject_key", "sort_key", "customer_id", "occurred", "body"],
    "(org_code, api_id, subject_key, sort_key) DO UPDATE SET customer_id = excluded.customer_id, \
     occurred = excluded.occurred, body = excluded.body",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_and_many_rows_share_the_columns_and_the_conflict_clause() {
        assert_eq!(
            CUSTOMERS.single_row(),
            "INSERT INTO customers (org_code, customer_id, ci, customer_name, reg_date) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_code, customer_id) DO UPDATE SET ci = excluded.ci, \
             customer_name = excluded.customer_name, reg_date = excluded.reg_date"
        );
        let two_rows = HISTORY.rows(Backend::Postgres, 2);
        assert!(
            two_rows.contains("VALUES ($1, $2, $3, $4, $5, $6, $7), ($8, $9, $10, $11, $12, $13, $14) ON CONFLICT")
        );
        assert!(ASSETS.rows(Backend::Sqlite, 2).contains("VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?) ON"));
        for upsert in [&CUSTOMERS, &ASSETS, &DOCUMENTS, &HISTORY] {
            let single = upsert.single_row();
            assert!(upsert.rows(Backend::Postgres, 1) == single, "{single}");
        }
    }
}
