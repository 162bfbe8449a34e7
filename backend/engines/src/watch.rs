use std::{
    path::PathBuf,
    time::{Duration, SystemTime},
};

/// What identifies a version of the file without reading it.
fn stamp(path: &std::path::Path) -> Option<(SystemTime, u64)> {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.modified().ok()?, metadata.len()))
}

/// Polls `path` and calls `changed` once it has changed and then stayed the same for one
/// more poll, so an editor writing in several steps (or replacing the file by rename) is
/// seen once, when it is done. Runs until the task is dropped.
///
/// Polling rather than inotify: it sees renames, bind-mounted config maps and network file
/// systems alike, and costs one `stat` per interval.
pub async fn watch_file(path: PathBuf, interval: Duration, mut changed: impl FnMut()) {
    let mut seen = stamp(&path);
    let mut pending: Option<Option<(SystemTime, u64)>> = None;
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        let now = stamp(&path);
        match pending {
            Some(candidate) if candidate == now => {
                pending = None;
                seen = now;
                changed();
            }
            _ if now != seen => pending = Some(now),
            _ => pending = None,
        }
    }
}
