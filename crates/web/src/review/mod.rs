//! 报送审核: the commission's inbox, a submission with its findings and versions, the diff, 受理 and 退回; `/api/v1/review`.

pub mod api;
pub mod pages;

use crate::policy::{Access, Routes, roles};

const COMMISSION: Access = Access::Roles(roles::COMMISSION);

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .get("/review", COMMISSION, pages::inbox)
        .get("/review/{id}", COMMISSION, pages::submission_page)
        .get("/review/{id}/diff", COMMISSION, pages::diff_page)
        .post("/review/{id}/accept", COMMISSION, pages::accept)
        .post("/review/{id}/return", COMMISSION, pages::return_submission)
        .get("/api/v1/review/submissions", COMMISSION, api::api_inbox)
        .doc(api::__path_api_inbox)
        .get(
            "/api/v1/review/submissions/{id}",
            COMMISSION,
            api::api_submission,
        )
        .doc(api::__path_api_submission)
        .get(
            "/api/v1/review/submissions/{id}/diff",
            COMMISSION,
            api::api_diff,
        )
        .doc(api::__path_api_diff)
        .post(
            "/api/v1/review/submissions/{id}/decision",
            COMMISSION,
            api::api_decide,
        )
        .doc(api::__path_api_decide)
}
