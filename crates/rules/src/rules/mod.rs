//! The rules, one module per group; each rule is declared with its doc comment, ID, severity and
//! clause next to the code that checks it.
//!
//! | group | about | module |
//! | --- | --- | --- |
//! | F | the form itself (附件 and its note) | [`f`] |
//! | T | teachers sent by schools (二(一)) | [`t`] |
//! | E | engineers sent by enterprises (二(二)) | [`e`] |
//! | S | each school's whole batch (三(二), 三(三)) | [`s`] |
//! | D | duplicates across the batch | [`d`] |
//! | P | the programme as a whole (一) | [`p`] |
//! | W | the submission workflow (三(四), 四(四)) | [`w`] |

pub mod d;
pub mod e;
pub mod f;
pub mod p;
pub mod s;
pub mod t;
pub mod w;
