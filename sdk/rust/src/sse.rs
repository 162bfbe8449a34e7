//! Server-sent events of a streamed answer, read into [`StreamEvent`]s as they arrive.

use bytes::{Buf, BytesMut};
use futures_util::{Stream, StreamExt};
use kurobe_api::queries::StreamEvent;

use crate::Error;

/// The `data:` of one event in `block` (the text between blank lines); comments and
/// keep-alives have none.
fn data_of(block: &str) -> Option<String> {
    let lines: Vec<&str> = block
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(|data| data.strip_prefix(' ').unwrap_or(data))
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The events of `response`'s body; the stream ends after `done` or `error`, or when the
/// server closes it.
pub(crate) fn events(response: reqwest::Response) -> impl Stream<Item = Result<StreamEvent, Error>> {
    let status = response.status().as_u16();
    let bodies = response.bytes_stream();
    futures_util::stream::unfold(
        (bodies, BytesMut::new(), false),
        move |(mut bodies, mut buffer, finished)| async move {
            if finished {
                return None;
            }
            loop {
                if let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
                    let block = String::from_utf8_lossy(&buffer[..end]).replace('\r', "");
                    buffer.advance(end + 2);
                    let Some(data) = data_of(&block) else { continue };
                    let event = serde_json::from_str::<StreamEvent>(&data)
                        .map_err(|e| Error::Unexpected { status, detail: format!("{e}: {data}") });
                    let last = matches!(event, Ok(StreamEvent::Done { .. } | StreamEvent::Error { .. }) | Err(_));
                    return Some((event, (bodies, buffer, last)));
                }
                match bodies.next().await {
                    Some(Ok(chunk)) => buffer.extend_from_slice(&chunk),
                    Some(Err(error)) => return Some((Err(Error::Transport(error)), (bodies, buffer, true))),
                    None => return None,
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::data_of;

    #[test]
    fn data_lines_are_joined_and_comments_skipped() {
        assert_eq!(data_of("event: sql\ndata: {\"a\":1}").as_deref(), Some("{\"a\":1}"));
        assert_eq!(data_of("data:x\ndata: y").as_deref(), Some("x\ny"));
        assert_eq!(data_of(": keep-alive"), None);
    }
}
