//! Frame buffers kept for the next frame read: a viewer following a writer converts every new
//! frame into a buffer it already has (the one the screen let go of) instead of a fresh one —
//! a 2048×2048 frame is 32 MiB of pixels, whose pages would be faulted in and zeroed anew.

use std::sync::{Arc, Mutex};

use crate::backend::{ArrayData, Result};
use crate::frame::Frame;

/// Frames kept: the one on screen, the one being read, and one spare.
const KEPT: usize = 3;

/// The frames this process made lately, reused once nobody else holds them.
#[derive(Default)]
pub struct FramePool {
    frames: Mutex<Vec<Arc<Frame>>>,
}

impl FramePool {
    /// The frame of `data`, converted into a free kept buffer when there is one.
    pub fn make(&self, data: &ArrayData, index: Vec<u64>, origin: [u64; 2]) -> Result<Arc<Frame>> {
        let free = {
            let mut kept = self.lock();
            // Held by the pool alone: the screen has moved on to a newer frame.
            let i = kept.iter().position(|f| Arc::strong_count(f) == 1);
            i.map(|i| kept.swap_remove(i))
        };
        let frame = match free {
            Some(mut f) => match Arc::get_mut(&mut f) {
                Some(inner) => {
                    inner.refill(data, index, origin)?;
                    f
                }
                None => Arc::new(Frame::from_data(data, index, origin)?),
            },
            None => Arc::new(Frame::from_data(data, index, origin)?),
        };
        let mut kept = self.lock();
        kept.push(frame.clone());
        if kept.len() > KEPT {
            kept.remove(0);
        }
        drop(kept);
        Ok(frame)
    }

    /// Lets go of every kept frame (another array is open: its frames may differ in size).
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Frame>>> {
        // A panic while holding the lock leaves nothing half-done: the list is still valid.
        self.frames.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::DType;

    fn block(v: u16, side: u64) -> ArrayData {
        let bytes = (0..side * side).flat_map(|_| v.to_le_bytes()).collect();
        ArrayData::new(DType::UInt16, vec![1, side, side], bytes).unwrap()
    }

    #[test]
    fn a_frame_let_go_of_is_converted_into_again() {
        let pool = FramePool::default();
        let a = pool.make(&block(1, 64), vec![0], [0, 0]).unwrap();
        let a_ptr = a.buffer_addr();
        // Still on screen: the next frame gets a buffer of its own.
        let b = pool.make(&block(2, 64), vec![1], [0, 0]).unwrap();
        assert_ne!(b.buffer_addr(), a_ptr);
        assert!(
            a.view().iter().all(|&v| v == 1.0),
            "a frame held is never written"
        );
        // The screen takes b and drops a: the third frame reuses a's pages.
        drop(a);
        let c = pool.make(&block(3, 64), vec![2], [0, 0]).unwrap();
        assert_eq!(c.buffer_addr(), a_ptr);
        assert_eq!((c.index.clone(), c.get((63, 63))), (vec![2], Some(3.0)));
        assert!(b.view().iter().all(|&v| v == 2.0));
        // A smaller frame fits the same buffer; numbers as a fresh conversion gives them.
        drop(b);
        let d = pool.make(&block(4, 40), vec![3], [0, 0]).unwrap();
        assert_eq!(
            *d,
            Frame::from_data(&block(4, 40), vec![3], [0, 0]).unwrap()
        );
        // Never more than a few kept; a block that is no frame is refused, nothing kept of it.
        assert!(pool.make(&block(5, 8), vec![4], [0, 0]).is_ok());
        let bad = ArrayData::new(DType::UInt16, vec![2, 2, 2], vec![0; 16]).unwrap();
        assert!(pool.make(&bad, vec![0], [0, 0]).is_err());
        assert!(pool.lock().len() <= KEPT);
        pool.clear();
        assert!(pool.lock().is_empty());
    }
}
