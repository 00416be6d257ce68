"""Administrative areas and grids: GeoJSON import, point -> smallest area routing."""
