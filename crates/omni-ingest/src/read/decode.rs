//! Text decoding: UTF-8 (BOM stripped), with a Latin-1 fallback per file.

use std::borrow::Cow;

/// Decodes a file's bytes. Valid UTF-8 (after an optional BOM) is borrowed as is; anything
/// else is read as Latin-1 (ISO-8859-1), the usual encoding of legacy POS and ERP exports,
/// in which every byte is a character, so nothing is lost.
pub fn decode(bytes: &[u8]) -> (Cow<'_, [u8]>, Encoding) {
    let b = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    if simdutf8::basic::from_utf8(b).is_ok() {
        return (Cow::Borrowed(b), Encoding::Utf8);
    }
    let s: String = b.iter().map(|&c| char::from(c)).collect();
    (Cow::Owned(s.into_bytes()), Encoding::Latin1)
}

/// [`decode`] for an owned buffer, reusing it when it is already UTF-8.
pub fn decode_owned(mut bytes: Vec<u8>) -> (Vec<u8>, Encoding) {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) && simdutf8::basic::from_utf8(&bytes[3..]).is_ok() {
        bytes.drain(..3);
        return (bytes, Encoding::Utf8);
    }
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        return (bytes, Encoding::Utf8);
    }
    let (b, e) = decode(&bytes);
    (b.into_owned(), e)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Latin1,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_bom_and_latin1() {
        let (b, e) = decode(b"\xEF\xBB\xBFa,b");
        assert_eq!((&*b, e), (&b"a,b"[..], Encoding::Utf8));
        let (b, e) = decode(b"Nu\xf1ez");
        assert_eq!(e, Encoding::Latin1);
        assert_eq!(std::str::from_utf8(&b).unwrap(), "Nuñez");
    }
}
