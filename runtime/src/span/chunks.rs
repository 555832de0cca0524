//! A list kept in chunks that never move, for a transaction's span records and their data,
//! and where a record's data is in it.

/// Where a record's data under callsite keys is in its transaction's list.
#[derive(Clone, Copy, Default)]
pub(crate) struct ArgsAt {
    pub(super) chunk: u32,
    pub(super) start: u16,
    pub(super) len: u16,
}

/// A list kept in chunks that never move: adding to it never copies what it holds, as a
/// growing `Vec` would (a transaction's spans and their data, added to while its spans run).
pub(crate) struct Chunks<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunks<T> {
    fn default() -> Self {
        Chunks {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunks<T> {
    /// The first chunk's room; each next one has twice the room of the last, up to `MOST`.
    const FIRST: usize = 4;
    const MOST: usize = 64;

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The chunk with room for `n` more items side by side (a new one when the last has
    /// not), and its index; `n` are counted as added.
    #[inline(always)]
    pub(super) fn room_for(&mut self, n: usize) -> Option<(u32, &mut Vec<T>)> {
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= n);
        if !fits {
            self.new_chunk(n);
        }
        let index = u32::try_from(self.chunks.len().checked_sub(1)?).ok()?;
        self.len += n;
        self.chunks.last_mut().map(|c| (index, c))
    }

    #[cold]
    #[inline(never)]
    fn new_chunk(&mut self, n: usize) {
        let next = self.chunks.last().map_or(Self::FIRST, |c| {
            c.capacity().saturating_mul(2).min(Self::MOST)
        });
        self.chunks.push(Vec::with_capacity(next.max(n)));
    }

    #[inline(always)]
    pub(crate) fn push(&mut self, item: T) {
        if let Some((_, chunk)) = self.room_for(1) {
            chunk.push(item);
        }
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.chunks.iter().flatten()
    }

    pub(crate) fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut T> {
        self.chunks.iter_mut().flatten()
    }

    pub(super) fn slice(&self, at: ArgsAt) -> &[T] {
        let start = usize::from(at.start);
        self.chunks
            .get(at.chunk as usize)
            .and_then(|c| c.get(start..start + usize::from(at.len)))
            .unwrap_or(&[])
    }

    pub(super) fn slice_mut(&mut self, at: ArgsAt) -> &mut [T] {
        let start = usize::from(at.start);
        self.chunks
            .get_mut(at.chunk as usize)
            .and_then(|c| c.get_mut(start..start + usize::from(at.len)))
            .unwrap_or(&mut [])
    }
}

/// The items of [`Chunks`], in order, with their exact count (collecting them allocates once).
pub(crate) struct ChunksIntoIter<T> {
    inner: std::iter::Flatten<std::vec::IntoIter<Vec<T>>>,
    left: usize,
}

impl<T> Iterator for ChunksIntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        let item = self.inner.next()?;
        self.left = self.left.saturating_sub(1);
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T> IntoIterator for Chunks<T> {
    type Item = T;
    type IntoIter = ChunksIntoIter<T>;

    fn into_iter(self) -> ChunksIntoIter<T> {
        ChunksIntoIter {
            inner: self.chunks.into_iter().flatten(),
            left: self.len,
        }
    }
}
