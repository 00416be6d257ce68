"""Discovery statistics: clues per channel and region, what became of them, rewards paid."""
