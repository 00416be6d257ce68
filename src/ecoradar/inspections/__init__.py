"""Risk-based inspection draws ("double random, one public"): conflicts of interest, draws,
the inspection tasks they make, and the public list."""
