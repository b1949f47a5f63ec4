//! Routes as the catalogue in `spec` defines them: an API's path and method are read from its row,
//! never written out again beside it.

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodFilter, MethodRouter, on};
use mydata_spec::catalogue::{KnownApi, Method};

/// `handler` under the method the catalogue gives `api`; another method falls to the router's fallback.
pub fn method_of<H, T, S>(api: KnownApi, handler: H) -> MethodRouter<S>
where
    H: Handler<T, S>,
    T: 'static,
    S: Clone + Send + Sync + 'static,
{
    let filter = match api.spec().method {
        Method::Get => MethodFilter::GET,
        Method::Post => MethodFilter::POST,
    };
    on(filter, handler)
}

/// Adding a standard API's route at the path and under the method its catalogue row gives.
pub trait CatalogueRoutes {
    type State;

    /// `api` served by `handler`, any other method answered 40501 (첨부1).
    fn catalogue_route<H, T>(self, api: KnownApi, handler: H) -> Self
    where
        H: Handler<T, Self::State>,
        T: 'static;
}

impl<S: Clone + Send + Sync + 'static> CatalogueRoutes for Router<S> {
    type State = S;

    fn catalogue_route<H, T>(self, api: KnownApi, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.route(api.spec().resource, method_of(api, handler).fallback(crate::error::method_not_allowed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn status(router: Router, method: &str, path: &str) -> u16 {
        let request = Request::builder().method(method).uri(path).body(Body::empty()).unwrap();
        router.oneshot(request).await.unwrap().status().as_u16()
    }

    #[tokio::test]
    async fn an_api_is_served_at_its_catalogue_path_under_its_method_only() {
        let router = Router::new()
            .catalogue_route(KnownApi::ParticipantStatus, || async { "status" })
            .catalogue_route(KnownApi::ParticipantConsents, || async { "consents" });
        // 지원-102 is GET /mgmts/status, 지원-103 POST /mgmts/consents (ch.7).
        assert_eq!(status(router.clone(), "GET", "/mgmts/status").await, 200);
        assert_eq!(status(router.clone(), "POST", "/mgmts/status").await, 405);
        assert_eq!(status(router.clone(), "POST", "/mgmts/consents").await, 200);
        assert_eq!(status(router, "GET", "/mgmts/consents").await, 405);
    }
}
