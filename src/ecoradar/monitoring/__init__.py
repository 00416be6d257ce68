"""Online monitoring data: the raw packet archive, normalized measurements, series queries."""
