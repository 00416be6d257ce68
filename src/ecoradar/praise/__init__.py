"""Praise and incentives (issue 16, item 4): grid workers' and reporters' contributions per
month, monthly rankings per region, praise notices with their certificate, and the figures of
the statistics page."""
