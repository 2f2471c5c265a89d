//! The recommendation form (推荐表) as the rule engine sees it: a header line naming the school and the
//! enterprise, person rows of the 16 official columns (and the optional 补充信息 columns), and a footer.
//!
//! A reader (the `shuangshi-sheet` crate, or the web form) builds these; the engine only reads them.

use serde::Serialize;

use crate::text::{column_letters, norm, norm_if_changed};

/// A column of the form: the 16 official columns in their order, then the supplementary ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Column {
    Seq,
    Batch,
    Name,
    SendingUnit,
    AdminPost,
    Field,
    Title,
    TeacherQualification,
    SkillQualification,
    Mobile,
    Term,
    ReceivingUnit,
    Post,
    Bank,
    AccountName,
    AccountNumber,
    // 补充信息
    Direction,
    TeachingYears,
    EnterpriseYears,
    FrontlineYears,
    ExchangeForm,
    Priority,
}

impl Column {
    /// Every column, official ones first.
    pub const ALL: [Column; 22] = [
        Column::Seq,
        Column::Batch,
        Column::Name,
        Column::SendingUnit,
        Column::AdminPost,
        Column::Field,
        Column::Title,
        Column::TeacherQualification,
        Column::SkillQualification,
        Column::Mobile,
        Column::Term,
        Column::ReceivingUnit,
        Column::Post,
        Column::Bank,
        Column::AccountName,
        Column::AccountNumber,
        Column::Direction,
        Column::TeachingYears,
        Column::EnterpriseYears,
        Column::FrontlineYears,
        Column::ExchangeForm,
        Column::Priority,
    ];

    /// The 16 columns of the official form.
    pub const OFFICIAL: [Column; 16] = [
        Column::Seq,
        Column::Batch,
        Column::Name,
        Column::SendingUnit,
        Column::AdminPost,
        Column::Field,
        Column::Title,
        Column::TeacherQualification,
        Column::SkillQualification,
        Column::Mobile,
        Column::Term,
        Column::ReceivingUnit,
        Column::Post,
        Column::Bank,
        Column::AccountName,
        Column::AccountNumber,
    ];

    /// The optional 补充信息 columns, in the template's order.
    pub const SUPPLEMENTARY: [Column; 6] = [
        Column::Direction,
        Column::TeachingYears,
        Column::EnterpriseYears,
        Column::FrontlineYears,
        Column::ExchangeForm,
        Column::Priority,
    ];

    /// The column's name as reports quote it (the header text without its parenthetical note).
    pub fn label(self) -> &'static str {
        match self {
            Column::Seq => "序号",
            Column::Batch => "批次",
            Column::Name => "姓名",
            Column::SendingUnit => "派出单位",
            Column::AdminPost => "现任行政职务",
            Column::Field => "从事学科专业领域",
            Column::Title => "现任专业技术职务",
            Column::TeacherQualification => "已取得的教师资格",
            Column::SkillQualification => "已取得的职业技能资格",
            Column::Mobile => "手机号码",
            Column::Term => "交流期限",
            Column::ReceivingUnit => "接收单位",
            Column::Post => "拟挂任职务",
            Column::Bank => "学校对公账户开户行",
            Column::AccountName => "开户名",
            Column::AccountNumber => "账户账号",
            Column::Direction => "派出类别",
            Column::TeachingYears => "从事职业教育教学年限",
            Column::EnterpriseYears => "本企业工作年限",
            Column::FrontlineYears => "生产一线工作年限",
            Column::ExchangeForm => "交流形式",
            Column::Priority => "优先条件",
        }
    }

    /// The header text of the official template (with its note, as the notice prints it).
    pub fn template_header(self) -> &'static str {
        match self {
            Column::Seq => "序号",
            Column::Bank => "学校对公账户开户行（不得填零余额银行）",
            Column::AccountName => "开户名（规范名称）",
            Column::TeachingYears => "从事职业教育教学年限（年）",
            Column::EnterpriseYears => "本企业工作年限（年）",
            Column::FrontlineYears => "生产一线工作年限（年）",
            other => other.label(),
        }
    }

    /// Recognises a header cell, liberal in spelling: spaces, line breaks and bracket widths are
    /// ignored, and the usual short forms are understood.
    pub fn from_header(text: &str) -> Option<Column> {
        Column::from_normed_header(&norm(text))
    }

    /// [`Column::from_header`] for a text already normalised by [`crate::text::norm`] (such as
    /// [`Cell::norm`]), without normalising it again.
    pub fn from_normed_header(normed: &str) -> Option<Column> {
        let h = normed.trim_end_matches(['*', ':']);
        if h.is_empty() || h.chars().count() > 40 {
            return None;
        }
        let has = |k: &str| h.contains(k);
        Some(match h {
            "序号" | "编号" | "No." | "NO." => Column::Seq,
            "批次" | "交流批次" => Column::Batch,
            "姓名" => Column::Name,
            _ if has("派出类别") || has("派出方向") || h == "类别" => Column::Direction,
            _ if has("派出单位") => Column::SendingUnit,
            _ if has("接收单位") => Column::ReceivingUnit,
            _ if has("行政职务") => Column::AdminPost,
            _ if has("教学年限") || has("职业教育教学") => Column::TeachingYears,
            _ if has("本企业工作") => Column::EnterpriseYears,
            _ if has("一线") => Column::FrontlineYears,
            _ if has("学科") || has("专业领域") => Column::Field,
            _ if has("专业技术职务") || h == "职称" || has("专业技术职称") => {
                Column::Title
            }
            _ if has("教师资格") => Column::TeacherQualification,
            _ if has("技能") => Column::SkillQualification,
            _ if has("手机") => Column::Mobile,
            _ if has("交流期限") || h == "期限" => Column::Term,
            _ if has("拟挂任") || has("挂任职务") => Column::Post,
            _ if has("开户行") || has("开户银行") => Column::Bank,
            _ if has("开户名") || has("户名") => Column::AccountName,
            _ if has("账号") || has("帐号") => Column::AccountNumber,
            _ if has("交流形式") || has("交流方式") => Column::ExchangeForm,
            _ if has("优先") => Column::Priority,
            _ => return None,
        })
    }

    pub fn is_official(self) -> bool {
        (self as usize) < 16
    }
}

/// What findings name in their `column` field for the parts of a form outside the person rows: the
/// header line's school and enterprise, the footer's filler and phone number.
pub const PART_LABELS: [&str; 4] = ["交流互聘学校", "交流互聘企业", "学校填表人", "联系电话"];

/// One cell as read: the text as written and its normalised form.
///
/// The normalised form is kept only when it differs from the text as written (a cell with a space,
/// a line break or a full-width character); nearly every cell is already normal and shares its
/// text. Build a cell with [`Cell::text`] or [`Cell::number`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    /// The value as the file shows it (a number cell as its exact digits).
    pub raw: String,
    /// `text::norm(raw)` when it differs from `raw`.
    normed: Option<Box<str>>,
    /// The file stored a number, not text.
    pub numeric: bool,
    /// A number of more than 15 significant digits: the spreadsheet program has already replaced its
    /// trailing digits with zeros.
    pub digits_lost: bool,
}

impl Cell {
    /// An empty cell.
    pub const EMPTY: Cell = Cell {
        raw: String::new(),
        normed: None,
        numeric: false,
        digits_lost: false,
    };

    /// A text cell.
    pub fn text(raw: impl Into<String>) -> Cell {
        let raw = raw.into();
        Cell {
            normed: norm_if_changed(&raw).map(String::into_boxed_str),
            raw,
            numeric: false,
            digits_lost: false,
        }
    }

    /// A cell the file stored as a number (or a date), shown as `raw`; `digits_lost` as
    /// [`Cell::digits_lost`].
    pub fn number(raw: impl Into<String>, digits_lost: bool) -> Cell {
        Cell {
            numeric: true,
            digits_lost,
            ..Cell::text(raw)
        }
    }

    /// The value for deciding: see [`crate::text::norm`].
    pub fn norm(&self) -> &str {
        self.normed.as_deref().unwrap_or(&self.raw)
    }

    pub fn is_empty(&self) -> bool {
        self.norm().is_empty()
    }
}

/// Which way a person goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Direction {
    /// 学校派出: a teacher sent by the school to the enterprise.
    School,
    /// 企业派出: an engineer sent by the enterprise to the school.
    Enterprise,
}

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::School => "学校派出",
            Direction::Enterprise => "企业派出",
        }
    }

    /// Reads a 派出类别 cell: 「学校派出」「学校」「教师」 or 「企业派出」「企业」「工程师」.
    pub fn parse(normed: &str) -> Option<Direction> {
        match normed {
            s if s.starts_with("学校") || s.starts_with("校") || s == "教师" || s == "院校派出" => {
                Some(Direction::School)
            }
            s if s.starts_with("企业") || s.starts_with("企") || s == "工程师" => {
                Some(Direction::Enterprise)
            }
            _ => None,
        }
    }
}

/// A person row: its 1-based row number in the sheet and its cells by [`Column`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonRow {
    pub row: u32,
    pub cells: Vec<Cell>,
}

impl PersonRow {
    /// An empty row numbered `row`.
    pub fn new(row: u32) -> PersonRow {
        PersonRow {
            row,
            cells: vec![Cell::default(); Column::ALL.len()],
        }
    }

    pub fn get(&self, c: Column) -> &Cell {
        static EMPTY: Cell = Cell::EMPTY;
        self.cells.get(c as usize).unwrap_or(&EMPTY)
    }

    pub fn set(&mut self, c: Column, cell: Cell) {
        if self.cells.len() < Column::ALL.len() {
            self.cells.resize(Column::ALL.len(), Cell::default());
        }
        self.cells[c as usize] = cell;
    }

    /// Builder for tests and typed-in rows.
    pub fn with(mut self, c: Column, raw: &str) -> PersonRow {
        self.set(c, Cell::text(raw));
        self
    }
}

/// A name in the header line (「交流互聘学校（盖章）：…」), with where it was found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HeaderName {
    pub raw: String,
    pub norm: String,
}

impl HeaderName {
    pub fn new(raw: &str) -> HeaderName {
        HeaderName {
            raw: raw.trim().to_string(),
            norm: norm(raw),
        }
    }
}

/// The footer 「学校填表人：…  联系电话：…」.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Footer {
    pub row: u32,
    pub filler: String,
    pub phone: String,
}

/// One recommendation form: one school–enterprise pair.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Form {
    /// The file name as given (reports quote it).
    pub file: String,
    /// The sheet name (`None` for a Word table).
    pub sheet: Option<String>,
    /// The header line's row, when found.
    pub header_line_row: Option<u32>,
    /// The row holding the column headers.
    pub header_row: u32,
    pub school: Option<HeaderName>,
    pub enterprise: Option<HeaderName>,
    /// The 0-based sheet column of each [`Column`] found in the header (`None`: not in this form).
    pub columns: Vec<Option<u32>>,
    pub rows: Vec<PersonRow>,
    pub footer: Option<Footer>,
}

impl Form {
    /// The sheet column index of `c`, if the form has that column.
    pub fn column_index(&self, c: Column) -> Option<u32> {
        self.columns.get(c as usize).copied().flatten()
    }

    pub fn has_column(&self, c: Column) -> bool {
        self.column_index(c).is_some()
    }

    /// The cell address of `c` in `row`, e.g. 「J5」.
    pub fn cell_ref(&self, c: Column, row: u32) -> Option<String> {
        self.column_index(c)
            .map(|i| format!("{}{}", column_letters(i), row))
    }

    /// A form laid out like the official template (columns A–P, then the supplementary ones), for
    /// rows typed in a browser and for tests.
    pub fn official(file: &str, school: &str, enterprise: &str, supplementary: bool) -> Form {
        let columns = Column::ALL
            .iter()
            .enumerate()
            .map(|(i, c)| (c.is_official() || supplementary).then_some(i as u32))
            .collect();
        Form {
            file: file.to_string(),
            sheet: Some("推荐表".to_string()),
            header_line_row: Some(2),
            header_row: 3,
            school: Some(HeaderName::new(school)),
            enterprise: Some(HeaderName::new(enterprise)),
            columns,
            rows: Vec::new(),
            footer: None,
        }
    }

    /// The school's name, normalised ("" when the header does not say).
    pub fn school_key(&self) -> &str {
        self.school.as_ref().map(|s| s.norm.as_str()).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_texts_are_recognised_in_real_spellings() {
        assert_eq!(Column::from_header("序  号"), Some(Column::Seq));
        assert_eq!(Column::from_header("交流\n期限"), Some(Column::Term));
        assert_eq!(
            Column::from_header("学校对公账户开户行(不得填零余额银行)"),
            Some(Column::Bank)
        );
        assert_eq!(
            Column::from_header("开户名（规范名称）"),
            Some(Column::AccountName)
        );
        assert_eq!(Column::from_header("账户账号"), Some(Column::AccountNumber));
        assert_eq!(
            Column::from_header("从事职业教育教学年限（年）"),
            Some(Column::TeachingYears)
        );
        assert_eq!(
            Column::from_header("已取得的职业技能资格"),
            Some(Column::SkillQualification)
        );
        assert_eq!(Column::from_header("从事学科专业领域"), Some(Column::Field));
        assert_eq!(Column::from_header("第十批"), None);
        for c in Column::ALL {
            assert_eq!(Column::from_header(c.template_header()), Some(c), "{c:?}");
        }
    }

    #[test]
    fn a_cell_keeps_its_normalised_text_only_when_it_differs() {
        let plain = Cell::text("张三");
        assert_eq!((plain.raw.as_str(), plain.norm()), ("张三", "张三"));
        assert_eq!(plain.normed, None);
        let spaced = Cell::text("张  三\n");
        assert_eq!((spaced.raw.as_str(), spaced.norm()), ("张  三\n", "张三"));
        let wide = Cell::number("１３８", false);
        assert_eq!((wide.norm(), wide.numeric), ("138", true));
        assert!(Cell::text(" \u{3000}").is_empty());
        assert!(!Cell::text(" \u{3000}").raw.is_empty());
        assert_eq!(Cell::text(""), Cell::EMPTY);
        assert_eq!(Cell::default(), Cell::EMPTY);
        // Equal cells compare equal however they were built.
        assert_eq!(Cell::text(String::from("张 三")), Cell::text("张 三"));
    }

    #[test]
    fn directions_read_from_the_supplementary_column() {
        assert_eq!(Direction::parse("学校派出"), Some(Direction::School));
        assert_eq!(Direction::parse("企业派出"), Some(Direction::Enterprise));
        assert_eq!(Direction::parse("其他"), None);
    }
}
