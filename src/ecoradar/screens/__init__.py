"""The three big screens for a wall display (issue 18 item 2): discovery, online monitoring,
enterprises and closure; shown to logged-in staff or through a revocable display token."""
