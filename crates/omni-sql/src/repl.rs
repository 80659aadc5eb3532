//! The pieces of the interactive `omni sql` shell that are not terminal I/O: splitting input
//! into statements and the `\d` meta-commands.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};

/// Accumulates typed lines and hands out complete statements (ended by `;` outside quotes
/// and comments). Meta-commands (`\d`, `\q`, ...) are whole lines on their own.
#[derive(Debug, Default)]
pub struct StatementBuffer {
    text: String,
}

/// One thing to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Sql(String),
    Meta(String),
}

impl StatementBuffer {
    /// True while a statement is unfinished (the prompt shows a continuation).
    pub fn is_pending(&self) -> bool {
        !self.text.trim().is_empty()
    }

    /// Adds a line; returns what became complete.
    pub fn push_line(&mut self, line: &str) -> Vec<Input> {
        if !self.is_pending() && line.trim_start().starts_with('\\') {
            return vec![Input::Meta(line.trim().to_string())];
        }
        self.text.push_str(line);
        self.text.push('\n');
        let mut out = Vec::new();
        while let Some(end) = statement_end(&self.text) {
            let stmt: String = self.text[..end].trim().to_string();
            self.text = self.text[end + 1..].to_string();
            if !stmt.is_empty() {
                out.push(Input::Sql(stmt));
            }
        }
        if self.text.trim().is_empty() {
            self.text.clear();
        }
        out
    }

    /// Drops an unfinished statement (Ctrl-C).
    pub fn clear(&mut self) {
        self.text.clear();
    }

    /// What is left at end of input, run as a last statement.
    pub fn finish(&mut self) -> Option<Input> {
        let s = std::mem::take(&mut self.text);
        let s = s.trim();
        (!s.is_empty()).then(|| Input::Sql(s.to_string()))
    }
}

/// Byte index of the first `;` that ends a statement (outside quotes and comments).
fn statement_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
            }
            None => match c {
                b'\'' | b'"' => quote = Some(c),
                b'-' if b.get(i + 1) == Some(&b'-') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    i += 2;
                    while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                        i += 1;
                    }
                    i += 1;
                }
                b';' => return Some(i),
                _ => {}
            },
        }
        i += 1;
    }
    None
}

/// `\d`: every table and its number of columns.
pub async fn list_tables(ctx: &SessionContext) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    crate::query(
        ctx,
        "SELECT table_name, count(*) AS columns FROM information_schema.columns \
         WHERE table_schema = 'public' GROUP BY table_name ORDER BY table_name",
    )
    .await
}

/// `\d TABLE`: columns, types and nullability.
pub async fn describe_table(
    ctx: &SessionContext,
    table: &str,
) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let names = crate::table_names(ctx);
    if !names.iter().any(|n| n == table) {
        let hint = omni_core::suggest(table, names.iter().map(String::as_str))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(Error::Query {
            message: format!("no table `{table}`{hint} (tables: {})", names.join(", ")),
        });
    }
    crate::query(
        ctx,
        &format!(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = '{}' ORDER BY ordinal_position",
            table.replace('\'', "''")
        ),
    )
    .await
}

/// Help text of the shell.
pub const HELP: &str = "\
Statements end with `;` and may span lines. Meta-commands:
  \\d            list tables
  \\d TABLE      describe a table
  \\f FORMAT     output format: table, csv, json
  \\?            this help
  \\q            quit (or Ctrl-D)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_statements_across_lines_respecting_quotes_and_comments() {
        let mut b = StatementBuffer::default();
        assert!(b.push_line("SELECT 'a;b' AS x, -- not here;").is_empty());
        assert!(b.is_pending());
        assert_eq!(
            b.push_line("  /* nor ; here */ 2; SELECT 3;"),
            vec![
                Input::Sql("SELECT 'a;b' AS x, -- not here;\n  /* nor ; here */ 2".into()),
                Input::Sql("SELECT 3".into())
            ]
        );
        assert!(!b.is_pending());
        assert_eq!(
            b.push_line("\\d profiles"),
            vec![Input::Meta("\\d profiles".into())]
        );
        assert!(b.push_line("SELECT 4").is_empty());
        assert_eq!(b.finish(), Some(Input::Sql("SELECT 4".into())));
        assert_eq!(b.finish(), None);
    }

    #[tokio::test]
    async fn describes_tables_and_suggests_names() {
        let ctx = crate::new_context();
        ctx.sql("CREATE TABLE profiles (customer_id VARCHAR NOT NULL, orders BIGINT)")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let (_, b) = describe_table(&ctx, "profiles").await.unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&b)
            .unwrap()
            .to_string();
        assert!(
            text.contains("customer_id") && text.contains("orders") && text.contains("Int64"),
            "{text}"
        );
        let e = describe_table(&ctx, "profile")
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean `profiles`?"), "{e}");
        let (_, b) = list_tables(&ctx).await.unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&b)
            .unwrap()
            .to_string();
        assert!(text.contains("profiles"), "{text}");
    }
}
