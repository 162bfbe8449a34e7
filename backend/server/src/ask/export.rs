//! CSV export of a query's result: the SQL is guarded again (the schema may have changed
//! since it ran) and streamed from the warehouse batch by batch, so an export never holds
//! the whole result — memory stays at a few batches whatever the row count.

use bytes::Bytes;
use futures_util::Stream;
use kurobe_connector::{RowBatch, Value};

use super::{Source, query_error};
use crate::{audit::spawn_in_request, http::ApiError};

/// Batches in flight between the warehouse and the client; a slow client slows the query.
const BATCHES_IN_FLIGHT: usize = 2;

/// Appends one RFC 4180 record: fields quoted when they hold a comma, a quote or a line
/// break, quotes doubled.
fn write_record<'a>(out: &mut Vec<u8>, fields: impl Iterator<Item = std::borrow::Cow<'a, str>>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if field.contains([',', '"', '\n', '\r']) {
            out.push(b'"');
            out.extend_from_slice(field.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(field.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
}

fn encode(batch: RowBatch) -> Bytes {
    let mut out = Vec::new();
    match batch {
        RowBatch::Columns(columns) => write_record(&mut out, columns.iter().map(|c| c.name.as_str().into())),
        RowBatch::Rows(rows) => {
            for row in rows {
                write_record(
                    &mut out,
                    row.iter().map(|v| if *v == Value::Null { "".into() } else { v.to_text().into() }),
                );
            }
        }
    }
    Bytes::from(out)
}

/// Guards `sql` and streams its rows as CSV. The query runs on its own task; a client
/// that disconnects closes the channel, which stops the query on the warehouse.
pub(crate) fn csv(
    source: &Source<'_>,
    sql: &str,
) -> Result<impl Stream<Item = Result<Bytes, std::io::Error>> + use<>, ApiError> {
    let guarded = source.guard(sql)?;
    let (sender, receiver) = tokio::sync::mpsc::channel(BATCHES_IN_FLIGHT);
    let connector = source.connector.clone();
    let request = source.request.clone();
    let (failed_sender, failed) = tokio::sync::oneshot::channel();
    spawn_in_request(async move {
        if let Err(error) = connector.stream(&guarded.sql, &request, sender).await {
            tracing::warn!(%error, "a CSV export failed part way");
            failed_sender.send(query_error(error).detail().message).ok();
        }
    });
    // After the last batch, a failure becomes a stream error, so the client sees a cut
    // transfer rather than a file that looks complete.
    Ok(futures_util::stream::unfold((receiver, Some(failed)), |(mut receiver, failed)| async move {
        match receiver.recv().await {
            Some(batch) => Some((Ok(encode(batch)), (receiver, failed))),
            None => match failed?.await {
                Ok(message) => Some((Err(std::io::Error::other(message)), (receiver, None))),
                Err(_) => None,
            },
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        let mut out = Vec::new();
        let fields = ["plain", "a,b", "say \"hi\"", "two\nlines", ""];
        write_record(&mut out, fields.iter().map(|f| (*f).into()));
        assert_eq!(String::from_utf8(out).unwrap(), "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n");
    }
}
