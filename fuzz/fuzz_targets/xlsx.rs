//! The xlsx reader on arbitrary bytes: it may refuse, never panic; a refusal is Chinese.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shuangshi_sheet::guard::Limits;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = shuangshi_sheet::read::read_grids("fuzz.xlsx", data, &Limits::default()) {
        let message = e.to_string();
        assert!(message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{message}");
    }
    let _ = shuangshi_sheet::load("fuzz.xlsx", data, &Limits::default());
});
