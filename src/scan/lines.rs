//! Byte offsets to 1-based lines and code-point columns, built once per blob that has a match.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;

/// Bytes between two column checkpoints of a long line.
const CHECKPOINT_BYTES: usize = 4096;

/// The start offset of every line of a blob, and for each long line that a column was asked of, the column at
/// every [`CHECKPOINT_BYTES`]: a column costs at most that many bytes of counting, however long the line and
/// however many matches it holds.
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
    checkpoints: RefCell<HashMap<usize, Vec<(usize, usize)>>>,
}

/// Characters in `bytes` as an editor shows them: valid UTF-8 by code point, each invalid sequence as the one
/// replacement character it is shown as (`String::from_utf8_lossy`), stray continuation bytes included.
fn shown_chars(bytes: &[u8]) -> usize {
    bytes
        .utf8_chunks()
        .map(|c| c.valid().chars().count() + usize::from(!c.invalid().is_empty()))
        .sum()
}

/// The first offset at or after `at` (and at most `end`) that no UTF-8 sequence or invalid sequence crosses: a
/// byte that is not a continuation byte. Counting characters on either side of it adds up.
fn boundary(bytes: &[u8], mut at: usize, end: usize) -> usize {
    while at < end && bytes[at] & 0xC0 == 0x80 {
        at += 1;
    }
    at
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
            checkpoints: RefCell::new(HashMap::new()),
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

    /// 1-based line and code-point column of a byte offset (see [`shown_chars`]).
    pub fn line_col(&self, bytes: &[u8], offset: usize) -> (usize, usize) {
        let line = self.line_of(offset);
        let start = self.starts[line - 1];
        let offset = offset.min(bytes.len());
        if offset - start <= CHECKPOINT_BYTES {
            return (line, shown_chars(&bytes[start..offset]) + 1);
        }
        let mut all = self.checkpoints.borrow_mut();
        let marks = all.entry(line).or_insert_with(|| {
            let end = self.line_range(line).end.min(bytes.len());
            let mut marks = vec![(start, 0)];
            let (mut at, mut column) = (start, 0);
            while at + CHECKPOINT_BYTES < end {
                let next = boundary(bytes, at + CHECKPOINT_BYTES, end);
                column += shown_chars(&bytes[at..next]);
                marks.push((next, column));
                at = next;
            }
            marks
        });
        let i = marks.partition_point(|&(at, _)| at <= offset) - 1;
        let (at, column) = marks[i];
        (line, column + shown_chars(&bytes[at..offset]) + 1)
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

    /// Columns on a line longer than a checkpoint's reach, with multi-byte and invalid sequences across the
    /// checkpoints, equal the count from the line's start.
    #[test]
    fn long_line_columns_equal_a_count_from_the_line_start() {
        let mut bytes = b"x\n".to_vec();
        for i in 0..6000 {
            bytes.extend_from_slice(match i % 5 {
                0 => "é".as_bytes(),
                1 => b"\xe2\x82",
                2 => b"\x80",
                3 => "€".as_bytes(),
                _ => b"a",
            });
        }
        let idx = LineIndex::new(&bytes);
        for offset in (2..bytes.len()).rev().step_by(7) {
            let want = super::shown_chars(&bytes[2..offset]) + 1;
            assert_eq!(idx.line_col(&bytes, offset), (2, want), "offset {offset}");
        }
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
