//! What reading one archive may cost, and the reader that charges it: every byte a decompressor (or a zip or
//! tar member) yields is taken from the archive's [`Budget`] as it is read, whether the member it belongs to is
//! kept, skipped over the member cap, or only stepped over by the tar reader. When the budget is spent, reads
//! fail, so no input inflates past it.

use std::cell::Cell;
use std::io::{self, Read};
use std::ops::Deref;

/// Most bytes one archive's walk holds at once, members of every nesting level and xz dictionaries together
/// (with the default member cap): a member that would pass it is skipped as too large, an xz stream gets a
/// smaller dictionary limit. Archives are opened one at a time (see `Scanner::scan_archive`), so this bounds
/// what archives add to a scan's memory whatever their nesting.
const MAX_HELD: u64 = 96 * 1024 * 1024;

/// What one archive may still cost, shared by every layer of it (the readers that charge it and the walk).
pub(super) struct Budget {
    /// Bytes that may still be read out of decompressors and members.
    bytes: Cell<u64>,
    /// Members that may still be read.
    members: Cell<usize>,
    /// Whether a read or a member was refused: the archive was not read to its end.
    spent: Cell<bool>,
    /// The largest member kept, uncompressed; larger ones are skipped after this many bytes and one more.
    pub(super) member_cap: u64,
    /// Bytes held now (members being walked, decoder memory reserved), and the most that may be.
    held: Cell<u64>,
    held_cap: u64,
}

impl Budget {
    /// A budget of `bytes` bytes and `members` members, keeping members of at most `member_cap` bytes.
    pub(super) fn new(member_cap: u64, bytes: u64, members: usize) -> Budget {
        Budget {
            bytes: Cell::new(bytes),
            members: Cell::new(members),
            spent: Cell::new(false),
            member_cap,
            held: Cell::new(0),
            held_cap: MAX_HELD.max(member_cap.saturating_mul(3)),
        }
    }

    /// The same budget holding at most `held_cap` bytes at once.
    #[cfg(test)]
    pub(super) fn with_held_cap(mut self, held_cap: u64) -> Budget {
        self.held_cap = held_cap;
        self
    }

    /// Bytes that may still be held.
    pub(super) fn room(&self) -> u64 {
        self.held_cap.saturating_sub(self.held.get())
    }

    /// Holds `n` bytes (of `room`) until the returned guard is dropped.
    pub(super) fn hold(&self, n: u64) -> Hold<'_> {
        self.held.set(self.held.get().saturating_add(n));
        Hold { n, budget: self }
    }

    /// Whether something was refused: nothing more is read.
    pub(super) fn spent(&self) -> bool {
        self.spent.get()
    }

    /// Bytes that may still be read.
    #[cfg(test)]
    pub(super) fn bytes_left(&self) -> u64 {
        self.bytes.get()
    }

    /// Takes one member; false (and spent) when none is left.
    pub(super) fn take_member(&self) -> bool {
        match self.members.get().checked_sub(1) {
            Some(left) if !self.spent() => {
                self.members.set(left);
                true
            }
            _ => {
                self.spent.set(true);
                false
            }
        }
    }
}

/// A reader whose every byte is charged to a [`Budget`]: it fails once the budget is spent, and only the end of
/// the stream may come after that.
pub(super) struct Charged<'b, R> {
    inner: R,
    budget: &'b Budget,
}

impl<'b, R: Read> Charged<'b, R> {
    /// Charges what `inner` yields to `budget`.
    pub(super) fn new(inner: R, budget: &'b Budget) -> Self {
        Charged { inner, budget }
    }
}

impl<R: Read> Read for Charged<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let spent = || io::Error::other("the archive's read budget is spent");
        if self.budget.spent() {
            return Err(spent());
        }
        let left = self.budget.bytes.get();
        if left == 0 {
            // A stream that ends exactly at the budget is read whole; one more byte spends it.
            let mut probe = [0u8; 1];
            if buf.is_empty() || self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.budget.spent.set(true);
            return Err(spent());
        }
        let room = usize::try_from(left).map_or(buf.len(), |left| left.min(buf.len()));
        let n = self.inner.read(&mut buf[..room])?;
        self.budget.bytes.set(left - n as u64);
        Ok(n)
    }
}

/// Bytes held against a [`Budget`] until dropped.
pub(super) struct Hold<'b> {
    n: u64,
    budget: &'b Budget,
}

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        self.budget
            .held
            .set(self.budget.held.get().saturating_sub(self.n));
    }
}

/// A member's content, held against the budget while it is walked.
pub(super) struct Held<'b> {
    data: Vec<u8>,
    _hold: Hold<'b>,
}

impl Deref for Held<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.data
    }
}

/// A member read out of an archive.
pub(super) enum Member<'b> {
    /// Its content, within the member cap and the budget's room.
    Data(Held<'b>),
    /// Over the member cap: skipped after the cap and one more byte were read (and charged).
    TooLarge,
}

/// Reads one member from `reader` (a [`Charged`] one, or one over a charged stream), taking a member from the
/// budget: at most the member cap (or the room left to hold it, when smaller: the members of the levels above
/// are held too) and one more byte are read. An error when the member could not be read, or when the budget is
/// spent (then [`Budget::spent`] is true).
pub(super) fn read_member(reader: impl Read, budget: &Budget) -> Result<Member<'_>, String> {
    if !budget.take_member() {
        return Err("the archive's member budget is spent".to_string());
    }
    let cap = budget.member_cap.min(budget.room());
    let mut data = Vec::new();
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| e.to_string())?;
    Ok(if data.len() as u64 > cap {
        Member::TooLarge
    } else {
        data.shrink_to_fit();
        let hold = budget.hold(data.len() as u64);
        Member::Data(Held { data, _hold: hold })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_read_is_charged_and_reads_stop_when_the_budget_is_spent() {
        let budget = Budget::new(10, 25, 100);
        // Over the cap: the cap and one byte are read and charged, the member is not kept.
        let mut bomb = io::repeat(0).take(1000);
        let got = read_member(Charged::new(&mut bomb, &budget), &budget);
        assert!(matches!(got, Ok(Member::TooLarge)));
        assert_eq!(bomb.limit(), 1000 - 11);
        assert_eq!(budget.bytes_left(), 14);
        // Within the cap: kept and charged.
        let got = read_member(Charged::new(&[7u8; 10][..], &budget), &budget);
        assert!(matches!(got, Ok(Member::Data(ref d)) if **d == [7u8; 10]));
        drop(got);
        assert_eq!(budget.bytes_left(), 4);
        assert!(!budget.spent());
        // A stream that ends exactly at the budget is whole.
        let got = read_member(Charged::new(&[1u8; 4][..], &budget), &budget);
        assert!(matches!(got, Ok(Member::Data(ref d)) if d.len() == 4));
        drop(got);
        assert!(!budget.spent());
        // One byte more spends it, and nothing is read after that.
        assert!(read_member(Charged::new(&[1u8; 1][..], &budget), &budget).is_err());
        assert!(budget.spent());
        assert!(read_member(&[1u8; 0][..], &budget).is_err());
    }

    #[test]
    fn members_are_counted_against_the_budget() {
        let budget = Budget::new(10, 1000, 2);
        assert!(budget.take_member() && budget.take_member());
        assert!(!budget.spent());
        assert!(!budget.take_member());
        assert!(budget.spent());
    }
}
