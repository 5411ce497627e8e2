//! How a file of a given size is uploaded: one presigned `PUT` below the
//! multipart threshold, otherwise an S3 multipart upload whose parts are
//! all `part_size` long but the last.

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;
/// The smallest part size handed out (S3 and R2 need 5 MiB but the last).
pub const MIN_PART_SIZE: u64 = 8 * MIB;
/// S3's and R2's most parts per upload.
pub const MAX_PARTS: u64 = 10_000;
/// The smallest file accepted.
pub const MIN_FILE_SIZE: u64 = 1024;
/// The largest file accepted: 5 GiB.
pub const MAX_FILE_SIZE: u64 = 5 * 1024 * MIB;

/// A multipart upload's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    pub part_size: u64,
    pub part_count: u32,
}

/// `max(8 MiB, ceil(size / 10,000))` rounded up to a MiB, and the number
/// of parts that makes.
pub fn parts_for(size: u64) -> Parts {
    let least = size.div_ceil(MAX_PARTS).max(MIN_PART_SIZE);
    let part_size = least.div_ceil(MIB) * MIB;
    let part_count = size.div_ceil(part_size).max(1);
    Parts {
        part_size,
        // At most 10,000 by construction.
        part_count: u32::try_from(part_count).unwrap_or(u32::MAX),
    }
}

/// The length part `number` (1-based) of `size` bytes must have.
pub fn part_length(size: u64, parts: Parts, number: u32) -> u64 {
    let start = u64::from(number.saturating_sub(1)) * parts.part_size;
    size.saturating_sub(start).min(parts.part_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_eight_mib_until_ten_thousand_would_not_do() {
        assert_eq!(
            parts_for(100 * MIB),
            Parts {
                part_size: 8 * MIB,
                part_count: 13
            }
        );
        // 5 GiB: 8 MiB parts, 640 of them.
        assert_eq!(
            parts_for(MAX_FILE_SIZE),
            Parts {
                part_size: 8 * MIB,
                part_count: 640
            }
        );
        // 100 GiB would need more than 8 MiB parts (never accepted, but the
        // arithmetic holds): 10.24 MiB rounds up to 11 MiB.
        let huge = parts_for(100 * 1024 * MIB);
        assert_eq!(huge.part_size, 11 * MIB);
        assert!(u64::from(huge.part_count) <= MAX_PARTS);
    }

    #[test]
    fn the_last_part_takes_the_rest() {
        let size = 20 * MIB + 5;
        let parts = parts_for(size);
        assert_eq!(parts.part_count, 3);
        assert_eq!(part_length(size, parts, 1), 8 * MIB);
        assert_eq!(part_length(size, parts, 2), 8 * MIB);
        assert_eq!(part_length(size, parts, 3), 4 * MIB + 5);
        assert_eq!(part_length(size, parts, 4), 0);
        // A file of exactly whole parts.
        assert_eq!(parts_for(16 * MIB).part_count, 2);
        assert_eq!(parts_for(MIB).part_count, 1);
    }
}
