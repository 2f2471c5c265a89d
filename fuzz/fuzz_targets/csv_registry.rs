//! The registry reader (CSV in UTF-8 or GBK) on arbitrary bytes: it may refuse, never panic; a
//! refusal is Chinese.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shuangshi_rules::Batch;
use shuangshi_sheet::guard::Limits;

fuzz_target!(|data: &[u8]| {
    let batch = Batch::batch10();
    if let Err(e) = shuangshi_sheet::orgs::parse_registry("fuzz.csv", data, &batch, &Limits::default()) {
        let message = e.to_string();
        assert!(message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{message}");
    }
});
