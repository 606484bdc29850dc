//! `extent read TABLE`: a table's rows, as aligned text, JSON columns, or a CSV file.

use serde_json::Value;

use crate::backend::{Backend, Error, Result, TableData};

use super::super::export::Target;
use super::super::Output;
use super::Args;

/// Reads the table at `path` and prints it, or writes it to `target` as CSV.
pub async fn run(
    store: &dyn Backend,
    path: &str,
    args: &Args,
    target: Option<Target>,
    out: &Output,
) -> Result<()> {
    if args.slice.is_some() {
        return Err(Error::invalid_input(format!(
            "'{path}' is a table: --slice selects part of an array; read the whole table"
        )));
    }
    let table = store.read_table(path).await?;
    if let (Some(target), Some(file)) = (target, &args.out) {
        target.write_bytes(csv(&table).as_bytes())?;
        let summary = serde_json::json!({"rows": table.rows(), "columns": table.columns,
                                         "out": file});
        out.emit(&summary, || {
            format!(
                "wrote {} rows of {} columns to {}",
                table.rows(),
                table.columns.len(),
                file.display()
            )
        });
        return Ok(());
    }
    let columns: serde_json::Map<String, Value> = table
        .columns
        .iter()
        .zip(&table.values)
        .map(|(c, v)| (c.clone(), Value::Array(v.clone())))
        .collect();
    let json = serde_json::json!({"columns": table.columns, "rows": table.rows(),
                                  "data": columns});
    out.emit(&json, || text(&table));
    Ok(())
}

/// RFC 4180: a header line, then one line per row; cells with `,`, `"` or line breaks quoted.
pub fn csv(t: &TableData) -> String {
    let quote = |s: String| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    };
    let mut out = String::new();
    let header: Vec<String> = t.columns.iter().cloned().map(quote).collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for row in t.text_rows(0..t.rows()) {
        let row: Vec<String> = row.into_iter().map(quote).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Aligned columns for people.
fn text(t: &TableData) -> String {
    let rows = t.text_rows(0..t.rows());
    let widths = t.column_widths(&rows);
    let line = |cells: Vec<String>| -> String {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, &w)| format!("{c:<w$}"))
            .collect();
        format!("{}\n", parts.join("  ").trim_end())
    };
    let mut s = line(t.columns.clone());
    for r in rows {
        s.push_str(&line(r));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_quotes_what_needs_it() {
        let t = TableData::new(
            vec!["a".into(), "b,c".into()],
            vec![vec![json!(1), json!(null)], vec![json!("x\"y"), json!(2.5)]],
        )
        .unwrap();
        assert_eq!(csv(&t), "a,\"b,c\"\r\n1,\"x\"\"y\"\r\n,2.5\r\n");
        assert_eq!(text(&t), "a  b,c\n1  x\"y\n   2.5\n");
    }
}
