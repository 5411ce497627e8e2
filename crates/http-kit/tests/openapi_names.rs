//! Two different schemas under one name in a service's document are
//! refused when the routes are put together, not discovered by a client.

use codex_http_kit::openapi::{AddRoutes as _, DataEnvelope};
use codex_http_kit::{Routes, routes};

mod first {
    use super::DataEnvelope;

    #[derive(serde::Serialize, utoipa::ToSchema)]
    pub struct Thing {
        pub size: u32,
    }

    #[utoipa::path(get, path = "/first", responses((status = 200, body = DataEnvelope<Thing>)))]
    pub async fn handler() {}

    #[utoipa::path(get, path = "/first/again", responses((status = 200, body = DataEnvelope<Thing>)))]
    pub async fn again() {}
}

mod second {
    use super::DataEnvelope;

    #[derive(serde::Serialize, utoipa::ToSchema)]
    pub struct Thing {
        pub colour: String,
    }

    #[utoipa::path(get, path = "/second", responses((status = 200, body = DataEnvelope<Thing>)))]
    pub async fn handler() {}
}

#[test]
fn the_same_schema_twice_is_fine() {
    let routes = Routes::new()
        .add(routes!(first::handler))
        .add(routes!(first::again));
    assert!(routes.get_openapi().components.is_some());
}

#[test]
#[should_panic(expected = "two different schemas are named Thing")]
fn two_different_schemas_under_one_name_are_refused() {
    let _ = Routes::new()
        .add(routes!(first::handler))
        .add(routes!(second::handler));
}
