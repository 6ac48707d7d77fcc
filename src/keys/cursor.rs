//! A big-endian byte reader over untrusted binary key formats (Java keystores, OpenPGP packets) that never
//! reads past the end: every read is checked against the bytes that remain and gives `None` when they do not.

/// The bytes and how far they have been read.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A reader at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor { bytes, pos: 0 }
    }

    /// How many bytes have been read.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// How many bytes remain.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    /// One byte.
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    /// An unsigned big-endian integer of `n` bytes (at most 4).
    pub(crate) fn be(&mut self, n: usize) -> Option<usize> {
        if n > 4 {
            return None;
        }
        Some(
            self.take(n)?
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b)),
        )
    }
}
