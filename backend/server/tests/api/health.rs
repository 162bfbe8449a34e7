use axum::http::{Method, StatusCode};
use secrecy::SecretString;

use crate::support::{TestApp, settings};

#[tokio::test]
async fn ready_when_postgres_and_redis_answer() {
    let app = TestApp::new().await;
    app.call(Method::GET, "/healthz", None, None).await.expect(StatusCode::OK);
    let ready = app.call(Method::GET, "/readyz", None, None).await.expect(StatusCode::OK).body;
    assert_eq!(ready["postgres"]["status"], "up");
    let expected_redis = if std::env::var("KUROBE_TEST_REDIS_URL").is_ok() { "up" } else { "disabled" };
    assert_eq!(ready["redis"]["status"], expected_redis);
}

#[tokio::test]
async fn redis_down_is_reported_but_does_not_make_kurobe_unready() {
    let mut settings = settings();
    settings.redis.url = Some(SecretString::from("redis://127.0.0.1:1"));
    let app = TestApp::with_settings(settings).await;
    let ready = app.call(Method::GET, "/readyz", None, None).await.expect(StatusCode::OK).body;
    assert_eq!((ready["ready"].as_bool(), ready["redis"]["status"].as_str()), (Some(true), Some("down")));
}

#[tokio::test]
async fn postgres_down_means_unready_and_503_with_retry_after() {
    let app = TestApp::new().await;
    let mut settings = settings();
    settings.database.url = Some(SecretString::from("postgres://kurobe_app:x@127.0.0.1:1/kurobe"));
    let state = kurobe_server::build_state(settings).await.unwrap();
    let router = kurobe_server::app(state);
    use tower::ServiceExt;
    let request = |path: &str| axum::http::Request::get(path).body(axum::body::Body::empty()).unwrap();
    let response = router.clone().oneshot(request("/readyz")).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);

    let login = axum::http::Request::post("/v1/auth/login")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(r#"{"email":"a@example.com","password":"whatever it is"}"#))
        .unwrap();
    let response = router.oneshot(login).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "5");
    drop(app);
}
