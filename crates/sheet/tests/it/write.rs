//! Tests of the write part (filled in by its module's owner).
