//! Sealed scans: real PDFs written with lopdf and images written with `image`, hostile variants
//! of each, and the memory a hostile one may take.

use lopdf::{Document, Object, Stream, dictionary};
use shuangshi_sheet::scan::{ScanError, ScanKind, check_scan};

use crate::alloc::peak_during;

/// Checking a hostile scan must stay below this many live heap bytes.
const MEMORY_BOUND: usize = 64 << 20;

/// A PDF written by lopdf with `pages` pages and `extra` entries in its catalog.
fn pdf_with(pages: usize, extra: Vec<(&str, Object)>) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut kids = Vec::new();
    for _ in 0..pages {
        let content = doc.add_object(Stream::new(dictionary! {}, b"0 0 m 100 100 l S".to_vec()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Contents" => content,
        });
        kids.push(Object::Reference(page));
    }
    let count = i64::try_from(kids.len()).unwrap();
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
    for (k, v) in extra {
        catalog.set(k, v);
    }
    let catalog = doc.add_object(catalog);
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn pdf(extra: Vec<(&str, Object)>) -> Vec<u8> {
    pdf_with(1, extra)
}

fn js() -> Object {
    Object::Dictionary(dictionary! {
        "S" => "JavaScript",
        "JS" => Object::string_literal("app.alert('x')"),
    })
}

fn image_bytes(format: image::ImageFormat, w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 77]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header declares `w` × `h` pixels, with a few bytes of image data.
fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", b"\x78\x9c\x03\x00\x00\x00\x00\x01");
    chunk(b"IEND", b"");
    out
}

#[test]
fn real_scans_are_accepted() {
    assert_eq!(check_scan(&pdf(vec![])), Ok(ScanKind::Pdf));
    assert_eq!(check_scan(&pdf_with(3, vec![])), Ok(ScanKind::Pdf));
    // A link to a page is an action, but not an active one.
    let goto = Object::Dictionary(dictionary! { "S" => "GoTo", "D" => vec![Object::Integer(0)] });
    assert_eq!(
        check_scan(&pdf(vec![("OpenAction", goto)])),
        Ok(ScanKind::Pdf)
    );
    let png = image_bytes(image::ImageFormat::Png, 300, 200);
    assert_eq!(check_scan(&png), Ok(ScanKind::Png));
    let jpg = image_bytes(image::ImageFormat::Jpeg, 300, 200);
    assert_eq!(check_scan(&jpg), Ok(ScanKind::Jpeg));
}

#[test]
fn pdfs_with_active_content_are_refused() {
    let names_js = Object::Dictionary(dictionary! {
        "JavaScript" => Object::Dictionary(dictionary! {
            "Names" => vec![Object::string_literal("a"), js()],
        }),
    });
    let embedded = Object::Dictionary(dictionary! {
        "EmbeddedFiles" => Object::Dictionary(dictionary! { "Names" => vec![] as Vec<Object> }),
    });
    let launch = Object::Dictionary(dictionary! {
        "S" => "Launch",
        "F" => Object::string_literal("calc.exe"),
    });
    let xfa = Object::Dictionary(dictionary! {
        "Fields" => vec![] as Vec<Object>,
        "XFA" => Object::string_literal("<xdp/>"),
    });
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "OpenAction JavaScript",
            pdf(vec![("OpenAction", js())]),
            "JavaScript",
        ),
        (
            "AA JavaScript",
            pdf(vec![(
                "AA",
                Object::Dictionary(dictionary! { "WC" => js() }),
            )]),
            "JavaScript",
        ),
        (
            "Names JavaScript",
            pdf(vec![("Names", names_js)]),
            "JavaScript",
        ),
        (
            "EmbeddedFiles",
            pdf(vec![("Names", embedded)]),
            "嵌入的文件",
        ),
        ("Launch", pdf(vec![("OpenAction", launch)]), "Launch"),
        ("XFA", pdf(vec![("AcroForm", xfa)]), "XFA"),
    ];
    for (label, bytes, what) in cases {
        let err = check_scan(&bytes).unwrap_err();
        assert!(matches!(err, ScanError::PdfActive(_)), "{label}: {err:?}");
        let message = err.to_string();
        assert!(message.contains(what), "{label}: {message}");
        assert!(message.contains("不能作为盖章扫描件"), "{message}");
    }
    // A name spelled with an escape (`/J#61vaScript`) is the same name.
    let bytes = pdf(vec![("OpenAction", js())]);
    let text = String::from_utf8_lossy(&bytes).replace("/JavaScript", "/J#61vaScript");
    assert!(check_scan(text.as_bytes()).is_err());
}

#[test]
fn what_only_looks_like_a_pdf_or_an_image_is_refused() {
    let mut html = b"%PDF-1.4\n".to_vec();
    html.extend_from_slice(b"<html><body><script>alert(document.cookie)</script></body></html>\n");
    assert_eq!(check_scan(&html), Err(ScanError::PdfUnreadable));
    assert!(
        ScanError::PdfUnreadable
            .to_string()
            .contains("无法按 PDF 读取")
    );
    assert_eq!(check_scan(&pdf_with(0, vec![])), Err(ScanError::PdfNoPages));
    let mut png = image_bytes(image::ImageFormat::Png, 300, 200);
    png.truncate(png.len() / 2);
    let err = check_scan(&png).unwrap_err();
    assert_eq!(err, ScanError::ImageUnreadable("PNG"));
    assert!(err.to_string().contains("无法按 PNG 图片完整解码"), "{err}");
    let mut jpg = image_bytes(image::ImageFormat::Jpeg, 300, 200);
    jpg.truncate(40);
    assert_eq!(check_scan(&jpg), Err(ScanError::ImageUnreadable("JPG")));
}

#[test]
fn hostile_scans_stay_within_the_memory_bound() {
    // An image declaring 60000 × 60000 pixels: refused from its header.
    let huge = png_declaring(60_000, 60_000);
    let (result, peak) = peak_during(|| check_scan(&huge));
    assert_eq!(
        result,
        Err(ScanError::ImageTooLarge {
            width: 60_000,
            height: 60_000
        })
    );
    assert!(result.unwrap_err().to_string().contains("60000 × 60000"));
    assert!(peak < MEMORY_BOUND, "peak {peak}");

    // A PDF whose object stream inflates to 200 MB.
    let mut doc = Document::with_version("1.5");
    let mut bomb = Stream::new(
        dictionary! { "Type" => "ObjStm", "N" => 1, "First" => 4 },
        vec![b' '; 200 << 20],
    );
    bomb.compress().unwrap();
    doc.add_object(bomb);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    drop(doc);
    assert!(bytes.len() < 2 << 20, "{}", bytes.len());
    let (result, peak) = peak_during(|| check_scan(&bytes));
    assert!(result.is_err(), "{result:?}");
    assert!(peak < MEMORY_BOUND, "peak {peak}");
}
