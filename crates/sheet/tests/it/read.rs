//! Tests of the read part (filled in by its module's owner).
