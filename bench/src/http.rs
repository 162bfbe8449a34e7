//! The HTTP side: one keep-alive HTTP/1.1 connection per client (hyper), and the
//! fixed-duration load generator built on it (N connections, each sending its next request
//! as soon as the previous answer is read in full).

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt as _, Full};
use hyper::{
    Method, Request, StatusCode,
    client::conn::http1::SendRequest,
    header::{self, HeaderName, HeaderValue},
};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpStream;

/// One connection to a server, with the headers every request carries (Kurobe's API key,
/// or Trino's user, catalog and schema).
pub struct Client {
    addr: SocketAddr,
    headers: Vec<(HeaderName, HeaderValue)>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("addr", &self.addr).finish_non_exhaustive()
    }
}

/// A request of a load run: the path and the JSON body of a POST, or a GET without body.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub body: Bytes,
}

impl Call {
    pub fn post(path: &str, body: &serde_json::Value) -> Self {
        Self { method: Method::POST, path: path.to_owned(), body: Bytes::from(body.to_string()) }
    }
    pub fn get(path: &str) -> Self {
        Self { method: Method::GET, path: path.to_owned(), body: Bytes::new() }
    }
}

impl Client {
    pub fn new(addr: SocketAddr, api_key: &str) -> Self {
        // A key that is not a header value is sent empty, and the server's 401 says so.
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {api_key}")).unwrap_or_else(|_| HeaderValue::from_static(""));
        auth.set_sensitive(true);
        Self::with_headers(addr, vec![(header::AUTHORIZATION, auth)])
    }

    pub fn with_headers(addr: SocketAddr, headers: Vec<(HeaderName, HeaderValue)>) -> Self {
        Self { addr, headers, sender: None }
    }

    async fn connect(&mut self) -> anyhow::Result<&mut SendRequest<Full<Bytes>>> {
        if self.sender.as_ref().is_none_or(SendRequest::is_closed) {
            let stream = TcpStream::connect(self.addr).await.with_context(|| format!("connecting to {}", self.addr))?;
            stream.set_nodelay(true)?;
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            self.sender = Some(sender);
        }
        self.sender.as_mut().context("connected")
    }

    /// Sends one request and reads the whole answer.
    pub async fn send(&mut self, call: &Call) -> anyhow::Result<(StatusCode, Bytes)> {
        let mut request = Request::builder()
            .method(call.method.clone())
            .uri(&call.path)
            .header(header::HOST, self.addr.to_string())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(call.body.clone()))?;
        request.headers_mut().extend(self.headers.iter().cloned());
        let sender = self.connect().await?;
        sender.ready().await?;
        let result = async {
            let response = sender.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, body))
        }
        .await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    /// Sends a request and parses a successful JSON answer; any other status is an error.
    pub async fn json(&mut self, call: &Call) -> anyhow::Result<serde_json::Value> {
        let (status, body) = self.send(call).await?;
        if !status.is_success() {
            bail!("{} {} answered {status}: {}", call.method, call.path, String::from_utf8_lossy(&body));
        }
        Ok(serde_json::from_slice(&body)?)
    }
}

/// Latency figures in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Latency {
    pub fn of(histogram: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        Self {
            count: histogram.len(),
            p50_ms: ms(histogram.value_at_quantile(0.5)),
            p90_ms: ms(histogram.value_at_quantile(0.9)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            max_ms: ms(histogram.max()),
            mean_ms: histogram.mean() / 1000.0,
        }
    }

    /// From samples of a sequential run.
    pub fn of_samples(samples: &[Duration]) -> Self {
        let mut histogram = new_histogram();
        for sample in samples {
            let _ = histogram.record(micros(*sample));
        }
        Self::of(&histogram)
    }
}

pub fn new_histogram() -> Histogram<u64> {
    // 1 µs to 10 minutes, 3 significant digits.
    Histogram::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|_| unreachable!("valid bounds"))
}

pub fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// What one fixed-duration load run measured.
#[derive(Debug, Clone, Serialize)]
pub struct LoadResult {
    pub connections: usize,
    pub seconds: f64,
    pub requests: u64,
    /// Non-2xx answers and failed exchanges.
    pub errors: u64,
    pub requests_per_second: f64,
    pub latency: Latency,
    /// The first error seen, to say what went wrong.
    pub first_error: Option<String>,
}

/// Runs `connections` clients for `duration`, each cycling through `calls` from its own
/// starting point; every answer, error or not, counts in the latency histogram.
pub async fn load(
    addr: SocketAddr,
    api_key: &str,
    calls: Arc<Vec<Call>>,
    connections: usize,
    duration: Duration,
) -> LoadResult {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + duration;
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let calls = Arc::clone(&calls);
            let mut client = Client::new(addr, api_key);
            tokio::spawn(async move {
                let mut histogram = new_histogram();
                let mut errors = 0u64;
                let mut first_error = None;
                let mut next = worker;
                while tokio::time::Instant::now() < deadline {
                    let call = &calls[next % calls.len()];
                    next += 1;
                    let sent = Instant::now();
                    let outcome = tokio::time::timeout_at(deadline + Duration::from_secs(30), client.send(call)).await;
                    let elapsed = sent.elapsed();
                    let error = match outcome {
                        Ok(Ok((status, _))) if status.is_success() => None,
                        Ok(Ok((status, body))) => Some(format!("{status}: {}", String::from_utf8_lossy(&body))),
                        Ok(Err(e)) => Some(format!("{e:#}")),
                        Err(_) => Some("timed out".to_owned()),
                    };
                    let _ = histogram.record(micros(elapsed));
                    if let Some(error) = error {
                        errors += 1;
                        first_error.get_or_insert(error);
                        // Do not spin on a refused connection.
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
                (histogram, errors, first_error)
            })
        })
        .collect();
    let mut histogram = new_histogram();
    let mut errors = 0;
    let mut first_error = None;
    for worker in workers {
        match worker.await {
            Ok((h, e, first)) => {
                let _ = histogram.add(&h);
                errors += e;
                if first_error.is_none() {
                    first_error = first;
                }
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert(format!("worker panicked: {e}"));
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    LoadResult {
        connections,
        seconds,
        requests: histogram.len(),
        errors,
        requests_per_second: histogram.len() as f64 / seconds,
        latency: Latency::of(&histogram),
        first_error,
    }
}
