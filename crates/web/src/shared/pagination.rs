//! Pagination: the one page shape of every `/api/v1` list ([`Page`], asked for with
//! [`PageQuery`]: `?page=2&per_page=50`, 1-based, at most [`PageQuery::MAX_PER_PAGE`] a page),
//! and the page query of the HTML lists ([`Paging`]).

use serde::{Deserialize, Serialize};
use shuangshi_store::{PageRequest, Paged};

/// `?page=&per_page=` of an `/api/v1` list. A missing or zero page is the first; `per_page`
/// defaults to [`PageQuery::DEFAULT_PER_PAGE`] and is bounded by [`PageQuery::MAX_PER_PAGE`].
#[derive(Debug, Default, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page (default 1).
    #[serde(default)]
    pub page: Option<u64>,
    /// Items per page (default 50, at most 500).
    #[serde(default)]
    pub per_page: Option<u64>,
}

impl PageQuery {
    pub const DEFAULT_PER_PAGE: u64 = 50;
    /// The largest page a caller may ask for (the store's bound too).
    pub const MAX_PER_PAGE: u64 = PageRequest::MAX_LIMIT;

    /// The page asked for, 1-based.
    pub fn page(&self) -> u64 {
        self.page.unwrap_or(1).max(1)
    }

    /// The page size asked for, within bounds.
    pub fn per_page(&self) -> u64 {
        self.per_page
            .unwrap_or(Self::DEFAULT_PER_PAGE)
            .clamp(1, Self::MAX_PER_PAGE)
    }

    /// The store's request for this page.
    pub fn request(&self) -> PageRequest {
        PageRequest::page(self.page(), self.per_page())
    }

    /// The index of the first item of this page.
    fn offset(&self) -> usize {
        usize::try_from(
            self.page()
                .saturating_sub(1)
                .saturating_mul(self.per_page()),
        )
        .unwrap_or(usize::MAX)
    }

    /// This page of `all` (every item matching the query, in order).
    pub fn slice<T>(&self, all: Vec<T>) -> Page<T> {
        let total = all.len() as u64;
        let per_page = usize::try_from(self.per_page()).unwrap_or(usize::MAX);
        let items = all.into_iter().skip(self.offset()).take(per_page).collect();
        Page {
            items,
            total,
            page: self.page(),
            per_page: self.per_page(),
        }
    }

    /// A page the store read with [`PageQuery::request`], its items mapped with `f`.
    pub fn from_store<U, T>(&self, paged: Paged<U>, f: impl FnMut(U) -> T) -> Page<T> {
        Page {
            items: paged.items.into_iter().map(f).collect(),
            total: paged.total,
            page: self.page(),
            per_page: self.per_page(),
        }
    }
}

/// One page of an `/api/v1` list: `{ "items": […], "total": 120, "page": 1, "per_page": 50 }`.
/// A list with a summary (the roster's totals, the ledger's sums) carries it next to these four
/// fields.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Items matching the query, on every page.
    pub total: u64,
    /// This page, 1-based.
    pub page: u64,
    /// The page size used.
    pub per_page: u64,
}

impl<T> Page<T> {
    /// The same page with each item mapped by `f`.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            per_page: self.per_page,
        }
    }
}

/// The page and page size of an HTML list (`?page=2&per_page=50`), tolerant of empty or bad
/// values.
#[derive(Debug, Default, Deserialize)]
pub struct Paging {
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub per_page: String,
}

impl Paging {
    pub fn page(&self) -> u64 {
        self.page.trim().parse().unwrap_or(1).max(1)
    }

    pub fn per_page(&self) -> u32 {
        self.per_page.trim().parse().unwrap_or(20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_bounded_and_sliced() {
        let q = PageQuery {
            page: Some(2),
            per_page: Some(2),
        };
        let p = q.slice(vec![1, 2, 3, 4, 5]);
        assert_eq!(
            (p.items, p.total, p.page, p.per_page),
            (vec![3, 4], 5, 2, 2)
        );
        let q = PageQuery {
            page: Some(0),
            per_page: Some(100_000),
        };
        assert_eq!((q.page(), q.per_page()), (1, PageQuery::MAX_PER_PAGE));
        let p = PageQuery {
            page: Some(9),
            per_page: None,
        }
        .slice(vec![1]);
        assert!(p.items.is_empty() && p.total == 1);
    }
}
