//! Signature images: small pictures embedded in email signatures, stored base64-encoded.

use async_trait::async_trait;

use crate::shared::{
    OrgScope, Page, PageRequest, RepoError, SignatureImageId, Timestamp, UserId, ValueError, optional_text,
};
use crate::string_enum;

/// The largest image accepted, in decoded bytes.
pub const IMAGE_MAX_BYTES: usize = 1024 * 1024;
pub const FILENAME_MAX: usize = 255;

string_enum! {
    /// The image formats mail clients display inline. SVG is deliberately absent: it can carry
    /// scripts.
    pub enum SignatureMimeType: "mime_type" {
        Png => "image/png",
        Jpeg => "image/jpeg",
        Gif => "image/gif",
        Webp => "image/webp",
    }
}

impl SignatureMimeType {
    /// The format the bytes are in, by their signature (magic number).
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(SignatureMimeType::Png),
            [0xFF, 0xD8, 0xFF, ..] => Some(SignatureMimeType::Jpeg),
            [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(SignatureMimeType::Gif),
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(SignatureMimeType::Webp),
            _ => None,
        }
    }
}

/// Standard base64 (RFC 4648, with padding), as stored in `signature_images.data`. Line breaks
/// are removed; anything else that is not base64 is refused.
#[derive(Clone, PartialEq, Eq)]
pub struct SignatureImageData {
    encoded: String,
    decoded_len: usize,
}

impl SignatureImageData {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let encoded: String = raw.chars().filter(|c| !matches!(c, '\r' | '\n' | ' ' | '\t')).collect();
        let bytes = decode_base64(&encoded).ok_or_else(|| ValueError::new("data", "is not valid base64"))?;
        if bytes.is_empty() {
            return Err(ValueError::new("data", "must not be empty"));
        }
        if bytes.len() > IMAGE_MAX_BYTES {
            return Err(ValueError::new("data", format!("must be at most {IMAGE_MAX_BYTES} bytes")));
        }
        Ok(Self { encoded, decoded_len: bytes.len() })
    }

    /// The base64 text.
    pub fn as_str(&self) -> &str {
        &self.encoded
    }

    /// The image's size in bytes.
    pub fn decoded_len(&self) -> usize {
        self.decoded_len
    }

    /// The image's bytes.
    pub fn decode(&self) -> Vec<u8> {
        decode_base64(&self.encoded).unwrap_or_default()
    }
}

impl std::fmt::Debug for SignatureImageData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignatureImageData({} bytes)", self.decoded_len)
    }
}

fn base64_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Strict standard base64 with padding: whole quartets, `=` only at the end, unused bits zero.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let quartets = bytes.len() / 4;
    for (index, quartet) in bytes.chunks_exact(4).enumerate() {
        let padding = quartet.iter().rev().take_while(|c| **c == b'=').count();
        if padding > 2 || (padding > 0 && index + 1 != quartets) {
            return None;
        }
        let mut word = 0u32;
        for c in &quartet[..4 - padding] {
            word = (word << 6) | base64_value(*c)?;
        }
        word <<= 6 * padding as u32;
        let [_, a, b, c] = word.to_be_bytes();
        match padding {
            0 => out.extend([a, b, c]),
            1 if c == 0 => out.extend([a, b]),
            2 if b == 0 && c == 0 => out.push(a),
            _ => return None,
        }
    }
    Some(out)
}

#[derive(Debug, Clone, PartialEq)]
pub struct SignatureImage {
    pub id: SignatureImageId,
    pub data: SignatureImageData,
    pub mime_type: SignatureMimeType,
    pub size_bytes: Option<u32>,
    pub uploaded_by: Option<UserId>,
    pub filename: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSignatureImage {
    pub data: SignatureImageData,
    pub mime_type: SignatureMimeType,
    /// Always the decoded size of `data`.
    pub size_bytes: u32,
    pub uploaded_by: Option<UserId>,
    pub filename: Option<String>,
}

impl NewSignatureImage {
    /// Checks that the data is base64 of an image in the declared format.
    pub fn new(
        data_base64: &str,
        mime_type: SignatureMimeType,
        filename: Option<&str>,
        uploaded_by: Option<UserId>,
    ) -> Result<Self, ValueError> {
        let data = SignatureImageData::parse(data_base64)?;
        if SignatureMimeType::sniff(&data.decode()) != Some(mime_type) {
            return Err(ValueError::new("data", format!("is not a {mime_type} image")));
        }
        Ok(Self {
            size_bytes: u32::try_from(data.decoded_len()).unwrap_or(u32::MAX),
            data,
            mime_type,
            uploaded_by,
            filename: check_filename(filename)?,
        })
    }

    /// From a `data:image/png;base64,...` URL, as browsers produce.
    pub fn from_data_url(url: &str, filename: Option<&str>, uploaded_by: Option<UserId>) -> Result<Self, ValueError> {
        let invalid = || ValueError::new("data", "is not a base64 data URL (data:image/...;base64,...)");
        let rest = url.trim().strip_prefix("data:").ok_or_else(invalid)?;
        let (mime, data) = rest.split_once(";base64,").ok_or_else(invalid)?;
        let mime_type = mime.trim().to_ascii_lowercase().parse::<SignatureMimeType>()?;
        Self::new(data, mime_type, filename, uploaded_by)
    }
}

/// A file name only (no directories, no control characters), at most `FILENAME_MAX` characters.
pub fn check_filename(filename: Option<&str>) -> Result<Option<String>, ValueError> {
    let filename = optional_text("filename", filename, FILENAME_MAX)?;
    if filename.as_deref().is_some_and(|f| f.contains(['/', '\\']) || f.chars().any(char::is_control)) {
        return Err(ValueError::new("filename", "must be a file name without directories"));
    }
    Ok(filename)
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SignatureImageRepository: Send + Sync {
    async fn create(&self, scope: &OrgScope, image: NewSignatureImage) -> Result<SignatureImage, RepoError>;
    /// `None` when the image does not exist in the organization.
    async fn get(&self, scope: &OrgScope, id: SignatureImageId) -> Result<Option<SignatureImage>, RepoError>;
    /// The organization's images, newest first.
    async fn list(&self, scope: &OrgScope, page: PageRequest) -> Result<Page<SignatureImage>, RepoError>;
    /// Fails with `NotFound` when the image is not the organization's.
    async fn delete(&self, scope: &OrgScope, id: SignatureImageId) -> Result<(), RepoError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A 1x1 transparent PNG.
    const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
    /// The six bytes `GIF89a`.
    const GIF_HEADER: &str = "R0lGODlh";

    #[test]
    fn base64_is_strict() {
        let cases: [(&str, Option<&[u8]>); 10] = [
            ("TWFu", Some(b"Man")),
            ("TWE=", Some(b"Ma")),
            ("TQ==", Some(b"M")),
            ("TW\r\nFu", Some(b"Man")),
            ("TWF", None),
            ("TQ=a", None),
            ("T===", None),
            ("TQ==TWFu", None),
            ("TR==", None),
            ("TW-_", None),
        ];
        for (text, expected) in cases {
            let encoded: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            assert_eq!(decode_base64(&encoded).as_deref(), expected, "{text:?}");
            assert_eq!(SignatureImageData::parse(text).ok().map(|d| d.decode()).as_deref(), expected, "{text:?}");
        }
        assert_eq!(SignatureImageData::parse("").unwrap_err().message, "must not be empty");
    }

    #[test]
    fn images_must_be_what_they_claim() {
        let image = NewSignatureImage::new(PNG, SignatureMimeType::Png, Some("logo.png"), None).unwrap();
        assert_eq!(image.size_bytes, 68);
        assert_eq!(image.data.decoded_len(), 68);
        assert_eq!(NewSignatureImage::new(PNG, SignatureMimeType::Jpeg, None, None).unwrap_err().field, "data");
        assert!(NewSignatureImage::new(GIF_HEADER, SignatureMimeType::Gif, None, None).is_ok());
        // HTML is not an image, whatever it claims.
        let html = "PGh0bWw+PC9odG1sPg==";
        assert!(NewSignatureImage::new(html, SignatureMimeType::Png, None, None).is_err());
        assert!(format!("{:?}", image.data).contains("68 bytes"));
    }

    #[test]
    fn data_urls_are_read() {
        let url = format!("data:image/png;base64,{PNG}");
        assert_eq!(NewSignatureImage::from_data_url(&url, None, None).unwrap().mime_type, SignatureMimeType::Png);
        let svg = "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=";
        assert_eq!(NewSignatureImage::from_data_url(svg, None, None).unwrap_err().field, "mime_type");
        assert!(NewSignatureImage::from_data_url(PNG, None, None).is_err());
    }

    #[test]
    fn filenames_have_no_directories() {
        for (name, ok) in [("logo.png", true), ("../etc/passwd", false), ("a\\b.png", false), ("a\u{0}.png", false)] {
            assert_eq!(check_filename(Some(name)).is_ok(), ok, "{name:?}");
        }
        assert_eq!(check_filename(Some("  ")).unwrap(), None);
    }

    #[test]
    fn images_are_sniffed() {
        assert_eq!(SignatureMimeType::sniff(b"\xFF\xD8\xFF\xE0"), Some(SignatureMimeType::Jpeg));
        assert_eq!(SignatureMimeType::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(SignatureMimeType::Webp));
        assert_eq!(SignatureMimeType::sniff(b"<svg"), None);
    }
}
