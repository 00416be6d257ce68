"""Big exposure: confirmed violations an officer proposes and a second review publishes on a
public page and Atom feed, each for a limited time (issue 16, item 3)."""
