//! Tests of the layout part (filled in by its module's owner).
