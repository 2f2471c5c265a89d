//! 遴选与公布: selection, 公示 and its objections, the final list; `/api/v1/selection`, `/api/v1/outcomes`.

pub mod api;
pub mod pages;

use crate::policy::{Access, Routes, roles};

const ADMIN: Access = Access::Roles(roles::ADMIN);

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .get("/selection", ADMIN, pages::page)
        .post("/selection/decide", ADMIN, pages::decide)
        .post("/selection/publicity", ADMIN, pages::publicity)
        .post("/selection/final", ADMIN, pages::final_list)
        .post("/selection/final/{id}/approve", ADMIN, pages::approve)
        .post("/selection/final/{id}/withdraw", ADMIN, pages::withdraw)
        .post("/selection/correction", ADMIN, pages::correction)
        .post("/selection/objections/{id}", ADMIN, pages::objection)
        .get("/api/v1/selection", ADMIN, api::api_board)
        .doc(api::__path_api_board)
        .post("/api/v1/selection/decide", ADMIN, api::api_decide)
        .doc(api::__path_api_decide)
        .get(
            "/api/v1/selection/publications",
            ADMIN,
            api::api_publications,
        )
        .doc(api::__path_api_publications)
        .post("/api/v1/selection/publicity", ADMIN, api::api_publicity)
        .doc(api::__path_api_publicity)
        .post("/api/v1/selection/final", ADMIN, api::api_final)
        .doc(api::__path_api_final)
        .post(
            "/api/v1/selection/final/{id}/approve",
            ADMIN,
            api::api_approve,
        )
        .doc(api::__path_api_approve)
        .post("/api/v1/selection/correction", ADMIN, api::api_correction)
        .doc(api::__path_api_correction)
        .get("/api/v1/selection/objections", ADMIN, api::api_objections)
        .doc(api::__path_api_objections)
        .post(
            "/api/v1/selection/objections/{id}",
            ADMIN,
            api::api_objection,
        )
        .doc(api::__path_api_objection)
        .get(
            "/api/v1/outcomes",
            Access::Roles(roles::OFFICERS),
            api::api_outcomes,
        )
        .doc(api::__path_api_outcomes)
}
