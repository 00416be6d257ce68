"""Big-data linkage (issue 17): analyses that join the channels and point at the source."""
