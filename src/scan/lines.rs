//! Byte offsets to 1-based lines and code-point columns, built once per blob that has a match.

use std::ops::Range;

/// The start offset of every line of a blob.
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    /// Indexes the line starts of `bytes`.
    pub fn new(bytes: &[u8]) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        if starts.len() > 1 && *starts.last().expect("non-empty") == bytes.len() {
            starts.pop();
        }
        LineIndex {
            starts,
            len: bytes.len(),
        }
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }

    /// 1-based line and code-point column of a byte offset.
    pub fn line_col(&self, bytes: &[u8], offset: usize) -> (usize, usize) {
        let line = self.line_of(offset);
        let start = self.starts[line - 1];
        let prefix = &bytes[start..offset.min(bytes.len())];
        // Count characters as an editor shows them: valid UTF-8 by code point, each invalid sequence as the one
        // replacement character it is shown as (`String::from_utf8_lossy`), stray continuation bytes included.
        let column = prefix
            .utf8_chunks()
            .map(|c| c.valid().chars().count() + usize::from(!c.invalid().is_empty()))
            .sum::<usize>()
            + 1;
        (line, column)
    }

    /// Byte range of a 1-based line, including its newline.
    pub fn line_range(&self, line: usize) -> Range<usize> {
        let i = line.clamp(1, self.starts.len()) - 1;
        let end = self.starts.get(i + 1).copied().unwrap_or(self.len);
        self.starts[i]..end
    }

    /// Byte range covering `around` lines either side of `line`.
    pub fn window(&self, line: usize, around: usize) -> Range<usize> {
        let first = line.saturating_sub(around).max(1);
        let last = (line + around).min(self.starts.len());
        self.line_range(first).start..self.line_range(last).end
    }
}

#[cfg(test)]
mod tests {
    use super::LineIndex;

    #[test]
    fn lines_and_columns() {
        let text = "ab\ncdé€x\n\nz";
        let idx = LineIndex::new(text.as_bytes());
        assert_eq!(idx.line_count(), 4);
        assert_eq!(idx.line_col(text.as_bytes(), 0), (1, 1));
        let x = text.find('x').expect("x present");
        assert_eq!(idx.line_col(text.as_bytes(), x), (2, 5));
        assert_eq!(idx.line_col(text.as_bytes(), text.len() - 1), (4, 1));
        assert_eq!(&text.as_bytes()[idx.line_range(2)], "cdé€x\n".as_bytes());
    }

    #[test]
    fn columns_on_invalid_utf8_count_replacement_characters() {
        // A stray continuation byte, a truncated sequence and a lone lead byte: three replacement characters.
        let bytes = b"a\x80b\xe2\x82c\xffd";
        let idx = LineIndex::new(bytes);
        let d = bytes.len() - 1;
        let shown = String::from_utf8_lossy(&bytes[..d]).chars().count() + 1;
        assert_eq!(idx.line_col(bytes, d), (1, shown));
        assert_eq!(shown, 7);
    }
}
